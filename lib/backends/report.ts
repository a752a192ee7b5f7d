import { cudaInfo, type CudaInfo } from '../cuda/info.js';
import { tensorrtLibraryInfo, type TensorRTLibraryInfo } from '../tensorrt/info.js';

export interface BackendStatus {
  readonly available: boolean;
  readonly version?: string;
  /** Why the backend cannot run here. */
  readonly reason?: string;
}

export interface BackendsReport {
  /** TensorRT: usable when its library loads and CUDA has a device. */
  readonly tensorrt: BackendStatus & { readonly library: TensorRTLibraryInfo };
  readonly cuda: CudaInfo;
  /** ONNX Runtime on the CPU (onnxruntime-node). */
  readonly cpu: BackendStatus;
}

async function cpuStatus(): Promise<BackendStatus> {
  try {
    const ort = (await import('onnxruntime-node')) as { env?: { versions?: { node?: string } } };
    return { available: true, ...(ort.env?.versions?.node !== undefined ? { version: ort.env.versions.node } : {}) };
  } catch (error) {
    return {
      available: false,
      reason: `onnxruntime-node could not be loaded (${(error as Error).message.split('\n')[0]}); reinstall with optional dependencies.`,
    };
  }
}

/** Which backends can run in this process, with versions, and the exact reason for each that cannot. Never throws. */
export async function backends(): Promise<BackendsReport> {
  const cuda = cudaInfo();
  const library = tensorrtLibraryInfo();
  const reasons: string[] = [];
  if (!library.available) reasons.push(`TensorRT is not available: ${library.reason ?? 'unknown reason'}`);
  if (!cuda.available) reasons.push(`CUDA is not available: ${cuda.reason ?? 'unknown reason'}`);
  const tensorrt = {
    available: reasons.length === 0,
    ...(library.version !== undefined ? { version: library.version } : {}),
    ...(reasons.length > 0 ? { reason: reasons.join(' ') } : {}),
    library,
  };
  return { tensorrt, cuda, cpu: await cpuStatus() };
}
