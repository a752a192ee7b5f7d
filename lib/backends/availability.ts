/**
 * Which backends can run here, and why not. The session asks this to choose a backend for 'auto'
 * and to explain a refusal for an explicit choice; the CLI's `info` prints it.
 */
import { loadBinding } from '../binding.js';
import { cudaInfo } from '../cuda/info.js';
import { tensorrtLibraryInfo } from '../tensorrt/info.js';
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

/** TensorRT runs when the addon loads with its TensorRT runtime compiled in, the library loads, and CUDA has a device. */
export function tensorrtAvailability(): BackendAvailability {
  const load = loadBinding();
  if (!load.ok) return { available: false, reason: load.reason };
  if (!load.binding.tensorrtHeaders) {
    return {
      available: false,
      reason: 'the native addon was built without TensorRT headers; rebuild it with TENSORRT_INCLUDE set (npm run build:native)',
    };
  }
  const library = tensorrtLibraryInfo();
  const reasons: string[] = [];
  if (!library.available) reasons.push(`the TensorRT library could not be loaded (${library.reason ?? 'unknown reason'})`);
  const cuda = cudaInfo();
  if (!cuda.available) reasons.push(`CUDA is not usable (${cuda.reason ?? 'unknown reason'})`);
  if (reasons.length > 0) return { available: false, reason: reasons.join('; ') };
  return { available: true, ...(library.version !== undefined ? { version: library.version } : {}) };
}
