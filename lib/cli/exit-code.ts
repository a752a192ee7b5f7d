/**
 * An exit code a command asks for without failing (batch: some items failed, or it was interrupted).
 * Kept here rather than in process.exitCode so in-process runs of the CLI (tests) do not inherit it.
 */
let requested = 0;

export function requestExitCode(code: number): void {
  requested = code;
}

/** The code asked for since the last call, and forget it. */
export function takeExitCode(): number {
  const code = requested;
  requested = 0;
  return code;
}

/** batch and batch collect: some items failed (each failure is a line in the results). */
export const EXIT_ITEMS_FAILED = 2;
/** batch collect: some items have no result yet. */
export const EXIT_INCOMPLETE = 3;
/** batch: stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;
