/**
 * The CPU backend: ONNX Runtime (onnxruntime-node) with its CPU provider.
 *
 * onnxruntime-node's run() computes synchronously on the calling thread, so a 200 ms inference
 * freezes the event loop for 200 ms. Long runs therefore go to a worker thread that owns its own
 * session; short runs stay on the main thread, where a thread hop would cost more than the run.
 * `runOn: 'auto'` starts on the main thread and moves to a worker once runs are reliably longer
 * than `workerThresholdMs` (see WorkerMovePolicy); runs issued while the worker starts wait for it.
 */
import type * as Ort from 'onnxruntime-node';
import { ErrorCode, TensorRTNodeError, abortError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { onAbort } from '../util/abort-listeners.js';
import { copyIntoOutputBuffers } from './output-buffers.js';
import { setEntry } from '../util/records.js';
import type { Backend, TensorInfo } from './backend.js';
import { type OrtModule, defaultOrtLogLevel, fromOrtTensor, mapOrtError, requireOrt, tensorInfoFromOrt, toOrtTensor } from './ort.js';
import { type OrtLogLevel, ortLogSeverity } from './ort-log-level.js';
import { WorkerRunner } from './cpu-worker-runner.js';
import type { Runner } from './runner.js';
import { RunQueue } from './run-queue.js';
import { WorkerMovePolicy } from './run-on-policy.js';

function maxQueueOf(options: CpuBackendOptions): number {
  return options.maxQueue ?? Number.POSITIVE_INFINITY;
}

/** Copies of the feeds' data, for runs that wait: the caller may reuse its arrays once run() returns. */
function copyFeeds(feeds: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const copies: Record<string, Tensor> = {};
  for (const name of Object.keys(feeds)) {
    const tensor = feeds[name];
    setEntry(copies, name, new Tensor(tensor.dtype, tensor.data.slice() as Tensor['data'], tensor.dims, { name }));
  }
  return copies;
}

export type RunOn = 'auto' | 'main' | 'worker';
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface CpuBackendOptions {
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  runOn?: RunOn;
  /** With runOn 'auto': main-thread runs reliably longer than this move the session to a worker. Default 4 ms. */
  workerThresholdMs?: number;
  /** Most runs that may wait while one computes; more reject with ERR_QUEUE_FULL. Default unlimited. */
  maxQueue?: number;
  /** The least severe ONNX Runtime log messages printed for this session. Default: ONNX Runtime's ('warning'). */
  logLevel?: OrtLogLevel;
}

/**
 * Runs on the calling thread: no hop, but blocks the event loop for the whole inference. Runs go
 * to ONNX Runtime one at a time (RunQueue), so a run aborted while it waits never computes.
 */
class MainThreadRunner implements Runner {
  private readonly queue: RunQueue;
  /** Told each successful run's duration (runOn 'auto' decides from it whether to move to a worker). */
  observer: ((elapsedMs: number) => void) | undefined;

  constructor(
    private readonly ort: OrtModule,
    readonly session: Ort.InferenceSession,
    maxQueue: number,
  ) {
    this.queue = new RunQueue(maxQueue, 'the CPU backend');
  }

  get computed(): number {
    return this.queue.computed;
  }

  // Promise callbacks rather than async/await: a tiny model runs in ~10 us, and each async layer adds
  // a promise and a tick to every call.
  run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[], signal?: AbortSignal): Promise<Record<string, Tensor>> {
    // onnxruntime-node reads the inputs in a later tick (its run starts in a setImmediate), and a
    // queued run later still: copy them now, so that a caller may reuse its arrays once run()
    // returns, as on every other backend.
    const ortFeeds: Record<string, Ort.Tensor> = {};
    try {
      for (const name of Object.keys(feeds)) setEntry(ortFeeds, name, toOrtTensor(this.ort, feeds[name], { copy: true }));
    } catch (error) {
      return Promise.reject(mapOrtError(error, 'run'));
    }
    return this.queue.enqueue(() => this.compute(ortFeeds, outputNames), signal);
  }

  private compute(ortFeeds: Record<string, Ort.Tensor>, outputNames: readonly string[]): Promise<Record<string, Tensor>> {
    const started = this.observer ? performance.now() : 0;
    return this.session.run(ortFeeds, outputNames as string[]).then(
      (values) => {
        this.observer?.(performance.now() - started);
        const results: Record<string, Tensor> = {};
        for (const name of outputNames) setEntry(results, name, fromOrtTensor(values[name] as Ort.Tensor, name));
        return results;
      },
      (error: unknown) => {
        throw mapOrtError(error, 'run');
      },
    );
  }

  /**
   * onnxruntime-node's run() starts its work in a setImmediate, so a run can be pending here when the
   * session moves to a worker: releasing the session then would fail that run ("Session already
   * disposed"). Close waits for the runs already started or queued.
   */
  async close(): Promise<void> {
    await this.queue.idle();
    return this.session.release();
  }
}

