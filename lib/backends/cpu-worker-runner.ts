/**
 * The main-thread side of the CPU backend's worker thread (lib/backends/cpu-worker.cjs).
 * Large inputs are copied once into a pool buffer that is transferred (StagingPool); small ones travel
 * by structured clone; shared memory (SharedArrayBuffer) is passed as is and copied in the worker,
 * since ORT refuses it. Outputs come back by transfer, without a copy.
 */
import { Worker } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';
import { dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError, abortError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Runner } from './cpu.js';
import { fromOrtTensor, mapOrtError, ortEntryPath } from './ort.js';
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

type RunReply = ({ id: number; results: Record<string, WireTensor> } | { id: number; error: { message: string } }) & { staged?: ArrayBuffer[] };

/** From this size on, inputs are copied into a transferred pool buffer (StagingPool) rather than cloned. */
const STAGE_FROM_BYTES = 16 * 1024;

/** A view over part of a larger buffer would clone the whole buffer; copy just its bytes instead. */
function wireData(data: Tensor['data']): Tensor['data'] {
  if (data.buffer instanceof SharedArrayBuffer || data.byteLength === data.buffer.byteLength) return data;
  return data.slice() as Tensor['data'];
}

export class WorkerRunner implements Runner {
  private readonly pending = new Map<number, Pending>();
  private readonly staging = new StagingPool();
  private nextId = 1;
  private failure: TensorRTNodeError | undefined;
  private exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: RunReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(new TensorRTNodeError(ErrorCode.INFERENCE_FAILED, `The CPU backend's worker thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.fail(new TensorRTNodeError(ErrorCode.INFERENCE_FAILED, `The CPU backend's worker thread exited (code ${code})`)));
    worker.unref();
  }

  static async start(model: string | Uint8Array, sessionOptions: Ort.InferenceSession.SessionOptions) {
    const worker = new Worker(new URL('./cpu-worker.cjs', import.meta.url), {
      workerData: { ortPath: ortEntryPath(), model, sessionOptions },
    });
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((error: unknown) => ({ type: 'load-error' as const, error: { message: error instanceof Error ? error.message : String(error) } }));
    if (ready.type === 'load-error') {
      await worker.terminate();
      throw mapOrtError(new Error(ready.error.message), 'load');
    }
    return { runner: new WorkerRunner(worker), inputs: ready.inputs, outputs: ready.outputs };
  }

  run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[], signal?: AbortSignal): Promise<Record<string, Tensor>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const wireFeeds: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of Object.keys(feeds)) {
      const tensor = feeds[name];
      const type = dtypeInfo(tensor.dtype).ort;
      wireFeeds[name] =
        tensor.data.byteLength >= STAGE_FROM_BYTES && !(tensor.data.buffer instanceof SharedArrayBuffer)
          ? { type, dims: tensor.dims, data: this.staging.stage(tensor.data, transfer), staged: true }
          : { type, dims: tensor.dims, data: wireData(tensor.data) };
    }
    return new Promise<Record<string, Tensor>>((resolve, reject) => {
      // The worker cannot stop ORT mid-run: an abort settles the caller's promise now and drops the result later.
      const onAbort = () => {
        if (this.pending.delete(id)) this.idle();
        reject(abortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        outputNames,
        resolve: (results) => (done(), resolve(results)),
        reject: (error) => (done(), reject(error)),
      });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, feeds: wireFeeds, outputs: outputNames }, transfer);
    });
  }

  private settle(reply: RunReply): void {
    if (reply.staged) this.staging.release(reply.staged);
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    this.idle();
    if ('error' in reply) {
      pending.reject(mapOrtError(new Error(reply.error.message), 'run'));
      return;
    }
    try {
      const results: Record<string, Tensor> = {};
      for (const name of pending.outputNames) {
        const wire = reply.results[name];
        results[name] = fromOrtTensor({ type: wire.type, dims: wire.dims, data: wire.data } as unknown as Ort.Tensor, name);
      }
      pending.resolve(results);
    } catch (error) {
      pending.reject(error);
    }
  }

  /** An idle worker must not keep the process alive. */
  private idle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(error: TensorRTNodeError): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.staging.clear();
  }

  async close(): Promise<void> {
    if (!this.failure) {
      this.worker.ref();
      this.worker.postMessage('close');
      this.failure = new TensorRTNodeError(ErrorCode.DISPOSED, 'The CPU backend was closed');
    }
    await this.exited;
  }
}
