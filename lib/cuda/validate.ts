import { invalidArgument } from '../errors.js';
import { type NativeHostView, requireBinding } from '../binding.js';

/** A byte count: a non-negative safe integer (positive unless `allowZero`). */
export function byteCount(value: unknown, name: string, allowZero = true): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw invalidArgument(allowZero ? 'a non-negative integer byte count' : 'a positive integer byte count', name, value);
  }
  return value;
}

/** Checks that [offset, offset + length) lies inside a buffer of `size` bytes. */
export function byteRange(offset: number, length: number, size: number, name: string): void {
  if (offset + length > size) {
    throw invalidArgument(`a range inside the ${size}-byte buffer`, name, `bytes ${offset}..${offset + length}`);
  }
}

/**
 * Normalises any ArrayBufferView to a TypedArray over the same memory (no copy): DataViews
 * become Uint8Arrays over their bytes.
 */
export function hostView(value: unknown, name: string): NativeHostView {
  if (!ArrayBuffer.isView(value)) throw invalidArgument('a TypedArray, Buffer or DataView', name, value);
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return value as NativeHostView;
}

/**
 * A CUDA device index of this machine. CUDA would only say "invalid device ordinal" later, on some
 * other thread; checked here, the error names how many devices there are.
 */
export function deviceIndex(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalidArgument('a non-negative integer device index', name, value);
  const count = requireBinding().cudaInfo().deviceCount;
  if (value >= count) {
    throw invalidArgument(
      count === 0
        ? 'a device index, but this machine has no CUDA device'
        : `a device index below ${count} (this machine has ${count} CUDA device${count === 1 ? '' : 's'})`,
      name,
      value,
    );
  }
  return value;
}
