/**
 * Which backends can run here, and why not: the one place that decides it. The session asks it to
 * choose a backend for 'auto' and to explain a refusal; `backends()` and the CLI's `info` print it.
 */
import { loadBinding } from '../binding.js';
import { type CudaInfo, cudaInfo } from '../cuda/info.js';
import { type LibraryInfo, type TensorRTLibraryInfo, tensorrtLibraryInfo } from '../tensorrt/info.js';
import { loadOrt } from './ort.js';

export interface BackendAvailability {
  readonly available: boolean;
  /** Why the backend cannot run here, in full (paths searched, error codes, how to fix); undefined when it can. */
  readonly reason?: string;
  /** The same as `reason` in one short sentence per cause; undefined when it can run. */
  readonly summary?: string;
  readonly version?: string;
}

export interface TensorRTAvailability extends BackendAvailability {
  readonly library: TensorRTLibraryInfo;
  /** Whether TensorRT's standard plugins (libnvinfer_plugin) are there for plans and models that use them. */
  readonly plugins: BackendAvailability;
  /** Whether engines can be built here (lean and dispatch runtimes only run plans). */
  readonly builder: BackendAvailability;
}

export interface BackendsReport {
  /** TensorRT: usable when its library loads and CUDA has a device. */
  readonly tensorrt: TensorRTAvailability;
  readonly cuda: CudaInfo;
  /** ONNX Runtime on the CPU (onnxruntime-node). */
  readonly cpu: BackendAvailability;
}

export function cpuAvailability(): BackendAvailability {
  const result = loadOrt();
  if ('reason' in result) return { available: false, reason: result.reason };
  return { available: true, version: result.ort.env.versions.common };
}

function tensorrtReport(cuda: CudaInfo, library: TensorRTLibraryInfo): BackendsReport['tensorrt'] {
  const reasons: string[] = [];
  const summary: string[] = [];
  const load = loadBinding();
  if (!library.available) {
    reasons.push(`TensorRT is not available: ${library.reason ?? 'unknown reason'}`);
    summary.push(load.ok ? "TensorRT's library could not be loaded." : 'The native addon could not be loaded.');
  }
  if (load.ok && !load.binding.tensorrtHeaders) {
    reasons.push('The native addon was built without TensorRT headers; rebuild it with TENSORRT_INCLUDE set (npm run build:native).');
    summary.push('The native addon was built without TensorRT.');
  }
  // Without the addon both reasons are the same load failure: say it once.
  if (!cuda.available && cuda.reason !== library.reason) {
    reasons.push(`CUDA is not available: ${cuda.reason ?? 'unknown reason'}`);
    summary.push('No CUDA device is usable.');
  }
  const part = (info: LibraryInfo): BackendAvailability => ({
    available: info.available,
    ...(info.version !== undefined ? { version: info.version } : {}),
    ...(!info.available && info.reason !== undefined ? { reason: info.reason } : {}),
  });
  return {
    available: reasons.length === 0,
    ...(library.version !== undefined ? { version: library.version } : {}),
    ...(reasons.length > 0 ? { reason: reasons.join(' '), summary: summary.join(' ') } : {}),
    library,
    plugins: part(library.plugins),
    builder: part(library.builder),
  };
}

/** TensorRT needs the native addon, its library, and a CUDA device. Never throws. */
export function tensorrtAvailability(): BackendAvailability {
  const { library: _library, plugins: _plugins, builder: _builder, ...availability } = tensorrtReport(cudaInfo(), tensorrtLibraryInfo());
  return availability;
}

/** Which backends can run in this process, with versions, and the exact reason for each that cannot. Never throws. */
export async function backends(): Promise<BackendsReport> {
  const cuda = cudaInfo();
  return { tensorrt: tensorrtReport(cuda, tensorrtLibraryInfo()), cuda, cpu: cpuAvailability() };
}
