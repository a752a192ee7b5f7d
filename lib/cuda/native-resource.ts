import { nativeHandle } from './native-handle.js';

/** What every native CUDA object answers: whether it was released, and how to release it. */
export interface Releasable {
  readonly disposed: boolean;
  dispose(): void;
}

/**
 * The shared shell of the public CUDA wrappers: holds the native object, and releases it with
 * dispose() (idempotent; in-flight work settles first) or `using`. Each wrapper narrows the handle's
 * type for itself; the handle stays out of the published types (the addon's types are internal).
 */
export abstract class CudaResource implements Disposable {
  /** @internal */
  readonly [nativeHandle]: Releasable;

  protected constructor(handle: Releasable) {
    this[nativeHandle] = handle;
  }

  get disposed(): boolean {
    return this[nativeHandle].disposed;
  }

  /** Releases the native object once the work in flight on it settles. Calling it again does nothing. */
  dispose(): void {
    this[nativeHandle].dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
