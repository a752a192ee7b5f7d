/**
 * When batching pays, and when waiting for companions pays. The batcher asks this policy two
 * questions; both answers come from what the batcher measured on this model and this load.
 *
 * 1. Does batching pay? The policy keeps the cost per item (the time a run added, over its items) of
 *    the last WINDOW single-item runs and of the last WINDOW batched runs, and compares their medians
 *    (a median, because one run stalled by the OS scheduler must not flip the decision). Batching is
 *    used while a batched item costs at least 10% less than a single one. Otherwise the batcher runs
 *    items one by one as they come, without holding them for a run slot: exactly what a caller
 *    without a batcher would do, so a model that gains nothing from batching (a CNN on a 2-core CPU)
 *    loses nothing but the queue's bookkeeping. Single items are always measured in stretches of
 *    PROBE_SINGLES sent together, as they would be without a batcher (one alone would also pay the
 *    hand-off to a worker thread that a stream of them hides). At the start, a stretch of single
 *    items and MIN_SAMPLES small batches (PROBE_BATCH items) are measured; then the other way is
 *    tried now and then (a stretch of singles every PROBE_EVERY runs while batching, one small batch
 *    every DIRECT_PROBE_EVERY runs while not), so a change (a hotter CPU, another load) is noticed.
 *    Probes are small and rare because the way that does not pay can cost several times more per
 *    item (PP-OCR cls in batches of 64 costs ~3x per item on a 2-core CPU).
 * 2. Does waiting pay? A run slot that is free does not wait for the batch to fill when waits have
 *    not been drawing companions: a wait that ends with its lone item is a failed wait. After a
 *    failed wait, the next wait is allowed only after twice as many runs as before (up to
 *    MAX_WAIT_BACKOFF), so a lone sequential caller pays maxDelayMs once per thousands of runs.
 *    Items that arrive while every slot is busy still form batches without any wait.
 */

/** Batched items must cost at most this fraction of a single item's compute time. */
const PAYS_BELOW = 0.9;
/** While batching: a stretch of single items every this many runs (a few items in thousands). */
const PROBE_EVERY = 32;
/** While not batching: one small batch every this many runs (about 3% of items, at most a few times their cost). */
const DIRECT_PROBE_EVERY = 256;
/** Batches tried while not batching hold at most this many items: enough to tell whether batching pays. */
const PROBE_BATCH = 8;
const WINDOW = 15;
const MIN_SAMPLES = 3;
const PROBE_SINGLES = 4;
const FIRST_WAIT_BACKOFF = 16;
const MAX_WAIT_BACKOFF = 4096;

/** The last WINDOW samples, for a median that one outlier cannot move. */
class RecentSamples {
  readonly #values: number[] = [];
  #next = 0;

  add(value: number): void {
    if (this.#values.length < WINDOW) this.#values.push(value);
    else this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % WINDOW;
  }

  get size(): number {
    return this.#values.length;
  }

  median(): number | undefined {
    if (this.#values.length === 0) return undefined;
    const sorted = [...this.#values].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  }
}

export interface PolicyState {
  /** Median compute ms per item of recent single-item runs; undefined until measured. */
  singleMsPerItem: number | undefined;
  /** The same for runs of two items or more. */
  batchedMsPerItem: number | undefined;
  batchingPays: boolean;
  waitAllowed: boolean;
}

export class BatchPolicy {
  readonly #single = new RecentSamples();
  readonly #batched = new RecentSamples();
  #runs = 0;
  #singlesLeft = 0;
  #batchProbeDue = false;
  #waitBackoff = 0;
  #nextWaitAt = 0;
  readonly #adaptive: boolean;

  constructor(adaptive = true) {
    this.#adaptive = adaptive;
  }

  /** Still measuring both ways before deciding. */
  get #exploring(): boolean {
    return this.#single.size < MIN_SAMPLES || this.#batched.size < MIN_SAMPLES;
  }

  get batchingPays(): boolean {
    if (!this.#adaptive || this.#exploring) return true;
    return (this.#batched.median() as number) <= (this.#single.median() as number) * PAYS_BELOW;
  }

  /** How many items the next run should take at most, given what is queued. */
  /**
   * The next runs are single items sent as they come, without waiting for a run slot (batching does
   * not pay, or a stretch of single items is being measured).
   */
  get unbounded(): boolean {
    return this.#adaptive && (this.#singlesLeft > 0 || !this.batchingPays);
  }

  /** How many items the next run should take at most, given what is queued. */
  nextRunSize(queued: number, maxBatch: number): number {
    const full = Math.min(queued, maxBatch);
    if (!this.#adaptive) return full;
    if (this.#singlesLeft > 0) {
      this.#singlesLeft--;
      return 1;
    }
    if (this.#exploring) {
      if (this.#single.size < MIN_SAMPLES) return this.#startSingles();
      return Math.min(full, PROBE_BATCH);
    }
    if (this.batchingPays) return this.#runs % PROBE_EVERY === PROBE_EVERY - 1 ? this.#startSingles() : full;
    // Not batching: items rarely wait, so a probe that finds one alone waits for the next chance.
    if (this.#runs % DIRECT_PROBE_EVERY === DIRECT_PROBE_EVERY - 1) this.#batchProbeDue = true;
    if (this.#batchProbeDue && queued > 1) {
      this.#batchProbeDue = false;
      return Math.min(full, PROBE_BATCH);
    }
    return 1;
  }

  #startSingles(): number {
    this.#singlesLeft = PROBE_SINGLES - 1;
    return 1;
  }

  /** Whether a free slot should hold a group that is not full yet for up to maxDelayMs. */
  mayWait(): boolean {
    if (!this.batchingPays) return false;
    return !this.#adaptive || this.#runs >= this.#nextWaitAt;
  }

  observeRun(size: number, computeMs: number): void {
    this.#runs++;
    (size === 1 ? this.#single : this.#batched).add(computeMs / size);
  }

  /** A wait ended: `size` items ran after it. */
  observeWait(size: number): void {
    if (size > 1) {
      this.#waitBackoff = 0;
      this.#nextWaitAt = 0;
      return;
    }
    this.#waitBackoff = Math.min(MAX_WAIT_BACKOFF, this.#waitBackoff === 0 ? FIRST_WAIT_BACKOFF : this.#waitBackoff * 2);
    this.#nextWaitAt = this.#runs + this.#waitBackoff;
  }

  state(): PolicyState {
    return {
      singleMsPerItem: this.#single.median(),
      batchedMsPerItem: this.#batched.median(),
      batchingPays: this.batchingPays,
      waitAllowed: this.mayWait(),
    };
  }
}
