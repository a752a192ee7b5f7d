import { requireBinding, type NativeStream } from '../binding.js';
import { invalidArgument } from '../errors.js';
import { CudaEvent } from './event.js';
import { DeviceBuffer } from './device-buffer.js';
import { nativeHandle } from './native-handle.js';
import { CudaResource } from './native-resource.js';
import { byteCount, byteRange, deviceIndex, hostView } from './validate.js';

function deviceBuffer(value: unknown, name: string): DeviceBuffer {
  if (!(value instanceof DeviceBuffer)) throw invalidArgument('a DeviceBuffer', name, value);
  return value;
}

/**
 * A CUDA stream: work enqueued on it runs in order, asynchronously. Every copy returns a promise
 * that settles when the stream reaches the end of that copy, signalled by a stream host callback,
 * so no thread waits for the GPU. Arrays inside a PinnedBuffer are used in place (zero copy) and
 * kept alive until the copy settles; do not modify them meanwhile. Any other array is staged
 * through pooled pinned memory: an upload takes its bytes when it is called, a download is
 * written into the array when its promise settles. (CUDA would otherwise block the calling
 * thread on pageable memory until the stream reached the copy.)
 */
export class CudaStream extends CudaResource implements AsyncDisposable {
  /** @internal */
  declare readonly [nativeHandle]: NativeStream;

  /** A stream of `options.device` (default 0): its copies must involve that device's buffers. */
  constructor(options: { device?: number } = {}) {
    const device = deviceIndex(options.device, 'options.device');
    super(new (requireBinding().Stream)(device));
    this.device = device;
  }

  /** The device the stream belongs to. */
  readonly device: number;

  /** Copies all of `src` into `dst` at `dstOffset`. */
  async copyToDevice(dst: DeviceBuffer, src: ArrayBufferView, dstOffset = 0): Promise<void> {
    const device = deviceBuffer(dst, 'dst');
    const view = hostView(src, 'src');
    const offset = byteCount(dstOffset, 'dstOffset');
    byteRange(offset, view.byteLength, device.byteLength, 'dstOffset + src.byteLength');
    return this[nativeHandle].copyHostToDevice(device[nativeHandle], offset, view);
  }

  /** Fills all of `dst` from `src` starting at `srcOffset`. */
  async copyToHost(dst: ArrayBufferView, src: DeviceBuffer, srcOffset = 0): Promise<void> {
    const view = hostView(dst, 'dst');
    const device = deviceBuffer(src, 'src');
    const offset = byteCount(srcOffset, 'srcOffset');
    byteRange(offset, view.byteLength, device.byteLength, 'srcOffset + dst.byteLength');
    return this[nativeHandle].copyDeviceToHost(view, device[nativeHandle], offset);
  }

  /** Copies `byteLength` bytes (default: the rest of `src`) between device buffers. */
  async copyDeviceToDevice(
    dst: DeviceBuffer,
    src: DeviceBuffer,
    options: { dstOffset?: number; srcOffset?: number; byteLength?: number } = {},
  ): Promise<void> {
    const to = deviceBuffer(dst, 'dst');
    const from = deviceBuffer(src, 'src');
    const dstOffset = byteCount(options.dstOffset ?? 0, 'options.dstOffset');
    const srcOffset = byteCount(options.srcOffset ?? 0, 'options.srcOffset');
    const length = byteCount(options.byteLength ?? Math.max(0, from.byteLength - srcOffset), 'options.byteLength');
    byteRange(srcOffset, length, from.byteLength, 'options.srcOffset + options.byteLength');
    byteRange(dstOffset, length, to.byteLength, 'options.dstOffset + options.byteLength');
    return this[nativeHandle].copyDeviceToDevice(to[nativeHandle], dstOffset, from[nativeHandle], srcOffset, length);
  }

  /** Sets `byteLength` bytes (default: the rest of the buffer) of `dst` to `byteValue`. */
  async fill(dst: DeviceBuffer, byteValue: number, options: { offset?: number; byteLength?: number } = {}): Promise<void> {
    const device = deviceBuffer(dst, 'dst');
    if (typeof byteValue !== 'number' || !Number.isInteger(byteValue) || byteValue < 0 || byteValue > 255) {
      throw invalidArgument('an integer byte value from 0 to 255', 'byteValue', byteValue);
    }
    const offset = byteCount(options.offset ?? 0, 'options.offset');
    const length = byteCount(options.byteLength ?? Math.max(0, device.byteLength - offset), 'options.byteLength');
    byteRange(offset, length, device.byteLength, 'options.offset + options.byteLength');
    return this[nativeHandle].fill(device[nativeHandle], offset, length, byteValue);
  }

  /** Makes work enqueued later on this stream wait for `event`'s latest record. */
  waitEvent(event: CudaEvent): void {
    if (!(event instanceof CudaEvent)) throw invalidArgument('a CudaEvent', 'event', event);
    this[nativeHandle].waitEvent(event[nativeHandle]);
  }

  /** Settles once everything enqueued so far has completed. */
  async synchronize(): Promise<void> {
    return this[nativeHandle].synchronize();
  }

  /** True when every enqueued operation has completed. */
  get idle(): boolean {
    return this[nativeHandle].query();
  }

  /** Waits for enqueued work, then disposes. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.disposed) await this.synchronize();
    this.dispose();
  }
}
