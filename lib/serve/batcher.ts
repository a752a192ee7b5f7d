/**
 * Dynamic batching: concurrent single-item requests are stacked along the first dim into one run of
 * the session and the outputs are split back. See BatchPolicy for when it batches and when it waits.
 *
 * An item is one sample: each input either has the model's rank with a first dim of 1, or has one
 * dim less (no batch dim), and then its outputs come back without the batch dim as well.
 */
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import type { InferenceSession } from '../session.js';
import { Tensor, formatDims } from '../tensor.js';
import { isPlainObject, validateFeeds, validateOutputNames, validatePositiveInteger, validateSignal } from '../validate.js';
import { BatchPolicy, type PolicyState } from './batch-policy.js';
import { DEFAULT_DELAY_MS, DEFAULT_MAX_BATCH, DEFAULT_MAX_QUEUE, batchesAlongFirstDim, validateDelayMs } from './batch-settings.js';
import { type MetricsSnapshot, ServeMetrics, errorCodeOf } from './metrics.js';
import { type PrometheusRegistry, registerServeMetrics } from './prometheus.js';
import { stackRows, takeRow } from './stack.js';

export interface BatcherOptions {
  /** Most items in one run; default 32, lowered to what a TensorRT engine's profiles accept. */
  maxBatchSize?: number;
  /** Longest an item waits for companions while a run slot is free; default 2 ms. */
  maxDelayMs?: number;
  /** Items waiting beyond this are refused at once with ERR_QUEUE_FULL; default 1024. */
  maxQueue?: number;
  /** Runs in flight at once; default the session's concurrency (the TensorRT context pool's size, 2 on the CPU). */
  concurrency?: number;
  /** Choose between batching and running items one by one from measurements (default true). */
  adaptive?: boolean;
  /** The model's name in metrics; default "model". */
  model?: string;
}

export interface BatchRunOptions {
  /** Output names to return; default all. Items asking for different outputs run in different batches. */
  outputs?: readonly string[];
  signal?: AbortSignal;
}

interface Item {
  feeds: Record<string, Tensor>;
  /** The item came without a batch dim: its outputs drop it too. */
  unbatched: boolean;
  outputs: readonly string[];
  key: string;
  arrived: number;
  resolve: (value: Record<string, Tensor>) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

interface Group {
  key: string;
  items: Item[];
  /** The wait timer is running for this group's oldest item. */
  waiting: boolean;
}

/** Whether a run may hold several items: every input and output has a dynamic first dim. */
function modelBatches(session: InferenceSession): boolean {
  return batchesAlongFirstDim(session.inputs, session.outputs);
}

export class Batcher implements AsyncDisposable {
  readonly session: InferenceSession;
  readonly maxBatchSize: number;
  readonly maxDelayMs: number;
  readonly maxQueue: number;
  readonly concurrency: number;
  /** Most items sent on without a run slot: within maxQueue and what the backend queues itself. */
  readonly #unboundedLimit: number;
  readonly #policy: BatchPolicy;
  readonly #metrics: ServeMetrics;
  /** Groups of items that can share a run, oldest first. */
  readonly #groups = new Map<string, Group>();
  #queued = 0;
  #inFlight = 0;
  #itemsInFlight = 0;
  #batching: boolean;
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;
  #closing: Promise<void> | undefined;
  /** When the last run finished: runs that overlap are charged only for the time they added. */
  #lastFinish = 0;
  #drained: (() => void) | undefined;

  constructor(session: InferenceSession, options: BatcherOptions = {}) {
    if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
    const capacity = session.capacity;
    const asked = validatePositiveInteger(options.maxBatchSize, 'options.maxBatchSize') ?? DEFAULT_MAX_BATCH;
    this.session = session;
    this.#batching = modelBatches(session);
    this.maxBatchSize = this.#batching ? Math.max(1, Math.min(asked, capacity.maxBatch ?? asked)) : 1;
    this.maxDelayMs = validateDelayMs(options.maxDelayMs ?? DEFAULT_DELAY_MS, 'options.maxDelayMs');
    this.maxQueue = validatePositiveInteger(options.maxQueue, 'options.maxQueue') ?? DEFAULT_MAX_QUEUE;
    this.concurrency = validatePositiveInteger(options.concurrency, 'options.concurrency') ?? capacity.concurrency;
    if (options.adaptive !== undefined && typeof options.adaptive !== 'boolean')
      throw invalidArgument('a boolean', 'options.adaptive', options.adaptive);
    if (options.model !== undefined && typeof options.model !== 'string') throw invalidArgument('a string', 'options.model', options.model);
    this.#policy = new BatchPolicy(options.adaptive ?? true);
    this.#unboundedLimit = Math.max(1, Math.min(this.maxQueue, capacity.concurrency + capacity.queue));
    this.#metrics = new ServeMetrics({ model: options.model ?? 'model', backend: session.backend, source: 'batcher' });
  }

