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
import { abortError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Backend, TensorInfo } from './backend.js';
import { type OrtModule, fromOrtTensor, mapOrtError, requireOrt, tensorInfoFromOrt, toOrtTensor } from './ort.js';
import { WorkerRunner } from './cpu-worker-runner.js';
import { WorkerMovePolicy } from './run-on-policy.js';

export type RunOn = 'auto' | 'main' | 'worker';
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface CpuBackendOptions {
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  runOn?: RunOn;
  /** With runOn 'auto': main-thread runs reliably longer than this move the session to a worker. Default 4 ms. */
  workerThresholdMs?: number;
}

export interface Runner {
  run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[], signal?: AbortSignal): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
}

/** Runs on the calling thread: no hop, no copy, but blocks the event loop for the whole inference. */
class MainThreadRunner implements Runner {
  private inFlight = 0;
  private idle: (() => void) | undefined;
  /** Told each successful run's duration (runOn 'auto' decides from it whether to move to a worker). */
  observer: ((elapsedMs: number) => void) | undefined;

  constructor(private readonly ort: OrtModule, readonly session: Ort.InferenceSession) {}

  // Promise callbacks rather than async/await: a tiny model runs in ~10 us, and each async layer adds
  // a promise and a tick to every call.
  run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const name of Object.keys(feeds)) ortFeeds[name] = toOrtTensor(this.ort, feeds[name]);
    this.inFlight++;
    const started = this.observer ? performance.now() : 0;
    return this.session.run(ortFeeds, outputNames as string[]).then(
      (values) => {
        this.settled();
        this.observer?.(performance.now() - started);
        const results: Record<string, Tensor> = {};
        for (const name of outputNames) results[name] = fromOrtTensor(values[name] as Ort.Tensor, name);
        return results;
      },
      (error: unknown) => {
        this.settled();
        throw mapOrtError(error, 'run');
      },
    );
  }

  private settled(): void {
    if (--this.inFlight === 0) this.idle?.();
  }

  /**
   * onnxruntime-node's run() starts its work in a setImmediate, so a run can be pending here when the
   * session moves to a worker: releasing the session then would fail that run ("Session already
   * disposed"). Close waits for the runs already started.
   */
  async close(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    return this.session.release();
  }
}

export function ortSessionOptions(options: CpuBackendOptions): Ort.InferenceSession.SessionOptions {
  // Only what the caller set: unset options keep ONNX Runtime's own defaults, so results match raw ORT.
  const sessionOptions: Ort.InferenceSession.SessionOptions = {};
  if (options.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined) {
    sessionOptions.interOpNumThreads = options.interOpThreads;
    sessionOptions.executionMode = options.interOpThreads > 1 ? 'parallel' : 'sequential';
  }
  if (options.graphOptimizationLevel !== undefined) sessionOptions.graphOptimizationLevel = options.graphOptimizationLevel;
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
      const { runner, inputs, outputs } = await WorkerRunner.start(model, sessionOptions);
      return new CpuBackend(model, options, runner, inputs.map(tensorInfoFromOrt), outputs.map(tensorInfoFromOrt));
    }
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model as string, sessionOptions);
    } catch (error) {
      throw mapOrtError(error, 'load');
    }
    try {
      return new CpuBackend(model, options, new MainThreadRunner(ort, session), session.inputMetadata.map(tensorInfoFromOrt), session.outputMetadata.map(tensorInfoFromOrt));
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** Where runs execute now: 'main' or 'worker'. */
  get runningOn(): 'main' | 'worker' {
    return this.runner instanceof MainThreadRunner ? 'main' : 'worker';
  }

  run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[], signal?: AbortSignal): Promise<Record<string, Tensor>> {
    const runner = this.runner;
    if (!(runner instanceof MainThreadRunner)) return runner.run(feeds, outputNames, signal);
    if (this.moving) {
      // A model slow enough to move waits for its worker (its model load) rather than blocking the
      // event loop for every run until then.
      return (this.migration as Promise<void>).then(() => {
        if (signal?.aborted) throw abortError(signal);
        return this.run(feeds, outputNames, signal);
      });
    }
    return runner.run(feeds, outputNames);
  }

  /** Starts a worker in the background; runs wait for it, or stay on the main thread if it cannot start. */
  private moveToWorker(): void {
    if (this.migration) return;
    const mainRunner = this.runner;
    this.moving = true;
    this.migration = WorkerRunner.start(this.model, ortSessionOptions(this.options)).then(
      async ({ runner }) => {
        this.moving = false;
        if (this.closed) return runner.close();
        this.runner = runner;
        await mainRunner.close();
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
