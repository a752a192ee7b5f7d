import { requireBinding, type NativePinnedBuffer } from '../binding.js';
import { invalidArgument } from '../errors.js';
import { nativeHandle } from './native-handle.js';
import { CudaResource } from './native-resource.js';
import { byteCount, byteRange } from './validate.js';

type TypedArrayConstructor<T> = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * Page-locked host memory (cudaHostAlloc) that JavaScript reads and writes in place: `buffer` is
 * an ArrayBuffer over the pinned bytes themselves, so filling a view of it and copying it to the
 * device involves no intermediate copy. dispose() detaches the ArrayBuffer (views then read as
 * empty) and frees the memory once in-flight copies settle.
 */
export class PinnedBuffer extends CudaResource {
  /** @internal */
  declare readonly [nativeHandle]: NativePinnedBuffer;

  constructor(byteLength: number) {
    const bytes = byteCount(byteLength, 'byteLength', false);
    super(new (requireBinding().PinnedBuffer)(bytes));
  }

  /** The pinned memory as an ArrayBuffer (no copy). Throws ERR_DISPOSED after dispose(). */
  get buffer(): ArrayBuffer {
    return this[nativeHandle].buffer;
  }

  get byteLength(): number {
    return this[nativeHandle].byteLength;
  }

  /** A typed view of the pinned memory, e.g. `pinned.view(Float32Array)`. */
  view<T>(type: TypedArrayConstructor<T>, byteOffset = 0, length?: number): T {
    const offset = byteCount(byteOffset, 'byteOffset');
    if (offset % type.BYTES_PER_ELEMENT !== 0) {
      throw invalidArgument(`a multiple of ${type.BYTES_PER_ELEMENT}`, 'byteOffset', byteOffset);
    }
    const count = length === undefined ? Math.floor((this.byteLength - offset) / type.BYTES_PER_ELEMENT) : byteCount(length, 'length');
    byteRange(offset, count * type.BYTES_PER_ELEMENT, this.byteLength, 'byteOffset + length');
    return new type(this.buffer, offset, count);
  }
}
