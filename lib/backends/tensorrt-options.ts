// The TensorRT backend's options, apart from the backend (which drives the addon's types).
import type { ContextPoolOptions } from '../tensorrt/context-pool-options.js';
import type { EngineLoadOptions } from '../tensorrt/engine.js';

export interface TensorRTBackendOptions extends EngineLoadOptions, ContextPoolOptions {
  /** Always use this optimization profile instead of picking one per run. */
  profile?: number;
}
