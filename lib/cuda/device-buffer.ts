import { requireBinding, type NativeDeviceBuffer } from '../binding.js';
import { nativeHandle } from './native-handle.js';
import { CudaResource } from './native-resource.js';
import { byteCount, deviceIndex } from './validate.js';

export interface DeviceBufferOptions {
  /** The CUDA device to allocate on (an index from devices()). Default 0. */
  device?: number;
}

/**
 * Device (GPU) memory. Its bytes are reached through CudaStream copies. The memory is freed by
 * dispose(), or when the object is garbage collected; copies still in flight keep it alive until
 * they settle.
 */
export class DeviceBuffer extends CudaResource {
  /** @internal */
  declare readonly [nativeHandle]: NativeDeviceBuffer;

  /** Allocates `byteLength` bytes (cudaMalloc). Fails with ERR_OUT_OF_MEMORY when the device is full. */
  constructor(byteLength: number, options: DeviceBufferOptions = {}) {
    const bytes = byteCount(byteLength, 'byteLength', false);
    const device = deviceIndex(options.device, 'options.device');
    super(new (requireBinding().DeviceBuffer)(bytes, device));
    this.device = device;
  }

  /** The device the memory lives on. */
  readonly device: number;

  get byteLength(): number {
    return this[nativeHandle].byteLength;
  }
}
