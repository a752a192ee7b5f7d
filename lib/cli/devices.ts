/**
 * Accelerator devices for `tensorrt-node info`: the CUDA devices the native addon sees (lib/cuda),
 * or why none can be listed (no addon, no driver, no device).
 */
import type { CudaInfo } from '../cuda/info.js';

export interface DeviceInfo {
  index: number;
  name: string;
  /** e.g. "9.0" */
  computeCapability: string;
  totalMemoryBytes: number;
  multiProcessorCount: number;
}

export interface DeviceReport {
  devices: DeviceInfo[];
  /** Why there are no devices to list; undefined when CUDA answered. */
  reason?: string;
}

export function listDevices(cuda: CudaInfo): DeviceReport {
  const devices = cuda.devices.map((device) => ({
    index: device.index,
    name: device.name,
    computeCapability: `${device.computeCapability.major}.${device.computeCapability.minor}`,
    totalMemoryBytes: device.totalMemory,
    multiProcessorCount: device.multiProcessorCount,
  }));
  return cuda.available ? { devices } : { devices, reason: cuda.reason ?? 'CUDA is not available' };
}