function ortSessionOptions(options: CpuBackendOptions): Ort.InferenceSession.SessionOptions {
  // Only what the caller set: unset options keep ONNX Runtime's own defaults, so results match raw ORT.
  const sessionOptions: Ort.InferenceSession.SessionOptions = {};
  if (options.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined) {
    sessionOptions.interOpNumThreads = options.interOpThreads;
    sessionOptions.executionMode = options.interOpThreads > 1 ? 'parallel' : 'sequential';
  }
  if (options.graphOptimizationLevel !== undefined) sessionOptions.graphOptimizationLevel = options.graphOptimizationLevel;
  const logLevel = options.logLevel ?? defaultOrtLogLevel();
  if (logLevel !== undefined) sessionOptions.logSeverityLevel = ortLogSeverity(logLevel);
  return sessionOptions;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  private runner: Runner;
  private migration: Promise<void> | undefined;
  /** A worker is starting: runs wait for it. */
  private moving = false;
  /** Runs waiting for the worker to start (they count against maxQueue). */
  private waitingForWorker = 0;
  /** Runs computed by runners this backend has left behind (a main thread runner, after a move). */
  private computedBefore = 0;
  private closed = false;

  private constructor(
    private readonly model: string | Uint8Array,
    private readonly options: CpuBackendOptions,
    runner: Runner,
    inputs: readonly TensorInfo[],
    outputs: readonly TensorInfo[],
  ) {
    this.runner = runner;
    if (runner instanceof MainThreadRunner && (options.runOn ?? 'auto') === 'auto') {
      const policy = new WorkerMovePolicy(options.workerThresholdMs ?? 4);
      runner.observer = (elapsedMs) => {
        if (policy.record(elapsedMs)) {
          runner.observer = undefined;
          this.moveToWorker();
        }
      };
    }
    this.inputs = inputs;
    this.outputs = outputs;
  }

  static async create(model: string | Uint8Array, options: CpuBackendOptions = {}): Promise<CpuBackend> {
    const ort = requireOrt();
    const sessionOptions = ortSessionOptions(options);
    if (options.runOn === 'worker') {
      const { runner, inputs, outputs } = await WorkerRunner.start(model, sessionOptions, maxQueueOf(options));
      return new CpuBackend(model, options, runner, inputs.map(tensorInfoFromOrt), outputs.map(tensorInfoFromOrt));
    }
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model as string, sessionOptions);
    } catch (error) {
      throw mapOrtError(error, 'load');
    }
    try {
      return new CpuBackend(
        model,
        options,
        new MainThreadRunner(ort, session, maxQueueOf(options)),
        session.inputMetadata.map(tensorInfoFromOrt),
        session.outputMetadata.map(tensorInfoFromOrt),
      );
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** Where runs execute now: 'main' or 'worker'. */
  get runningOn(): 'main' | 'worker' {
    return this.runner instanceof MainThreadRunner ? 'main' : 'worker';
  }

  /** Runs handed to ONNX Runtime so far, on whichever thread; runs aborted while waiting are not among them. */
  get computedRuns(): number {
    return this.computedBefore + this.runner.computed;
  }

  run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    signal?: AbortSignal,
    outputBuffers?: Readonly<Record<string, Tensor>>,
  ): Promise<Record<string, Tensor>> {
    const run = this.moving ? this.runAfterMove(feeds, outputNames, signal) : this.runner.run(feeds, outputNames, signal);
    if (outputBuffers === undefined || Object.keys(outputBuffers).length === 0) return run;
    return run.then((results) => copyIntoOutputBuffers(results, outputBuffers));
  }

  /**
   * A model slow enough to move waits for its worker (its model load) rather than blocking the
   * event loop for every run until then. Like any queued run, it copies its inputs now and leaves
   * at once when its signal fires.
   */
  private runAfterMove(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    signal?: AbortSignal,
  ): Promise<Record<string, Tensor>> {
    const maxQueue = maxQueueOf(this.options);
    if (this.waitingForWorker >= maxQueue) {
      return Promise.reject(
        new TensorRTNodeError(
          ErrorCode.QUEUE_FULL,
          `Expected at most ${maxQueue} runs waiting for the CPU backend but received one more; wait for runs to settle or raise maxQueue`,
        ),
      );
    }
    let copies: Record<string, Tensor>;
    try {
      copies = copyFeeds(feeds);
    } catch (error) {
      return Promise.reject(mapOrtError(error, 'run'));
    }
    this.waitingForWorker++;
    return new Promise((resolve, reject) => {
      let left = false;
      const unsubscribe = signal
        ? onAbort(signal, () => {
            left = true;
            reject(abortError(signal));
          })
        : () => {};
      (this.migration as Promise<void>).then(() => {
        this.waitingForWorker--;
        unsubscribe();
        if (!left) this.run(copies, outputNames, signal).then(resolve, reject);
      });
    });
  }

  /**
   * Ends runOn 'auto': waits for a move to a worker already under way, then keeps runs on the thread
   * they run on now. Called after warm-up, so that the runs after it (a benchmark's timed iterations,
   * a server's traffic) never pay for the worker's model load or run in two places.
   */
  async settlePlacement(): Promise<'main' | 'worker'> {
    if (this.runner instanceof MainThreadRunner) this.runner.observer = undefined;
    await this.migration;
    return this.runningOn;
  }

  /** Starts a worker in the background; runs wait for it, or stay on the main thread if it cannot start. */
  private moveToWorker(): void {
    if (this.migration) return;
    const mainRunner = this.runner;
    this.moving = true;
    this.migration = WorkerRunner.start(this.model, ortSessionOptions(this.options), maxQueueOf(this.options)).then(
      async ({ runner }) => {
        this.moving = false;
        if (this.closed) return runner.close();
        this.runner = runner;
        await mainRunner.close();
        this.computedBefore += mainRunner.computed;
      },
      // A worker that cannot start (memory, a platform without workers) leaves the session on the main thread.
      () => {
        this.moving = false;
      },
    );
  }

  async dispose(): Promise<void> {
    this.closed = true;
    await this.migration;
    await this.runner.close();
  }
}
