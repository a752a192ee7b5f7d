import { requireBinding, type NativeEvent } from '../binding.js';
import { invalidArgument } from '../errors.js';
import type { CudaStream } from './stream.js';
import { nativeHandle } from './native-handle.js';
import { CudaResource } from './native-resource.js';

/** A CUDA event: marks a point in a stream's work, to wait on it from another stream or to time it. */
export class CudaEvent extends CudaResource {
  /** @internal */
  declare readonly [nativeHandle]: NativeEvent;

  /** `timing: false` makes a lighter event that cannot be used with elapsedTime(). */
  constructor(options: { timing?: boolean } = {}) {
    const timing = options.timing ?? true;
    if (typeof timing !== 'boolean') throw invalidArgument('a boolean', 'options.timing', timing);
    super(new (requireBinding().Event)(timing));
  }

  /** Marks the work enqueued on `stream` so far. */
  record(stream: CudaStream): void {
    this[nativeHandle].record(stream[nativeHandle]);
  }

  /** True once the work before the latest record() has completed (also when never recorded). */
  get completed(): boolean {
    return this[nativeHandle].query();
  }

  /** Milliseconds between this event and `end`; both must be recorded and completed. */
  elapsedTime(end: CudaEvent): number {
    if (!(end instanceof CudaEvent)) throw invalidArgument('a CudaEvent', 'end', end);
    return this[nativeHandle].elapsedTime(end[nativeHandle]);
  }
}
