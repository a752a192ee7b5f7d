/**
 * A pool of execution contexts for one engine. Each context owns a CUDA stream, so runs on
 * different contexts proceed in parallel; a context is never given to two runs at once (TensorRT
 * contexts are not thread-safe), and runs wait in a FIFO queue while every context is busy.
 * Contexts are created on demand, up to `size`.
 */
import type { NativeExecutionContext, NativeRunInput, NativeRunOutput, NativeRunOutputRequest } from '../binding.js';
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import { onAbort } from '../util/abort-listeners.js';
import type { ContextPoolOptions } from './context-pool-options.js';
import type { DeviceMemoryMode, Engine } from './engine.js';

export type { ContextPoolOptions } from './context-pool-options.js';

/** Device memory one context of the pool holds, in bytes. */
export interface ContextMemory {
  /** Its I/O tensors. */
  readonly io: number;
  /** TensorRT's activations and scratch. */
  readonly tensorrt: number;
}

export interface PoolRunRequest {
  readonly inputs: readonly NativeRunInput[];
  readonly outputs: readonly NativeRunOutputRequest[];
  readonly profile: number;
}

interface Waiter {
  resolve(context: NativeExecutionContext): void;
  reject(error: TensorRTNodeError): void;
}

export class ContextPool {
  readonly size: number;
  readonly maxQueue: number;
  readonly cudaGraph: boolean;
  readonly deviceMemory: DeviceMemoryMode;
  readonly #engine: Engine;
  readonly #all: NativeExecutionContext[] = [];
  readonly #idle: NativeExecutionContext[] = [];
  readonly #waiting: Waiter[] = [];
  readonly #running = new Set<Promise<unknown>>();
  #disposed = false;

  constructor(engine: Engine, options: ContextPoolOptions = {}) {
    const size = options.size ?? 2;
    const maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(size) || size < 1) throw invalidArgument('a positive integer', 'options.size', size);
    if (!(maxQueue === Number.POSITIVE_INFINITY || (Number.isSafeInteger(maxQueue) && maxQueue >= 0))) {
      throw invalidArgument('a non-negative integer', 'options.maxQueue', maxQueue);
    }
    if (options.cudaGraph !== undefined && typeof options.cudaGraph !== 'boolean') {
      throw invalidArgument('a boolean', 'options.cudaGraph', options.cudaGraph);
    }
    this.#engine = engine;
    this.size = size;
    this.maxQueue = maxQueue;
    this.cudaGraph = options.cudaGraph ?? false;
    this.deviceMemory = options.deviceMemory ?? 'auto';
    if (!['static', 'on-demand', 'auto'].includes(this.deviceMemory)) {
      throw invalidArgument(`one of 'static', 'on-demand', 'auto'`, 'options.deviceMemory', options.deviceMemory);
    }
  }

  /** Device memory each context created so far holds. */
  get memory(): ContextMemory[] {
    return this.#all.map((context) => ({ io: context.arenaBytes, tensorrt: context.activationBytes }));
  }

  /** Contexts created so far. */
  get contexts(): number {
    return this.#all.length;
  }

  /** Runs in progress. */
  get busy(): number {
    return this.#all.length - this.#idle.length;
  }

  /** Runs waiting for a context. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `request` on a free context. With one free, the run starts before this returns, and the
   * native run copies pageable inputs then; a run that has to wait copies its inputs now. Either
   * way the caller may reuse its arrays once run() returns (a PinnedBuffer's memory is the one
   * exception: the GPU reads it in place until the run settles). An abort withdraws a waiting run.
   */
  run(request: PoolRunRequest, signal?: AbortSignal): Promise<NativeRunOutput[]> {
    let acquired: NativeExecutionContext | Promise<NativeExecutionContext>;
    try {
      acquired = this.#acquire(signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(acquired instanceof Promise)) return this.#runOn(acquired, request);
    const waiting: PoolRunRequest = { ...request, inputs: request.inputs.map((input) => ({ ...input, data: input.data.slice() })) };
    return acquired.then((context) => this.#runOn(context, waiting));
  }

  #runOn(context: NativeExecutionContext, request: PoolRunRequest): Promise<NativeRunOutput[]> {
    const running = (async () => {
      try {
        return await context.run(request.inputs, request.outputs, request.profile);
      } finally {
        this.#release(context);
      }
    })();
    this.#running.add(running);
    return running.finally(() => this.#running.delete(running));
  }

  /** A free context now, a promise of one when the run must wait; throws when it cannot run. */
  #acquire(signal: AbortSignal | undefined): NativeExecutionContext | Promise<NativeExecutionContext> {
    if (this.#disposed) throw new TensorRTNodeError(ErrorCode.DISPOSED, 'The context pool was disposed');
    if (signal?.aborted) throw abortError(signal, 'The run');
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#all.length < this.size) {
      try {
        const context = this.#engine.createContext({ cudaGraph: this.cudaGraph, deviceMemory: this.deviceMemory });
        this.#all.push(context);
        return context;
      } catch (error) {
        if (this.#all.length === 0) throw error;
        // Out of memory for one more context: wait for an existing one instead.
      }
    }
    if (this.#waiting.length >= this.maxQueue) {
      throw new TensorRTNodeError(
        ErrorCode.QUEUE_FULL,
        `All ${this.#all.length} execution contexts are busy and ${this.#waiting.length} runs are already waiting`,
      );
    }
    return new Promise<NativeExecutionContext>((resolve, reject) => {
      let unsubscribe = (): void => {};
      const waiter: Waiter = {
        resolve: (context) => {
          unsubscribe();
          resolve(context);
        },
        reject: (error) => {
          unsubscribe();
          reject(error);
        },
      };
      // One listener per signal however many runs share it (onAbort fans out).
      if (signal !== undefined) {
        unsubscribe = onAbort(signal, () => {
          const index = this.#waiting.indexOf(waiter);
          if (index >= 0) this.#waiting.splice(index, 1);
          reject(abortError(signal, 'The run (waiting for an execution context)'));
        });
      }
      this.#waiting.push(waiter);
    });
  }

  #release(context: NativeExecutionContext): void {
    const next = this.#waiting.shift();
    if (next !== undefined && !this.#disposed) next.resolve(context);
    else this.#idle.push(context);
  }

  /** Rejects waiting runs with ERR_DISPOSED, waits for running ones, then frees every context. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new TensorRTNodeError(ErrorCode.DISPOSED, 'The context pool was disposed'));
    await Promise.allSettled([...this.#running]);
    for (const context of this.#all.splice(0)) context.dispose();
    this.#idle.length = 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
