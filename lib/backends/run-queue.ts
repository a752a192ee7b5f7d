/**
 * The CPU backend's runs, one at a time in arrival order. ONNX Runtime computes a run without a way
 * to stop it (onnxruntime-node passes no `terminate` run option through, and a run blocks the thread
 * it computes on), so cancellation has to happen before a run reaches ORT: a run whose signal fires
 * while it waits leaves the queue and never computes. A run that has started rejects at once; the
 * queue still waits for ORT to finish it before starting the next, since ORT's thread is busy anyway.
 */
import { ErrorCode, TensorRTNodeError, abortError } from '../errors.js';
import { onAbort } from '../util/abort-listeners.js';

interface Job {
  readonly start: () => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Frees what the job holds (staged input copies) when it leaves without starting. */
  readonly discard: (() => void) | undefined;
  unsubscribe: () => void;
  settled: boolean;
}

const noop = (): void => {};

export class RunQueue {
  private readonly waiting: Job[] = [];
  private active: Job | undefined;
  private idleWaiters: (() => void)[] = [];
  private started = 0;

  /**
   * @param maxQueue most runs that may wait while one runs; more reject with ERR_QUEUE_FULL
   * @param onBusyChange told true when the first run starts and false when the last one finishes
   */
  constructor(
    private readonly maxQueue: number,
    private readonly what: string,
    private readonly onBusyChange: (busy: boolean) => void = noop,
  ) {}

  /** Runs handed to ONNX Runtime so far (every started run computes; aborted waiting runs do not). */
  get computed(): number {
    return this.started;
  }

  /** Runs waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Calls `start` when every earlier run has finished (at once, synchronously, when none is
   * running), unless `signal` fires first; `discard` is called instead when the run leaves unstarted.
   */
  enqueue<T>(start: () => Promise<T>, signal?: AbortSignal, discard?: () => void): Promise<T> {
    if (this.active !== undefined && this.waiting.length >= this.maxQueue) {
      discard?.();
      return Promise.reject(
        new TensorRTNodeError(
          ErrorCode.QUEUE_FULL,
          `Expected at most ${this.maxQueue} runs waiting for ${this.what} but received one more; wait for runs to settle or raise maxQueue`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = { start, resolve: resolve as (value: unknown) => void, reject, discard, unsubscribe: noop, settled: false };
      if (signal !== undefined) job.unsubscribe = onAbort(signal, () => this.abort(job, signal));
      if (this.active === undefined) {
        this.onBusyChange(true);
        this.begin(job);
      } else {
        this.waiting.push(job);
      }
    });
  }

  private begin(job: Job): void {
    this.active = job;
    this.started++;
    let running: Promise<unknown>;
    try {
      running = job.start();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => this.finish(job, () => job.resolve(value)),
      (error: unknown) => this.finish(job, () => job.reject(error)),
    );
  }

  private finish(job: Job, settle: () => void): void {
    if (!job.settled) {
      job.settled = true;
      job.unsubscribe();
      settle();
    }
    this.active = undefined;
    const next = this.waiting.shift();
    if (next !== undefined) return this.begin(next);
    this.onBusyChange(false);
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private abort(job: Job, signal: AbortSignal): void {
    if (job.settled) return;
    job.settled = true;
    const index = this.waiting.indexOf(job);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      job.discard?.();
    }
    job.reject(abortError(signal));
  }

  /** Rejects every waiting run with `error` (the running one settles on its own). */
  failWaiting(error: unknown): void {
    for (const job of this.waiting.splice(0)) {
      job.settled = true;
      job.unsubscribe();
      job.discard?.();
      job.reject(error);
    }
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.active === undefined && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
