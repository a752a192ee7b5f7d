/**
 * Shared memory for handing inputs to the CPU backend's worker thread.
 *
 * postMessage of an ordinary TypedArray serializes it on the main thread and copies it again into
 * the worker (measured here: ~0.8 ms for a 1.2 MB image tensor, 3-5% of a 20 ms inference). One
 * TypedArray.set into a SharedArrayBuffer costs ~0.1 ms, and the worker then reads that memory in
 * place. Buffers are reused: each goes back to the pool when the worker has replied for its run
 * (not when the caller stops waiting: an aborted run's inputs are still being read).
 */
import type { TypedArray } from '../dtype.js';

/** Free buffers kept per byte size; more runs in flight than this just allocate. */
const KEEP_PER_SIZE = 4;

export class StagingPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();

  /** A view of the same type over shared memory holding a copy of `data`. */
  stage<T extends TypedArray>(data: T, held: SharedArrayBuffer[]): T {
    const buffer = this.free.get(data.byteLength)?.pop() ?? new SharedArrayBuffer(data.byteLength);
    held.push(buffer);
    const view = new (data.constructor as new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => T)(buffer, 0, data.length);
    (view as unknown as { set(source: T): void }).set(data);
    return view;
  }

  release(buffers: readonly SharedArrayBuffer[]): void {
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
