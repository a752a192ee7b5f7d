// The session's `tensorrt` options for ONNX models, apart from the code that builds and loads them.
import type { TensorRTBackendOptions } from '../backends/tensorrt-options.js';
import type { BuildEngineOptions } from './build-options.js';
import type { EngineCacheOptions } from './engine-cache.js';

export type OnnxTensorRTOptions = Omit<TensorRTBackendOptions, 'signal'> &
  Omit<BuildEngineOptions, 'output' | 'signal'> &
  EngineCacheOptions;
