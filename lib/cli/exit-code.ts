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
