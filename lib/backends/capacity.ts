/**
 * How much work a backend takes at once: the largest batch its model accepts along the first dim
 * (TensorRT engines are bounded by their optimization profiles; ONNX models on the CPU are not) and
 * how many runs it works on side by side (the TensorRT context pool's size; one on the CPU, where
 * concurrent ONNX Runtime runs only compete for the same intra-op threads).
 */
import type { Backend } from './backend.js';
import { TensorRTBackend } from './tensorrt.js';

export interface BackendCapacity {
  /** Largest first-dim size any run may have; undefined when only memory bounds it. */
  readonly maxBatch: number | undefined;
  /** Runs the backend computes at the same time. */
  readonly concurrency: number;
}

export function backendCapacity(backend: Backend): BackendCapacity {
  if (backend instanceof TensorRTBackend) {
    // A batch fits when some profile holds it for every input: the best profile's tightest input.
    let maxBatch = 0;
    for (const profile of backend.engine.profiles) {
      const ranges = Object.values(profile.inputs);
      if (ranges.length === 0) continue;
      maxBatch = Math.max(maxBatch, Math.min(...ranges.map((range) => range.max[0] ?? 1)));
    }
    return { maxBatch: backend.engine.profiles.length > 0 ? maxBatch : undefined, concurrency: backend.pool.size };
  }
  return { maxBatch: undefined, concurrency: 1 };
}
