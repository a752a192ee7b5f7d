/**
 * The one error class of tensorrt-node. Every failure a user can meet carries a stable `code`;
 * backend text (ONNX Runtime's message, TensorRT's logger lines, CUDA's error name) goes in
 * `details`, and the original error, when there is one, in `cause`.
 */
export const ErrorCode = {
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  UNKNOWN_TENSOR: 'ERR_UNKNOWN_TENSOR',
  MISSING_INPUT: 'ERR_MISSING_INPUT',
  SHAPE_MISMATCH: 'ERR_SHAPE_MISMATCH',
  DTYPE_MISMATCH: 'ERR_DTYPE_MISMATCH',
  MODEL_LOAD: 'ERR_MODEL_LOAD',
  ENGINE_INCOMPATIBLE: 'ERR_ENGINE_INCOMPATIBLE',
  ENGINE_CORRUPT: 'ERR_ENGINE_CORRUPT',
  BUILD_FAILED: 'ERR_BUILD_FAILED',
  BACKEND_UNAVAILABLE: 'ERR_BACKEND_UNAVAILABLE',
  INFERENCE_FAILED: 'ERR_INFERENCE_FAILED',
  CUDA: 'ERR_CUDA',
  OUT_OF_MEMORY: 'ERR_OUT_OF_MEMORY',
  DISPOSED: 'ERR_DISPOSED',
  ABORTED: 'ERR_ABORTED',
  QUEUE_FULL: 'ERR_QUEUE_FULL',
  UNSUPPORTED: 'ERR_UNSUPPORTED',
  IO: 'ERR_IO',
  /** A remote server (KServe v2 / Triton) failed a request or could not be reached; `details` has the HTTP status. */
  REMOTE: 'ERR_REMOTE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface TensorRTNodeErrorOptions {
  /** Backend text that explains the failure (ONNX Runtime message, TensorRT logger lines, CUDA error). */
  details?: string;
  cause?: unknown;
}

export class TensorRTNodeError extends Error {
  readonly code: ErrorCode;
  readonly details: string | undefined;

  constructor(code: ErrorCode, message: string, options: TensorRTNodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TensorRTNodeError';
    this.code = code;
    this.details = options.details;
  }
}

/** Renders a received value for an error message: short, and never the whole of a big array. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as { length?: number }).length ?? value.byteLength})`;
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map(describeValue).join(', ');
    return `[${head}${value.length > 8 ? ', ...' : ''}]`;
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${value.byteLength})`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/** `Expected <what> for <name> but received <value>`: the one shape of argument errors. */
export function invalidArgument(
  what: string,
  name: string,
  value: unknown,
  code: ErrorCode = ErrorCode.INVALID_ARGUMENT,
): TensorRTNodeError {
  return new TensorRTNodeError(code, `Expected ${what} for ${name} but received ${describeValue(value)}`);
}

export function isTensorRTNodeError(error: unknown, code?: ErrorCode): error is TensorRTNodeError {
  return error instanceof TensorRTNodeError && (code === undefined || error.code === code);
}

/** The error an operation (`what`: 'The run', 'The quality report', ...) rejects with when its AbortSignal fires: ERR_ABORTED, the signal's reason in the message and as cause. */
export function abortError(signal: AbortSignal, what = 'The operation'): TensorRTNodeError {
  const reason = signal.reason instanceof Error ? signal.reason.message : signal.reason === undefined ? 'aborted' : String(signal.reason);
  return new TensorRTNodeError(ErrorCode.ABORTED, `${what} was aborted: ${reason}`, { cause: signal.reason });
}
