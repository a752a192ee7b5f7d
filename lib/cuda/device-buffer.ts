import { requireBinding, type NativeDeviceBuffer } from '../binding.js';
import { nativeHandle } from './native-handle.js';
import { CudaResource } from './native-resource.js';
import { byteCount } from './validate.js';

/**
 * Device (GPU) memory. Its bytes are reached through CudaStream copies. The memory is freed by
 * dispose(), or when the object is garbage collected; copies still in flight keep it alive until
 * they settle.
 */
export class DeviceBuffer extends CudaResource {
  /** @internal */
  declare readonly [nativeHandle]: NativeDeviceBuffer;


  /** Allocates `byteLength` bytes (cudaMalloc). Fails with ERR_OUT_OF_MEMORY when the device is full. */
  constructor(byteLength: number) {
    const bytes = byteCount(byteLength, 'byteLength', false);
    super(new (requireBinding().DeviceBuffer)(bytes));
  }

  get byteLength(): number {
    return this[nativeHandle].byteLength;
  }
}
