/**
 * Everything that touches onnxruntime-node's JS API: loading it (it is an optional dependency, so
 * its absence is a reason, not a crash), converting tensors both ways without copying, and mapping
 * its errors onto our codes.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { type DType, dtypeFromOrt, dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { TensorInfo } from './backend.js';
import type { OrtLogLevel } from './ort-log-level.js';

export type OrtModule = typeof Ort;

const require = createRequire(import.meta.url);
let loaded: { ort: OrtModule } | { reason: string } | undefined;

/** The one install hint for a missing CPU backend. */
export const ORT_INSTALL_HINT =
  'install it with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node` (the variable skips its optional CUDA download)';

/** onnxruntime-node, or the reason it cannot be loaded. Loaded once, on first use. */
export function loadOrt(): { ort: OrtModule } | { reason: string } {
  if (!loaded) {
    try {
      loaded = { ort: require('onnxruntime-node') as OrtModule };
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      loaded = { reason: `onnxruntime-node could not be loaded (${message}); ${ORT_INSTALL_HINT}` };
    }
  }
  return loaded;
}

export function requireOrt(): OrtModule {
  const result = loadOrt();
  if ('reason' in result) throw new TensorRTNodeError(ErrorCode.BACKEND_UNAVAILABLE, `The cpu backend is unavailable: ${result.reason}`);
  return result.ort;
}

let defaultLogLevel: OrtLogLevel | undefined;

/**
 * The level of every ONNX Runtime session this process creates later without a level of its own
 * (the CLI's --log-level). Two ways, because each covers what the other misses: ONNX Runtime's
 * environment level reaches the optimize command's internal sessions, but ONNX Runtime reads it once,
 * from whichever thread starts it first (a worker's copy of onnxruntime-node would start it at its
 * own default); the CPU backend also puts the level into each session's options, worker ones included.
 */
export function setDefaultOrtLogLevel(level: OrtLogLevel): void {
  defaultLogLevel = level;
  const result = loadOrt();
  if ('ort' in result) result.ort.env.logLevel = level;
}

export function defaultOrtLogLevel(): OrtLogLevel | undefined {
  return defaultLogLevel;
}

/** The resolved path of onnxruntime-node's entry point, for worker threads to require the same copy. */
export function ortEntryPath(): string {
  return require.resolve('onnxruntime-node');
}

/** ORT metadata to ours. Non-tensor I/O (sequences, maps) is reported with an unknown dtype and refused at run. */
export function tensorInfoFromOrt(meta: Ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) {
    throw new TensorRTNodeError(ErrorCode.UNSUPPORTED, `Model value "${meta.name}" is not a tensor (sequences and maps are not supported)`);
  }
  const dtype = dtypeFromOrt(meta.type);
  if (!dtype)
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Model value "${meta.name}" has element type ${meta.type}, which tensorrt-node does not support`,
    );
  return { name: meta.name, dtype, shape: Object.freeze([...meta.shape]) };
}

/**
 * Our Tensor as an ORT tensor, over the same memory or, with `copy`, over a copy. onnxruntime-node
 * refuses TypedArrays over a SharedArrayBuffer ("Invalid argument"), so those are always copied
 * (slice() gives a copy over an ordinary ArrayBuffer).
 */
export function toOrtTensor(ort: OrtModule, tensor: Tensor, { copy = false } = {}): Ort.Tensor {
  const data = copy || tensor.data.buffer instanceof SharedArrayBuffer ? tensor.data.slice() : tensor.data;
  return new ort.Tensor(dtypeInfo(tensor.dtype).ort as 'float32', data as Float32Array, tensor.dims);
}

/** An ORT output as our Tensor over the same memory (ORT hands out a fresh TypedArray per run). */
export function fromOrtTensor(value: Ort.Tensor, name: string): Tensor {
  const dtype = dtypeFromOrt(value.type) as DType | undefined;
  if (!dtype)
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Output "${name}" has element type ${value.type}, which tensorrt-node does not support`,
    );
  return new Tensor(dtype, value.data as Tensor['data'], value.dims, { name });
}

/**
 * ONNX Runtime reports everything as a plain Error with a message; map the ones a caller can act on to
 * codes, keeping ORT's text in `details` and the error itself as `cause`.
 */
export function mapOrtError(error: unknown, during: 'load' | 'run'): TensorRTNodeError {
  if (error instanceof TensorRTNodeError) return error;
  const text = error instanceof Error ? error.message : String(error);
  let code: ErrorCode = during === 'load' ? ErrorCode.MODEL_LOAD : ErrorCode.INFERENCE_FAILED;
  if (during === 'run') {
    if (/invalid dimensions|invalid rank|shape mismatch|dimension|must have shape/i.test(text)) code = ErrorCode.SHAPE_MISMATCH;
    else if (/data type|unexpected input data type/i.test(text)) code = ErrorCode.DTYPE_MISMATCH;
    else if (/bad_alloc|out of memory|failed to allocate/i.test(text)) code = ErrorCode.OUT_OF_MEMORY;
  } else if (/no such file|file doesn't exist|load model from .* failed:Load model/i.test(text)) {
    code = ErrorCode.MODEL_LOAD;
  }
  const what = during === 'load' ? 'ONNX Runtime could not load the model' : 'ONNX Runtime failed to run the model';
  return new TensorRTNodeError(code, `${what}: ${text.split('\n')[0]}`, { details: text, cause: error });
}
