import { loadBinding, type NativeBinding } from '../binding.js';
import { devices, type DeviceInfo } from './devices.js';

export interface CudaInfo {
  readonly available: boolean;
  /** True when the addon is the simulator build (CUDA stand-in, no GPU involved). */
  readonly simulator: boolean;
  /** Version of the CUDA runtime inside the addon, e.g. "13.0". */
  readonly runtimeVersion?: string;
  /** Highest CUDA version the installed driver supports; absent without a driver. */
  readonly driverVersion?: string;
  readonly devices: readonly DeviceInfo[];
  /** Why CUDA is unavailable, e.g. "cudaGetDeviceCount failed: cudaErrorInsufficientDriver (...)". */
  readonly reason?: string;
  /** CUDA's error name when a CUDA call explains the unavailability. */
  readonly errorName?: string;
}

/** 13000 -> "13.0" (CUDA encodes major * 1000 + minor * 10). */
export function formatCudaVersion(version: number): string {
  return `${Math.floor(version / 1000)}.${Math.floor((version % 1000) / 10)}`;
}

function infoFrom(binding: NativeBinding): CudaInfo {
  const native = binding.cudaInfo();
  const base = {
    simulator: binding.simulator,
    runtimeVersion: native.runtimeVersion > 0 ? formatCudaVersion(native.runtimeVersion) : undefined,
    driverVersion: native.driverVersion > 0 ? formatCudaVersion(native.driverVersion) : undefined,
  };
  if (native.error !== undefined) {
    return { ...base, available: false, devices: [], reason: native.error.message, errorName: native.error.name };
  }
  if (native.deviceCount === 0) return { ...base, available: false, devices: [], reason: 'No CUDA device was found.' };
  return { ...base, available: true, devices: devices() };
}

/** What CUDA looks like from this process; never throws. */
export function cudaInfo(): CudaInfo {
  const load = loadBinding();
  if (!load.ok) return { available: false, simulator: false, devices: [], reason: load.reason };
  try {
    return infoFrom(load.binding);
  } catch (error) {
    return { available: false, simulator: load.binding.simulator, devices: [], reason: (error as Error).message };
  }
}
