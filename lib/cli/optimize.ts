/**
 * `tensorrt-node optimize <model.onnx> --fp16 [-o out.onnx] [--fp16-io] [--block-ops ...]`
 *
 * Each optimization is an OptimizeMode selected by its flag (--fp16 here; --int8 plugs in the same
 * way): the command reads the model, runs the mode, optionally compares the result with the
 * original on held-out inputs (--eval dir), writes the output through a temporary file and a
 * rename once everything else succeeded, and prints what it did. The output path may never be the
 * input, nor anything but a regular file or a new name.
 */
import type { Command, Option } from 'commander';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { decodeModel, encodeModel, loadModel } from '../onnx/model-io.js';
import { graphInputs } from '../onnx/graph.js';
import { convertToFloat16 } from '../optimize/convert-fp16.js';
import { feedsDirectorySamples, readFeedsDirectory } from '../optimize/feeds-dir.js';
import { type TaskOptions, checkTaskOptions, readCtcKeys, readLabelsFile } from '../optimize/task-accuracy.js';
import { checkOutputPath, defaultOutputPath, writeOptimizedModel } from '../optimize/output-file.js';
import { compareModels, formatReport } from '../optimize/report.js';
import { integerOption } from './options.js';

/** Parsed command-line options (commander's camelCase names). */
export type OptimizeCliOptions = Record<string, unknown> & {
  output?: string;
  eval?: string;
  evalThreads?: number;
  latencyRounds?: number;
  labels?: string;
  keys?: string;
  labelsOutput?: string;
};

export interface OptimizeModeContext {
  modelPath: string;
  options: OptimizeCliOptions;
  signal: AbortSignal;
  /** Progress and notes (stderr). */
  log: (line: string) => void;
}

export interface OptimizeModeResult {
  model: Uint8Array;
  /** Lines describing what the mode did (printed before the quality report). */
  summary: string[];
}

export interface OptimizeMode {
  /** Selects the mode (`--<name>`) and names the default output (model.<name>.onnx). */
  name: string;
  /** The mode flag takes a value (`--<name> <value>`, e.g. `--prune 2:4`), checked by `parse`. */
  value?: { name: string; parse: (value: string) => string };
  description: string;
  /** Adds the options only this mode reads. */
  addOptions?: (command: Command) => void;
  run: (context: OptimizeModeContext) => Promise<OptimizeModeResult>;
}

function splitList(values: unknown): string[] | undefined {
  if (values === undefined) return undefined;
  return (values as string[])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

export const fp16Mode: OptimizeMode = {
  name: 'fp16',
  description: 'convert float32 weights and activations to float16',
  addOptions(command) {
    command
      .option('--fp16-io', 'fp16: float16 model inputs and outputs (default: they stay float32)')
      .option('--keep-io-types', 'fp16: keep float32 model inputs and outputs (the default; kept for scripts that pass it)')
      .option('--block-ops <ops...>', 'fp16: op types to keep in float32 (added to the default block list)')
      .option('--block-nodes <names...>', 'fp16: node names to keep in float32')
      .option('--no-default-block-list', 'fp16: do not keep the default ops (Range, NonMaxSuppression, Q/DQ, ...) in float32')
      .option('--clamp-out-of-range', 'fp16: clamp constants beyond +-65504 instead of keeping their nodes in float32')
      .option(
        '--float32-leading-layers <n>',
        "fp16: keep the first n Conv/Gemm/MatMul layers in float32 when their weights are at most 0.1% of the model's (0: none)",
        integerOption('--float32-leading-layers', { min: 0 }),
        2,
      );
  },
  async run({ modelPath, options, signal }) {
    if (options.fp16Io === true && options.keepIoTypes === true) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        'Expected one of --fp16-io and --keep-io-types for tensorrt-node optimize --fp16 but received both',
      );
    }
    const { model, report } = await convertToFloat16(modelPath, {
      float16Io: options.fp16Io === true,
      blockOps: splitList(options.blockOps),
      blockNodes: splitList(options.blockNodes),
      useDefaultBlockList: options.defaultBlockList !== false,
      outOfRange: options.clampOutOfRange === true ? 'clamp' : 'keep-float32',
      float32LeadingLayers: options.float32LeadingLayers as number | undefined,
      signal,
    });
    const c = report.conversion;
    const kept = Object.entries(c.nodesKeptFloat32)
      .map(([op, count]) => `${op} x${count}`)
      .join(', ');
    return {
      model,
      summary: [
        `fp16: ${options.fp16Io === true ? 'float16' : 'float32'} inputs and outputs, ${c.initializersConverted} initializers and ${c.constantsConverted} Constant nodes converted (${c.constantsHoisted} Constant nodes became initializers), ${c.castsInserted} Casts inserted`,
        ...(c.leadingLayersKeptFloat32.length > 0
          ? [`fp16: leading layers kept in float32: ${c.leadingLayersKeptFloat32.join(', ')}`]
          : []),
        ...(kept
          ? [
              `fp16: kept in float32: ${kept} (${c.nodesKeptForRange} for constants beyond float16, ${c.nodesKeptForScalarConstant} for inexact scalar constants)`,
            ]
          : []),
        ...c.warnings.map((warning) => `warning: ${warning}`),
      ],
    };
  },
};

