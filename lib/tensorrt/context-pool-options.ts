// Apart from the pool itself, whose requests are the addon's types: these options are public.
import type { DeviceMemoryMode } from './engine.js';

export interface ContextPoolOptions {
  /** Most execution contexts (and CUDA streams) to create. Default 2. */
  size?: number;
  /** Most runs that may wait for a context; more fail with ERR_QUEUE_FULL. Default unlimited. */
  maxQueue?: number;
  /**
   * Replay runs of fixed shapes from CUDA graphs: each context captures its work (copies and
   * enqueueV3) once per profile, input shapes and requested outputs, and replays it with
   * cudaGraphLaunch. Engines with data-dependent output shapes run uncaptured. Default false.
   */
  cudaGraph?: boolean;
  /** TensorRT's device memory of each context (Engine.createContext). Default 'auto'. */
  deviceMemory?: DeviceMemoryMode;
}
