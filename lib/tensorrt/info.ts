import { loadBinding, type NativeLibraryInfo } from '../binding.js';

export interface LibraryInfo {
  readonly available: boolean;
  /** e.g. "10.3.0" */
  readonly version?: string;
  /** The file that was loaded (libnvinfer.so.10, or the override path). */
  readonly library?: string;
  /** Every dlopen/dlsym failure when not available. */
  readonly reason?: string;
}

export interface TensorRTLibraryInfo extends LibraryInfo {
  readonly parser: LibraryInfo;
}

/** TensorRT (since 10) and its ONNX parser encode versions as major * 10000 + minor * 100 + patch. */
export function formatTensorRTVersion(version: number): string {
  return `${Math.floor(version / 10000)}.${Math.floor((version % 10000) / 100)}.${version % 100}`;
}

function libraryInfo(native: NativeLibraryInfo): LibraryInfo {
  return {
    available: native.available,
    ...(native.version !== undefined ? { version: formatTensorRTVersion(native.version) } : {}),
    ...(native.library !== undefined ? { library: native.library } : {}),
    ...(native.reason !== undefined ? { reason: native.reason } : {}),
  };
}

/**
 * What the TensorRT loader found: libnvinfer (.so.11, then .so.10, or TENSORRT_NODE_NVINFER) and
 * libnvonnxparser (or TENSORRT_NODE_ONNXPARSER). Never throws.
 */
export function tensorrtLibraryInfo(): TensorRTLibraryInfo {
  const load = loadBinding();
  if (!load.ok) {
    return { available: false, reason: load.reason, parser: { available: false, reason: load.reason } };
  }
  const native = load.binding.tensorrtInfo();
  return { ...libraryInfo(native), parser: libraryInfo(native.parser) };
}
