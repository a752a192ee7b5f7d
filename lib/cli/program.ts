/** The `tensorrt-node` program: its commands, and how it ends on an error. */
import { Command } from 'commander';
import { ORT_LOG_LEVELS, type OrtLogLevel } from '../backends/ort-log-level.js';
import { setDefaultOrtLogLevel } from '../backends/ort.js';
import { commandRegistrars } from './commands.js';
import { choiceOption } from './options.js';
import { takeExitCode } from './exit-code.js';
import { packageInfo } from '../util/package-info.js';
import { reportError } from './report-error.js';

export function createProgram(): Command {
  const program = new Command('tensorrt-node')
    .description('Run ONNX models and TensorRT engines from Node.js')
    .version(packageInfo().version)
    // Read in main() (it applies to errors of every command); declared here so commander accepts it anywhere.
    .option('--verbose', "on an error, also print the backend's own text (TensorRT's log lines, ONNX Runtime's message)")
    .option(
      '--log-level <level>',
      `ONNX Runtime's least severe messages to print: ${ORT_LOG_LEVELS.join(', ')} (default: warning; error silences its warnings)`,
      choiceOption('--log-level', ORT_LOG_LEVELS),
    )
    // Before any command creates a session: ONNX Runtime reads its default level once, at its start.
    .hook('preAction', (command) => {
      const level = command.opts<{ logLevel?: OrtLogLevel }>().logLevel;
      if (level !== undefined) setDefaultOrtLogLevel(level);
    })
    // Errors are reported by reportError in one shape; commander only throws them.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showHelpAfterError(false);
  for (const register of commandRegistrars) register(program);
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await createProgram().parseAsync(argv as string[]);
    return takeExitCode();
  } catch (error) {
    takeExitCode();
    return reportError(error, undefined, argv.includes('--verbose') || Boolean(process.env.TENSORRT_NODE_DEBUG));
  }
}
