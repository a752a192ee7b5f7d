// The batcher on the simulated TensorRT backend: batches stay within the engine's profile, several
// run at once on the context pool, and results match ONNX Runtime on the source model.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, createBatcher } from '../../lib/index.js';
import { mlp, randomArray } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor } from './trt-helpers.js';

describe('createBatcher on the tensorrt backend', () => {
  it('caps batches at the profile max, keeps the pool busy and matches the CPU backend', async () => {
    const fixture = mlp();
    await using trt = await InferenceSession.create(await planFor(fixture), { tensorrt: { size: 2 } });
    await using cpu = await InferenceSession.create(fixture.bytes, { backend: 'cpu' });
    expect(trt.capacity).toEqual({ maxBatch: 8, concurrency: 2, queue: Number.POSITIVE_INFINITY });
    await using batcher = createBatcher(trt, { maxBatchSize: 32, adaptive: false });
    expect(batcher.maxBatchSize).toBe(8);
    expect(batcher.concurrency).toBe(2);
    const items = Array.from({ length: 40 }, (_, i) => new Tensor('float32', randomArray(4, i + 1), [1, 4]));
    const results = await Promise.all(items.map((x) => batcher.run({ x })));
    for (let i = 0; i < items.length; i++) {
      const reference = await cpu.run({ x: items[i] as Tensor });
      expect(results[i]?.y?.dims).toEqual([1, 3]);
      expect(maxAbsDiff(results[i]?.y?.data as Float32Array, reference.y?.data as Float32Array)).toBeLessThan(1e-6);
    }
    const metrics = batcher.metrics();
    expect(metrics.batchSize.max).toBe(8);
    expect(metrics.batchSize.sum).toBe(40);
    expect(metrics.peakInFlight).toBe(2);
    expect(metrics.backend).toBe('tensorrt');
  });

  it("sends single items on without overrunning the context pool's own queue", async () => {
    await using trt = await InferenceSession.create(await planFor(mlp()), { tensorrt: { size: 1, maxQueue: 2 } });
    expect(trt.capacity.queue).toBe(2);
    // Single items the policy sends without a run slot (its first measurements) must not overrun the pool's queue.
    await using batcher = createBatcher(trt);
    const settled = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) => batcher.run({ x: new Tensor('float32', randomArray(4, i + 1), [1, 4]) }, { outputs: ['y'] })),
    );
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
  });

  it('fails an item of the wrong shape alone', async () => {
    await using trt = await InferenceSession.create(await planFor(mlp()));
    await using batcher = createBatcher(trt);
    const settled = await Promise.allSettled([
      batcher.run({ x: new Tensor('float32', randomArray(4, 1), [1, 4]) }),
      batcher.run({ x: new Tensor('float32', randomArray(5, 2), [1, 5]) }),
      batcher.run({ x: new Tensor('float32', randomArray(4, 3), [4]) }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.SHAPE_MISMATCH });
    expect((settled[2] as PromiseFulfilledResult<Record<string, Tensor>>).value.y?.dims).toEqual([3]);
  });
});