/** Registers `optimize` on `program` with the given modes (default: FP16 only). */
export function registerOptimizeCommand(program: Command, modes: readonly OptimizeMode[] = [fp16Mode]): Command {
  const command = program
    .command('optimize')
    .description(`rewrite an ONNX model: ${modes.map((mode) => `--${mode.name} (${mode.description})`).join(', ')}`)
    .argument('<model>', 'input ONNX model (.onnx)')
    .option('-o, --output <path>', 'output model (default: <model>.<mode>.onnx next to the input; never the input itself)')
    .option(
      '--eval <dir>',
      'held-out inputs (.npy: <dir>/<sample>/<input>.npy, or <dir>/<sample>.npy for one-input models) for a quality report',
    )
    .option('--eval-threads <n>', 'ONNX Runtime threads for the quality report', integerOption('--eval-threads', { min: 1 }), 1)
    .option(
      '--labels <labels.json>',
      'with --eval: ground truth per sample ({"<sample>": class index or text}); the report gives both models\' task accuracy',
    )
    .option('--keys <file>', 'with --labels holding texts: the CTC characters, one per line (class 0 is the blank)')
    .option('--labels-output <name>', 'with --labels: the output to judge (default: the first)')
    .option(
      '--latency-rounds <n>',
      'interleaved latency rounds over the eval inputs (0: none)',
      integerOption('--latency-rounds', { min: 0 }),
      3,
    );
  // Which mode each mode-only option belongs to, so that a flag of another mode is refused instead of ignored.
  const modeOptions = new Map<OptimizeMode, readonly Option[]>();
  for (const mode of modes) {
    if (mode.value) command.option(`--${mode.name} <${mode.value.name}>`, mode.description, mode.value.parse);
    else command.option(`--${mode.name}`, mode.description);
    const before = command.options.length;
    mode.addOptions?.(command);
    modeOptions.set(mode, command.options.slice(before));
  }
  command.action(async (modelPath: string, options: OptimizeCliOptions) => {
    const selected = modes.filter((mode) => (mode.value ? typeof options[mode.name] === 'string' : options[mode.name] === true));
    if (selected.length !== 1) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected exactly one of ${modes.map((mode) => `--${mode.name}`).join(', ')} for tensorrt-node optimize but received ${selected.length === 0 ? 'none' : selected.map((mode) => `--${mode.name}`).join(' ')}`,
      );
    }
    const mode = selected[0];
    for (const [other, owned] of modeOptions) {
      if (other === mode) continue;
      const given = owned.filter((option) => command.getOptionValueSource(option.attributeName()) === 'cli');
      if (given.length > 0) {
        throw new TensorRTNodeError(
          ErrorCode.INVALID_ARGUMENT,
          `Expected --${other.name} with ${given.map((option) => option.long ?? option.flags).join(', ')} but received --${mode.name}`,
        );
      }
    }
    if ((options.labels || options.keys || options.labelsOutput) && !options.eval) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        'Expected --eval <dir> with --labels, --keys or --labels-output but received none',
      );
    }
    // Read the labels before any work, so that a bad labels file costs nothing.
    const task: TaskOptions | undefined =
      options.labels && options.eval
        ? {
            labels: await readLabelsFile(options.labels, await feedsDirectorySamples(options.eval)),
            ...(options.keys ? { keys: await readCtcKeys(options.keys) } : {}),
            ...(options.labelsOutput ? { output: options.labelsOutput } : {}),
          }
        : undefined;
    if (task) checkTaskOptions(task, task.labels.length);
    const output = options.output ?? defaultOutputPath(modelPath, mode.name);
    await checkOutputPath(output, modelPath);
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSigint);
    try {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const result = await mode.run({ modelPath, options, signal: controller.signal, log });
      const lines = [`wrote ${output}`, ...result.summary];
      // Self-contained bytes of the input, external data included, to compare and size against.
      const original = encodeModel(await loadModel(modelPath, { externalData: 'inline' }));
      // The report comes before the write: a failed evaluation exits 1 and leaves no output behind.
      if (options.eval) {
        const graph = decodeModel(original, modelPath).graph;
        const inputNames = graph ? graphInputs(graph).map((input) => input.name) : [];
        const report = await compareModels(original, result.model, {
          feeds: readFeedsDirectory(options.eval, inputNames),
          threads: options.evalThreads ?? 1,
          latencyRounds: options.latencyRounds ?? 3,
          ...(task ? { task } : {}),
          signal: controller.signal,
        });
        lines.push(formatReport(report));
      } else {
        lines.push(
          `size: ${result.model.byteLength} / ${original.byteLength} bytes = ${(result.model.byteLength / original.byteLength).toFixed(3)}x`,
        );
      }
      await writeOptimizedModel(output, result.model, modelPath);
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  });
  return command;
}