  /** Items waiting for a run. */
  get queued(): number {
    return this.#queued;
  }

  /** Runs in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** What the adaptive policy has measured and decided. */
  get policy(): PolicyState {
    return this.#policy.state();
  }

  /** Runs one item; concurrent items share runs. */
  run(feeds: Readonly<Record<string, Tensor>>, options?: BatchRunOptions): Promise<Record<string, Tensor>> {
    try {
      return this.#enqueue(feeds, options);
    } catch (error) {
      this.#metrics.recordError(errorCodeOf(error));
      return Promise.reject(error);
    }
  }

  metrics(): MetricsSnapshot {
    const snapshot = this.#metrics.snapshot();
    snapshot.queued = this.#queued;
    snapshot.inFlight = this.#inFlight;
    return snapshot;
  }

  /** Exports this batcher's metrics to a prom-client Registry (names in the README). */
  registerMetrics(registry: PrometheusRegistry): Promise<() => void> {
    return registerServeMetrics(registry, this.#metrics);
  }

  /**
   * Stops taking items (later run() calls reject with ERR_DISPOSED), lets every queued and running
   * item finish, then resolves. The session stays open: it belongs to the caller.
   */
  dispose(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#drained = resolve;
      this.#schedule();
      this.#checkDrained();
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #enqueue(feeds: Readonly<Record<string, Tensor>>, options: BatchRunOptions | undefined): Promise<Record<string, Tensor>> {
    if (this.#closing) throw new TensorRTNodeError(ErrorCode.DISPOSED, 'Expected a live batcher for run() but it was disposed');
    if (options !== undefined && !isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
    const signal = validateSignal(options?.signal);
    const outputs = validateOutputNames(this.session.outputs, options?.outputs);
    const { batched, unbatched } = this.#toBatchItem(feeds);
    if (signal?.aborted) throw abortError(signal);
    if (this.#queued >= this.maxQueue) {
      throw new TensorRTNodeError(
        ErrorCode.QUEUE_FULL,
        `Expected at most ${this.maxQueue} queued items (options.maxQueue) but received one more; retry later`,
      );
    }
    // Items share a run only when every non-batch dim and the asked-for outputs agree.
    const key =
      this.session.inputs.map((info) => (batched[info.name] as Tensor).dims.slice(1).join('x')).join(';') + '|' + outputs.join(',');
    return new Promise<Record<string, Tensor>>((resolve, reject) => {
      const item: Item = {
        feeds: batched,
        unbatched,
        outputs,
        key,
        arrived: performance.now(),
        resolve,
        reject,
        signal,
        onAbort: undefined,
        settled: false,
      };
      if (signal) {
        item.onAbort = () => this.#abortQueued(item);
        signal.addEventListener('abort', item.onAbort, { once: true });
      }
      let group = this.#groups.get(key);
      if (group === undefined) {
        group = { key, items: [], waiting: false };
        this.#groups.set(key, group);
      }
      group.items.push(item);
      this.#queued++;
      this.#metrics.queued = this.#queued;
      this.#schedule();
    });
  }

  /** Gives every input a batch dim of 1 and checks it against the model like session.run() would. */
  #toBatchItem(feeds: Readonly<Record<string, Tensor>>): { batched: Record<string, Tensor>; unbatched: boolean } {
    if (!isPlainObject(feeds)) throw invalidArgument('an object mapping input names to Tensors', 'feeds', feeds);
    if (!this.#batching) return { batched: validateFeeds(this.session.inputs, feeds), unbatched: false };
    const batched: Record<string, Tensor> = {};
    let unbatched: boolean | undefined;
    for (const info of this.session.inputs) {
      const feed = (feeds as Record<string, unknown>)[info.name];
      if (!(feed instanceof Tensor)) continue; // validateFeeds names what is missing or wrong
      const bare = feed.dims.length === info.shape.length - 1;
      if (unbatched !== undefined && unbatched !== bare) {
        throw new TensorRTNodeError(
          ErrorCode.SHAPE_MISMATCH,
          `Expected every input of one item with a batch dim of 1 or every input without one for input "${info.name}" but received dims ${formatDims(feed.dims)}`,
        );
      }
      unbatched = bare;
      if (!bare && feed.dims.length === info.shape.length && feed.dims[0] !== 1) {
        throw new TensorRTNodeError(
          ErrorCode.SHAPE_MISMATCH,
          `Expected one item (batch dim 1, or no batch dim) for input "${info.name}" but received dims ${formatDims(feed.dims)}`,
        );
      }
      batched[info.name] = bare ? feed.reshape([1, ...feed.dims]) : feed;
    }
    for (const name of Object.keys(feeds)) if (!(name in batched)) batched[name] = (feeds as Record<string, Tensor>)[name] as Tensor;
    return { batched: validateFeeds(this.session.inputs, batched), unbatched: unbatched ?? false };
  }

  #abortQueued(item: Item): void {
    const group = this.#groups.get(item.key);
    const at = group ? group.items.indexOf(item) : -1;
    if (group && at >= 0) {
      group.items.splice(at, 1);
      if (group.items.length === 0) this.#groups.delete(group.key);
      this.#queued--;
      this.#metrics.queued = this.#queued;
      this.#fail(item, abortError(item.signal as AbortSignal));
      this.#checkDrained();
      return;
    }
    // Already running: the run cannot be taken back, but the caller stops waiting for it.
    this.#fail(item, abortError(item.signal as AbortSignal));
  }

  /** Runs the scheduler once the current turn of the event loop is over, so callers answered by one run can queue again first. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const now = performance.now();
    let nextDeadline = Infinity;
    while (this.#queued > 0) {
      // Single items that gain nothing from waiting go as they come, like calls without a batcher;
      // only maxQueue bounds them. Batches wait for a run slot.
      const unbounded = !this.#batching || this.#policy.unbounded;
      if (unbounded ? this.#itemsInFlight >= this.#unboundedLimit : this.#inFlight >= this.concurrency) break;
      const group = this.#oldestGroup();
      if (group === undefined) break;
      const full = group.items.length >= this.maxBatchSize;
      const deadline = (group.items[0] as Item).arrived + this.maxDelayMs;
      const overdue = now >= deadline;
      if (!unbounded && !full && !overdue && !this.#closing && this.#policy.mayWait()) {
        group.waiting = true;
        nextDeadline = deadline;
        break;
      }
      const size = this.#policy.nextRunSize(group.items.length, this.#batching ? this.maxBatchSize : 1);
      if (group.waiting) this.#policy.observeWait(size);
      group.waiting = false;
      const items = group.items.splice(0, size);
      if (group.items.length === 0) this.#groups.delete(group.key);
      this.#queued -= items.length;
      this.#metrics.queued = this.#queued;
      void this.#runBatch(items);
    }
    if (nextDeadline !== Infinity) this.#timer = setTimeout(() => this.#dispatch(), Math.max(0, nextDeadline - now));
  }

  /** The group whose first item has waited longest. */
  #oldestGroup(): Group | undefined {
    let oldest: Group | undefined;
    for (const group of this.#groups.values()) {
      if (oldest === undefined || (group.items[0] as Item).arrived < (oldest.items[0] as Item).arrived) oldest = group;
    }
    return oldest;
  }

  async #runBatch(items: Item[]): Promise<void> {
    this.#inFlight++;
    this.#itemsInFlight += items.length;
    this.#metrics.inFlight = this.#inFlight;
    const started = performance.now();
    for (const item of items) if (item.signal && item.onAbort) item.signal.removeEventListener('abort', item.onAbort);
    // Items whose signal fired before the run starts never compute.
    const live = items.filter((item) => {
      if (item.signal?.aborted && !item.settled) this.#fail(item, abortError(item.signal));
      return !item.settled;
    });
    for (const item of live)
      if (item.signal)
        item.signal.addEventListener('abort', (item.onAbort = () => this.#fail(item, abortError(item.signal as AbortSignal))), {
          once: true,
        });
    try {
      if (live.length === 1) await this.#runAlone(live[0] as Item, started);
      else if (live.length > 1) await this.#runTogether(live, started);
    } finally {
      for (const item of live) if (item.signal && item.onAbort) item.signal.removeEventListener('abort', item.onAbort);
      this.#inFlight--;
      this.#itemsInFlight -= items.length;
      this.#metrics.inFlight = this.#inFlight;
      this.#schedule();
      this.#checkDrained();
    }
  }

