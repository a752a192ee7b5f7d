/**
 * The main-thread side of the CPU backend's worker thread (lib/backends/cpu-worker.cjs).
 * Inputs are copied when run() is called: large ones into a pool buffer (StagingPool), small ones
 * into a fresh buffer, and either is transferred to the worker without another copy. Outputs come
 * back by transfer, without a copy.
 */
import { Worker } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';
import { dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Runner } from './runner.js';
import { fromOrtTensor, mapOrtError, ortEntryPath } from './ort.js';
import { setEntry } from '../util/records.js';
import { RunQueue } from './run-queue.js';
import { StagingPool } from './staging-pool.js';

interface WireTensor {
  type: string;
  dims: readonly number[];
  data: Tensor['data'];
  /** The data is in a transferred StagingPool buffer that the worker sends back. */
  staged?: true;
}

interface Pending {
  resolve(results: Record<string, Tensor>): void;
  reject(error: unknown): void;
  outputNames: readonly string[];
}

type ReadyMessage =
  | { type: 'ready'; inputs: Ort.InferenceSession.ValueMetadata[]; outputs: Ort.InferenceSession.ValueMetadata[] }
  | { type: 'load-error'; error: { message: string } };

type RunReply = ({ id: number; results: Record<string, WireTensor> } | { id: number; error: { message: string } }) & {
  staged?: ArrayBuffer[];
};

/** From this size on, inputs are copied into a transferred pool buffer (StagingPool) rather than a fresh one. */
const STAGE_FROM_BYTES = 16 * 1024;

/** A run's inputs, copied when run() is called and sent when its turn comes. */
interface PreparedRun {
  feeds: Record<string, WireTensor>;
  transfer: ArrayBuffer[];
  /** The pool buffers among `transfer`, to give back if the run never reaches the worker. */
  staged: ArrayBuffer[];
}

export class WorkerRunner implements Runner {
  private readonly pending = new Map<number, Pending>();
  private readonly staging = new StagingPool();
  private readonly queue: RunQueue;
  private nextId = 1;
  private failure: TensorRTNodeError | undefined;
  private exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    maxQueue: number,
  ) {
    // Runs go to the worker one at a time: the rest wait here, where an abort can still take them
    // back. The worker is ref'd only while a run is out, so an idle one never keeps the process alive.
    this.queue = new RunQueue(maxQueue, "the CPU backend's worker thread", (busy) => (busy ? worker.ref() : worker.unref()));
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: RunReply) => this.settle(reply));
    worker.on('error', (error) =>
      this.fail(
        new TensorRTNodeError(ErrorCode.INFERENCE_FAILED, `The CPU backend's worker thread failed: ${error.message}`, { cause: error }),
      ),
    );
    worker.on('exit', (code) =>
      this.fail(new TensorRTNodeError(ErrorCode.INFERENCE_FAILED, `The CPU backend's worker thread exited (code ${code})`)),
    );
    worker.unref();
  }

  static async start(model: string | Uint8Array, sessionOptions: Ort.InferenceSession.SessionOptions, maxQueue = Number.POSITIVE_INFINITY) {
    const worker = new Worker(new URL('./cpu-worker.cjs', import.meta.url), {
      workerData: { ortPath: ortEntryPath(), model, sessionOptions },
    });
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((error: unknown) => ({
      type: 'load-error' as const,
      error: { message: error instanceof Error ? error.message : String(error) },
    }));
    if (ready.type === 'load-error') {
      await worker.terminate();
      throw mapOrtError(new Error(ready.error.message), 'load');
    }
    return { runner: new WorkerRunner(worker, maxQueue), inputs: ready.inputs, outputs: ready.outputs };
  }

  get computed(): number {
    return this.queue.computed;
  }

  run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[], signal?: AbortSignal): Promise<Record<string, Tensor>> {
    if (this.failure) return Promise.reject(this.failure);
    let prepared: PreparedRun;
    try {
      prepared = this.prepare(feeds);
    } catch (error) {
      return Promise.reject(
        new TensorRTNodeError(
          ErrorCode.INVALID_ARGUMENT,
          `Expected inputs that can be copied for the CPU backend's worker thread but copying failed: ${(error as Error).message}`,
          { cause: error },
        ),
      );
    }
    return this.queue.enqueue(
      () => this.send(prepared, outputNames),
      signal,
      () => this.staging.release(prepared.staged),
    );
  }

  /**
   * Copies the inputs now (the caller may reuse its arrays once run() returns): large ones into a
   * pool buffer, small ones into a fresh one; either is transferred, not cloned, when sent. Shared
   * memory is copied here too, since onnxruntime-node refuses it.
   */
  private prepare(feeds: Readonly<Record<string, Tensor>>): PreparedRun {
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    const staged: ArrayBuffer[] = [];
    for (const name of Object.keys(feeds)) {
      const tensor = feeds[name];
      const type = dtypeInfo(tensor.dtype).ort;
      if (tensor.data.byteLength >= STAGE_FROM_BYTES) {
        const data = this.staging.stage(tensor.data, staged);
        setEntry(wire, name, { type, dims: tensor.dims, data, staged: true });
      } else {
        const data = tensor.data.slice() as Tensor['data'];
        transfer.push(data.buffer as ArrayBuffer);
        setEntry(wire, name, { type, dims: tensor.dims, data });
      }
    }
    transfer.push(...staged);
    return { feeds: wire, transfer, staged };
  }

  private send(prepared: PreparedRun, outputNames: readonly string[]): Promise<Record<string, Tensor>> {
    if (this.failure) {
      this.staging.release(prepared.staged);
      return Promise.reject(this.failure);
    }
    const id = this.nextId++;
    return new Promise<Record<string, Tensor>>((resolve, reject) => {
      this.pending.set(id, { outputNames, resolve, reject });
      try {
        this.worker.postMessage({ id, feeds: prepared.feeds, outputs: outputNames }, prepared.transfer);
      } catch (error) {
        // Nothing reached the worker: the run fails here, and the queue moves on (and unrefs the worker).
        this.pending.delete(id);
        reject(
          new TensorRTNodeError(
            ErrorCode.INFERENCE_FAILED,
            `Could not send the run to the CPU backend's worker thread: ${(error as Error).message}`,
            { cause: error },
          ),
        );
      }
    });
  }

  private settle(reply: RunReply): void {
    if (reply.staged) this.staging.release(reply.staged);
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ('error' in reply) {
      pending.reject(mapOrtError(new Error(reply.error.message), 'run'));
      return;
    }
    try {
      const results: Record<string, Tensor> = {};
      for (const name of pending.outputNames) {
        const wire = reply.results[name];
        setEntry(results, name, fromOrtTensor({ type: wire.type, dims: wire.dims, data: wire.data } as unknown as Ort.Tensor, name));
      }
      pending.resolve(results);
    } catch (error) {
      pending.reject(error);
    }
  }

  private fail(error: TensorRTNodeError): void {
    this.failure ??= error;
    this.queue.failWaiting(error);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.staging.clear();
  }

  async close(): Promise<void> {
    if (!this.failure) {
      await this.queue.idle();
      this.worker.ref();
      this.worker.postMessage('close');
      this.failure = new TensorRTNodeError(ErrorCode.DISPOSED, 'The CPU backend was closed');
    }
    await this.exited;
  }
}
