/**
 * When runOn 'auto' moves a CPU session from the main thread to a worker thread.
 *
 * A worker costs a thread hop per run (tens of microseconds, plus one copy of the inputs), which is
 * nothing next to a 60 ms inference and several times a 10 us one; a main-thread run blocks the
 * event loop for its whole length. So: move once runs are reliably longer than the threshold.
 * - The first run is cold (ONNX Runtime allocates and plans memory then; on a busy machine a 10 us
 *   model's first run has taken over 10 ms), so it alone moves the session only when it is far over
 *   the threshold (10x): a model that slow will not get fast.
 * - After that, two slow runs in a row move it, so a single GC pause or scheduling hiccup does not
 *   put a fast model behind a thread hop for good.
 */
export class WorkerMovePolicy {
  private runs = 0;
  private slowStreak = 0;

  constructor(private readonly thresholdMs: number) {}

  /** Records a main-thread run; true when the session should now move to a worker. */
  record(elapsedMs: number): boolean {
    if (this.runs++ === 0) return elapsedMs > this.thresholdMs * 10;
    this.slowStreak = elapsedMs > this.thresholdMs ? this.slowStreak + 1 : 0;
    return this.slowStreak >= 2;
  }
}
