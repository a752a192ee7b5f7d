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
  /** Building engines; lean and dispatch runtimes run plans without one. */
  readonly builder: LibraryInfo;
  /** The ONNX parser; its version is the TensorRT release it came with (from the library's file name), when known. */
  readonly parser: LibraryInfo;
  /** TensorRT's standard plugins (libnvinfer_plugin), registered before the first engine loads or builds. */
  readonly plugins: LibraryInfo;
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
 * What the TensorRT loader found: libnvinfer (TENSORRT_NODE_NVINFER, or libnvinfer.so.11 / .so.10
 * through the dynamic linker and TensorRT's install folders), its builder, libnvonnxparser
 * (TENSORRT_NODE_ONNXPARSER) and libnvinfer_plugin (TENSORRT_NODE_NVINFER_PLUGIN). Never throws.
 */
export function tensorrtLibraryInfo(): TensorRTLibraryInfo {
  const load = loadBinding();
  if (!load.ok) {
    const missing = { available: false, reason: load.reason };
    return { ...missing, builder: missing, parser: missing, plugins: missing };
  }
  const native = load.binding.tensorrtInfo();
  return {
    ...libraryInfo(native),
    builder: libraryInfo(native.builder),
    parser: libraryInfo(native.parser),
    plugins: libraryInfo(native.plugins),
  };
}
