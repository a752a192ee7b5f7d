/**
 * Buffers for handing inputs to the CPU backend's worker thread.
 *
 * postMessage of an ordinary TypedArray serializes it on the main thread and copies it again into
 * the worker (measured here: ~0.8 ms for a 1.2 MB image tensor, 3-5% of a 20 ms inference). One
 * TypedArray.set into a buffer that is then *transferred* costs ~0.1 ms, and the worker hands that
 * memory to ONNX Runtime as it is. The worker transfers each buffer back with its reply (also after
 * an abort, when the caller stopped waiting but the worker still read the inputs), and the pool
 * reuses it. SharedArrayBuffer would save the round trip but onnxruntime-node refuses TypedArrays
 * over shared memory.
 */
import type { TypedArray } from '../dtype.js';

/** Free buffers kept per byte size; more runs in flight than this just allocate. */
const KEEP_PER_SIZE = 4;

type ViewConstructor<T> = new (buffer: ArrayBuffer, byteOffset: number, length: number) => T;

export class StagingPool {
  private readonly free = new Map<number, ArrayBuffer[]>();

  /** A view of the same type over a pool buffer holding a copy of `data`; the buffer is added to `transfer`. */
  stage<T extends TypedArray>(data: T, transfer: ArrayBuffer[]): T {
    const buffer = this.free.get(data.byteLength)?.pop() ?? new ArrayBuffer(data.byteLength);
    transfer.push(buffer);
    const view = new (data.constructor as ViewConstructor<T>)(buffer, 0, data.length);
    (view as unknown as { set(source: T): void }).set(data);
    return view;
  }

  /** Buffers the worker gave back. */
  release(buffers: readonly ArrayBuffer[]): void {
    for (const buffer of buffers) {
      let list = this.free.get(buffer.byteLength);
      if (!list) this.free.set(buffer.byteLength, (list = []));
      if (list.length < KEEP_PER_SIZE) list.push(buffer);
    }
  }

  clear(): void {
    this.free.clear();
  }
}
