/**
 * The CPU backend: ONNX Runtime (onnxruntime-node) with its CPU provider.
 *
 * onnxruntime-node's run() computes synchronously on the calling thread, so a 200 ms inference
 * freezes the event loop for 200 ms. Long runs therefore go to a worker thread that owns its own
 * session; short runs stay on the main thread, where a thread hop would cost more than the run.
 * `runOn: 'auto'` starts on the main thread and moves to a worker the first time a run takes longer
 * than `workerThresholdMs`.
 */
import type * as Ort from 'onnxruntime-node';
import type { Tensor } from '../tensor.js';
import type { Backend, TensorInfo } from './backend.js';
import { type OrtModule, fromOrtTensor, mapOrtError, requireOrt, tensorInfoFromOrt, toOrtTensor } from './ort.js';
import { WorkerRunner } from './cpu-worker-runner.js';

export type RunOn = 'auto' | 'main' | 'worker';
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface CpuBackendOptions {
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  runOn?: RunOn;
  /** With runOn 'auto': a main-thread run longer than this moves the session to a worker. Default 4 ms. */
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

  constructor(private readonly ort: OrtModule, readonly session: Ort.InferenceSession) {}

  async run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const name of Object.keys(feeds)) ortFeeds[name] = toOrtTensor(this.ort, feeds[name]);
    let values: Ort.InferenceSession.OnnxValueMapType;
    this.inFlight++;
    try {
      values = await this.session.run(ortFeeds, outputNames as string[]);
    } catch (error) {
      throw mapOrtError(error, 'run');
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
    const results: Record<string, Tensor> = {};
    for (const name of outputNames) results[name] = fromOrtTensor(values[name] as Ort.Tensor, name);
    return results;
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
  private closed = false;

  private constructor(
    private readonly model: string | Uint8Array,
    private readonly options: CpuBackendOptions,
    runner: Runner,
    inputs: readonly TensorInfo[],
    outputs: readonly TensorInfo[],
  ) {
    this.runner = runner;
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

  async run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[], signal?: AbortSignal): Promise<Record<string, Tensor>> {
    const runner = this.runner;
    if (!(runner instanceof MainThreadRunner)) return runner.run(feeds, outputNames, signal);
    const started = performance.now();
    const results = await runner.run(feeds, outputNames);
    if ((this.options.runOn ?? 'auto') === 'auto' && performance.now() - started > (this.options.workerThresholdMs ?? 4)) this.moveToWorker();
    return results;
  }

  /** Starts a worker in the background; main-thread runs continue until it is ready. */
  private moveToWorker(): void {
    if (this.migration) return;
    const mainRunner = this.runner;
    this.migration = WorkerRunner.start(this.model, ortSessionOptions(this.options)).then(
      async ({ runner }) => {
        if (this.closed) return runner.close();
        this.runner = runner;
        await mainRunner.close();
      },
      // A worker that cannot start (memory, a platform without workers) leaves the session on the main thread.
      () => undefined,
    );
  }

  async dispose(): Promise<void> {
    this.closed = true;
    await this.migration;
    await this.runner.close();
  }
}