  async #runAlone(item: Item, started: number): Promise<void> {
    try {
      const results = await this.session.run(item.feeds, { outputs: item.outputs });
      const computeMs = performance.now() - started;
      this.#policy.observeRun(1, this.#serviceMs(started));
      this.#metrics.recordBatch(1);
      const out: Record<string, Tensor> = {};
      for (const [name, tensor] of Object.entries(results))
        out[name] = item.unbatched && tensor.dims[0] === 1 ? takeRow(tensor, 0, false) : tensor;
      this.#succeed(item, out, started, computeMs);
    } catch (error) {
      this.#fail(item, error);
    }
  }

  async #runTogether(items: Item[], started: number): Promise<void> {
    const first = items[0] as Item;
    const feeds: Record<string, Tensor> = {};
    for (const info of this.session.inputs) feeds[info.name] = stackRows(items.map((item) => item.feeds[info.name] as Tensor));
    let results: Record<string, Tensor>;
    try {
      results = await this.session.run(feeds, { outputs: first.outputs });
    } catch (error) {
      const code = errorCodeOf(error);
      if (code === ErrorCode.DISPOSED) {
        for (const item of items) this.#fail(item, error);
        return;
      }
      // One item's bad data must not fail its neighbours: each runs alone and meets its own fate.
      for (const item of items) if (!item.settled) await this.#runAlone(item, performance.now());
      return;
    }
    const computeMs = performance.now() - started;
    const n = items.length;
    if (!Object.values(results).every((tensor) => tensor.dims[0] === n)) {
      // The model's outputs do not follow the batch (a symbolic first dim that is not the batch):
      // stop batching it, and give these items results from runs of their own.
      this.#batching = false;
      for (const item of items) if (!item.settled) await this.#runAlone(item, performance.now());
      return;
    }
    this.#policy.observeRun(n, this.#serviceMs(started));
    this.#metrics.recordBatch(n);
    items.forEach((item, row) => {
      const out: Record<string, Tensor> = {};
      for (const [name, tensor] of Object.entries(results)) out[name] = takeRow(tensor, row, !item.unbatched);
      this.#succeed(item, out, started, computeMs);
    });
  }

  /**
   * The time a run added to the work, for the policy: its wall time, less the part it spent behind
   * another run (a second run in flight on a backend that computes one at a time waits in its queue).
   */
  #serviceMs(started: number): number {
    const now = performance.now();
    const service = now - Math.max(started, this.#lastFinish);
    this.#lastFinish = now;
    return service;
  }

  #succeed(item: Item, results: Record<string, Tensor>, started: number, computeMs: number): void {
    if (item.settled) return;
    item.settled = true;
    this.#metrics.recordItem(started - item.arrived, computeMs, performance.now() - item.arrived);
    item.resolve(results);
  }

  #fail(item: Item, error: unknown): void {
    if (item.settled) return;
    item.settled = true;
    this.#metrics.recordError(errorCodeOf(error));
    item.reject(error);
  }

  #checkDrained(): void {
    if (this.#drained && this.#queued === 0 && this.#inFlight === 0) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#drained();
      this.#drained = undefined;
    }
  }
}

/** A batcher over `session`; see Batcher. */
export function createBatcher(session: InferenceSession, options?: BatcherOptions): Batcher {
  return new Batcher(session, options);
}
