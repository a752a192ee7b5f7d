export { InferenceSession, type SessionOptions, type RunOptions, type BackendChoice, type RemoteSessionOptions } from './session.js';
export type { RemoteBackendOptions } from './backends/remote-options.js';
export { Tensor, type Dims, type TensorLocation, elementCount } from './tensor.js';
export { type DType, type DTypeArrayMap, type TypedArray, DTYPES } from './dtype.js';
export { TensorRTNodeError, ErrorCode, isTensorRTNodeError, type TensorRTNodeErrorOptions } from './errors.js';
export type { TensorInfo, BackendName } from './backends/backend.js';
export type { RunOn, GraphOptimizationLevel } from './backends/cpu.js';
export type { OrtLogLevel } from './backends/ort-log-level.js';
export { backends, cpuAvailability, tensorrtAvailability, type BackendAvailability, type BackendsReport } from './backends/availability.js';

// --- native addon: CUDA layer and backend availability ---
export { CudaStream } from './cuda/stream.js';
export { CudaEvent } from './cuda/event.js';
export { DeviceBuffer } from './cuda/device-buffer.js';
export { PinnedBuffer } from './cuda/pinned-buffer.js';
export { devices, memoryInfo, type DeviceInfo } from './cuda/devices.js';
export { cudaInfo, type CudaInfo } from './cuda/info.js';
export { tensorrtLibraryInfo, type TensorRTLibraryInfo, type LibraryInfo } from './tensorrt/info.js';
// --- end native addon ---

// --- model optimizer ---
export { convertToFloat16, type ConvertToFloat16Options, type EvaluationOptions, type Float16Report } from './optimize/convert-fp16.js';
export { DEFAULT_FP16_BLOCK_OPS, type Float16Options, type Float16Stats } from './optimize/fp16.js';
export {
  compareModels,
  formatReport,
  type CompareOptions,
  type LatencyComparison,
  type OutputQuality,
  type QualityReport,
} from './optimize/report.js';
export type { Feeds } from './optimize/feeds.js';
export {
  quantizeInt8,
  type QuantizeInt8Options,
  type QuantizeInt8Result,
  type Int8Report,
  type CalibrationMethod,
  type QuantTarget,
  type Exclusions,
} from './optimize/quantize.js';
export type { CalibrationProgress } from './optimize/calibrate.js';
export {
  pruneStructured,
  PRUNE_PATTERNS,
  type PruneOptions,
  type PruneReport,
  type PruneResult,
  type PrunePattern,
} from './optimize/prune.js';
export type { SkippedLayer } from './optimize/prune/qualify.js';
// --- end model optimizer ---

// --- TensorRT runtime ---
export {
  Engine,
  type EngineLoadOptions,
  type EngineTensor,
  type EngineProfile,
  type ProfileRange,
  type ShapeValueRange,
} from './tensorrt/engine.js';
export {
  buildEngine,
  type BuildEngineOptions,
  type BuildProgress,
  type EngineBuildSettings,
  type HardwareCompatibility,
  type Precision,
} from './tensorrt/builder.js';
export {
  clearCache as clearEngineCache,
  defaultCacheDir as engineCacheDir,
  listCache as listEngineCache,
  pruneCache as pruneEngineCache,
  type CacheEntry as EngineCacheEntry,
  type EngineCacheOptions,
} from './tensorrt/engine-cache.js';
export { setTensorRTLogger, type TensorRTLogSeverity } from './tensorrt/logger.js';
export type { TensorRTBackendOptions } from './backends/tensorrt-options.js';
// --- end TensorRT runtime ---

// --- serving ---
export { Batcher, createBatcher, type BatcherOptions, type BatchRunOptions } from './serve/batcher.js';
export type { PolicyState } from './serve/batch-policy.js';
export type { MetricsSnapshot, MetricsLabels } from './serve/metrics.js';
export { MeteredSession, meterSession } from './serve/metered-session.js';
export { ModelHandle, type ModelHandleOptions, type ModelSource, type SwapResult } from './serve/model-handle.js';
export type { HistogramSnapshot } from './serve/histogram.js';
export type { PrometheusRegistry } from './serve/prometheus.js';
export type { BackendCapacity } from './backends/capacity.js';
export { runBatchJob, type BatchJobOptions, type BatchProgress, type BatchSummary, type BatchFailure } from './serve/batch-job.js';
export type { OutputStreamFactory } from './serve/results-file.js';
export { measureLoad, type LoadOptions, type LoadReport } from './serve/load.js';
export { enqueueBatch, type EnqueueBatchOptions, type EnqueueSummary } from './serve/queue/enqueue.js';
export { runBatchWorker, type BatchWorkerOptions, type WorkerProgress, type WorkerSummary } from './serve/queue/worker.js';
export { collectBatch, type CollectBatchOptions, type CollectSummary } from './serve/queue/collect.js';
export { batchQueueStatus, type BatchQueueStatus } from './serve/queue/status.js';
export { parseQueueUrl, type QueueLocation } from './serve/queue/queue-url.js';
export { Router, createRouter, type RouterRunOptions, type RouterMetricsSnapshot } from './serve/router.js';
export { type Route, type RouteTarget, type RouterPolicy, type RoutePriority } from './serve/route-policy.js';
export { RETRYABLE_CODES, failsOverByDefault } from './serve/route-failover.js';
export type { RouteMetricsSnapshot, RouteState } from './serve/route-metrics.js';
// --- end serving ---

// --- model repository export ---
export { exportTriton, type TritonExportOptions, type TritonExportResult, type TritonModelFormat } from './export/triton.js';
export type { TritonModelConfig, TritonTensorConfig, TritonPlatform, TritonInstanceKind } from './export/model-config.js';
export type { TritonDataType } from './export/triton-types.js';
// --- end model repository export ---
