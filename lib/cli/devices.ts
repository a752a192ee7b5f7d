/**
 * Accelerator devices for `tensorrt-node info`. The one place the CLI asks which devices exist:
 * the native addon (CUDA device listing) plugs in here; until it is built there are none to list.
 */
export interface DeviceInfo {
  index: number;
  name: string;
  /** e.g. "9.0" */
  computeCapability?: string;
  totalMemoryBytes?: number;
}

export interface DeviceReport {
  devices: DeviceInfo[];
  /** Why no devices could be listed; undefined when the listing ran (even if it found none). */
  reason?: string;
}

export async function listDevices(): Promise<DeviceReport> {
  return { devices: [], reason: 'CUDA device listing needs the native addon, which this build of tensorrt-node does not have yet' };
}
