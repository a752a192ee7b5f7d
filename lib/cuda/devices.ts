import { requireBinding } from '../binding.js';
import { byteCount } from './validate.js';
import { invalidArgument } from '../errors.js';

export interface DeviceInfo {
  readonly index: number;
  readonly name: string;
  readonly computeCapability: { readonly major: number; readonly minor: number };
  /** Bytes of device memory. */
  readonly totalMemory: number;
  readonly multiProcessorCount: number;
  readonly uuid: string;
}

/** The CUDA devices of this machine. Throws ERR_BACKEND_UNAVAILABLE without the addon, ERR_CUDA without a driver or device. */
export function devices(): DeviceInfo[] {
  return requireBinding()
    .devices()
    .map((d) => ({
      index: d.index,
      name: d.name,
      computeCapability: { major: d.computeCapability[0], minor: d.computeCapability[1] },
      totalMemory: d.totalMemory,
      multiProcessorCount: d.multiProcessorCount,
      uuid: d.uuid,
    }));
}

/** Free and total bytes of device memory on `device`. */
export function memoryInfo(device = 0): { free: number; total: number } {
  const index = byteCount(device, 'device');
  if (index > 0x7fffffff) throw invalidArgument('a device index', 'device', device);
  return requireBinding().memoryInfo(index);
}
