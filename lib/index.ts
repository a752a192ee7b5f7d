export { InferenceSession, type SessionOptions, type RunOptions, type BackendChoice } from './session.js';
export { Tensor, type Dims, type TensorLocation, elementCount } from './tensor.js';
export { type DType, type DTypeArrayMap, type TypedArray, DTYPES } from './dtype.js';
export { TensorRTNodeError, ErrorCode, isTensorRTNodeError, type TensorRTNodeErrorOptions } from './errors.js';
export type { TensorInfo, BackendName } from './backends/backend.js';
export type { RunOn, GraphOptimizationLevel } from './backends/cpu.js';
export { cpuAvailability, tensorrtAvailability, type BackendAvailability } from './backends/availability.js';
export { quantizeInt8, type QuantizeInt8Options, type QuantizeInt8Result, type Int8Report, type CalibrationMethod, type QuantTarget, type Exclusions } from './optimize/quantize.js';
