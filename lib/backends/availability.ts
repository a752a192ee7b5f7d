/**
 * Which backends can run here, and why not. The session asks this to choose a backend for 'auto'
 * and to explain a refusal for an explicit choice; the CLI's `info` prints it.
 */
import { loadOrt } from './ort.js';

export interface BackendAvailability {
  available: boolean;
  /** Why the backend cannot run here; undefined when it can. */
  reason?: string;
  version?: string;
}

export function cpuAvailability(): BackendAvailability {
  const result = loadOrt();
  if ('reason' in result) return { available: false, reason: result.reason };
  return { available: true, version: result.ort.env.versions.common };
}

export function tensorrtAvailability(): BackendAvailability {
  // Replaced by the native addon's report (CUDA device + TensorRT library) once the addon is built.
  return { available: false, reason: 'this build of tensorrt-node has no native addon yet' };
}
