/**
 * How the CLI ends on an error: an expected failure (a TensorRTNodeError, or a usage error from
 * commander) is one line `error [CODE]: message` on stderr and exit code 1, without a stack trace.
 * With --verbose the error's `details` (the backend's own text) follow. Anything else is a bug in tensorrt-node: it gets the stack, so it can be reported.
 */
import { CommanderError } from 'commander';
import { ErrorCode, TensorRTNodeError } from '../errors.js';

/** Commander's ways of ending that are not errors (help shown, version printed) or already printed. */
const COMMANDER_NON_ERRORS = new Set([
  'commander.helpDisplayed',
  'commander.version',
  'commander.help',
  'commander.executeSubCommandAsync',
]);

/** Prints the error and returns the process exit code to use. */
export function reportError(error: unknown, write: (text: string) => void = (text) => process.stderr.write(text), verbose = false): number {
  if (error instanceof CommanderError) {
    if (COMMANDER_NON_ERRORS.has(error.code)) return error.exitCode;
    // Commander's messages start with "error: "; the code makes it the same shape as every other error.
    write(`error [${ErrorCode.INVALID_ARGUMENT}]: ${error.message.replace(/^error: /, '')}\n`);
    return 1;
  }
  if (error instanceof TensorRTNodeError) {
    write(`error [${error.code}]: ${error.message}\n`);
    if (error.details && verbose) write(`${error.details}\n`);
    return 1;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  write(`error [internal]: an unexpected failure inside tensorrt-node (please report it):\n${text}\n`);
  return 1;
}
