/**
 * When batching pays, and when waiting for companions pays. The batcher asks this policy two
 * questions; both answers come from what the batcher measured on this model and this load.
 *
 * 1. Does batching pay? The policy keeps a moving average of compute time per item for single-item
 *    runs and for batched runs. Batching is used while a batched item costs at least 10% less than a
 *    single one (or while either is still unmeasured). Otherwise the batcher runs items one by one as
 *    they come (what a caller without a batcher would do), so a model that gains nothing from
 *    batching (a CNN on a 2-core CPU) loses nothing but the queue's bookkeeping. Every PROBE_EVERY
 *    runs, the other way is tried once, so a change (a hotter CPU, another load) is noticed.
 * 2. Does waiting pay? A run slot that is free does not wait for the batch to fill when waits have
 *    not been drawing companions: a wait that ends with its lone item is a failed wait. After a
 *    failed wait, the next wait is allowed only after twice as many runs as before (up to
 *    MAX_WAIT_BACKOFF), so a lone sequential caller pays maxDelayMs once per thousands of runs.
 *    Items that arrive while every slot is busy still form batches without any wait.
 */

/** Batched items must cost at most this fraction of a single item's compute time. */
const PAYS_BELOW = 0.9;
const PROBE_EVERY = 32;
const FIRST_WAIT_BACKOFF = 16;
const MAX_WAIT_BACKOFF = 4096;
/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;

export interface PolicyState {
  /** Moving average of compute ms per item of single-item runs; undefined until measured. */
  singleMsPerItem: number | undefined;
  /** The same for runs of two items or more. */
  batchedMsPerItem: number | undefined;
  batchingPays: boolean;
  waitAllowed: boolean;
}

export class BatchPolicy {
  #single: number | undefined;
  #batched: number | undefined;
  #runs = 0;
  #waitBackoff = 0;
  #nextWaitAt = 0;
  readonly #adaptive: boolean;

  constructor(adaptive = true) {
    this.#adaptive = adaptive;
  }

  get batchingPays(): boolean {
    if (!this.#adaptive || this.#single === undefined || this.#batched === undefined) return true;
    return this.#batched <= this.#single * PAYS_BELOW;
  }

  /** How many items the next run should take at most, given what is queued. */
  nextRunSize(queued: number, maxBatch: number): number {
    if (!this.#adaptive || queued <= 1) return Math.min(queued, maxBatch);
    const probe = this.#runs % PROBE_EVERY === PROBE_EVERY - 1;
    if (this.batchingPays) return probe || this.#single === undefined ? 1 : Math.min(queued, maxBatch);
    return probe ? Math.min(queued, maxBatch) : 1;
  }

  /** Whether a free slot should hold a group that is not full yet for up to maxDelayMs. */
  mayWait(): boolean {
    if (!this.batchingPays) return false;
    return !this.#adaptive || this.#runs >= this.#nextWaitAt;
  }

  observeRun(size: number, computeMs: number): void {
    this.#runs++;
    const perItem = computeMs / size;
    if (size === 1) this.#single = this.#single === undefined ? perItem : this.#single + ALPHA * (perItem - this.#single);
    else this.#batched = this.#batched === undefined ? perItem : this.#batched + ALPHA * (perItem - this.#batched);
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
    return { singleMsPerItem: this.#single, batchedMsPerItem: this.#batched, batchingPays: this.batchingPays, waitAllowed: this.mayWait() };
  }
}
