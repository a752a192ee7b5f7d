/**
 * How much work a backend takes at once: the largest batch its model accepts along the first dim
 * (TensorRT engines are bounded by their optimization profiles; ONNX models on the CPU are not) and
 * how many runs to keep in flight: the TensorRT context pool's size; two on the CPU, which computes
 * one run at a time but, when it runs on a worker thread, would sit idle between a run's result and
 * the next request's message without a second run queued behind the first.
 */
import type { Backend } from './backend.js';
import type { RemoteBackend } from './remote.js';
import { TensorRTBackend } from './tensorrt.js';

export interface BackendCapacity {
  /** Largest first-dim size any run may have; undefined when only memory bounds it. */
  readonly maxBatch: number | undefined;
  /** Runs to keep in flight at once. */
  readonly concurrency: number;
  /** Runs the backend holds waiting beyond those before refusing with ERR_QUEUE_FULL (Infinity: no limit). */
  readonly queue: number;
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
    return {
      maxBatch: backend.engine.profiles.length > 0 ? maxBatch : undefined,
      concurrency: backend.pool.size,
      queue: backend.pool.maxQueue,
    };
  }
  // A remote server batches on its side (Triton's dynamic batcher): keep one request per connection busy.
  if (backend.name === 'remote') {
    const remote = backend as RemoteBackend;
    return { maxBatch: undefined, concurrency: remote.concurrency, queue: remote.maxQueue };
  }
  return { maxBatch: undefined, concurrency: 2, queue: Number.POSITIVE_INFINITY };
}
