// The dynamic batcher on the CPU backend (real ONNX Runtime): stacking, splitting, grouping,
// isolation of bad items, backpressure, abort and draining.
import { describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, createBatcher } from '../../../lib/index.js';
import { randomFloats } from '../../fixtures/random.js';
import { scaleByLength, servingMlp, tableLookup } from '../../fixtures/serving-models.js';

function row(seed: number): Tensor {
  return new Tensor('float32', randomFloats(128, seed), [1, 128]);
}

describe('createBatcher on the cpu backend', () => {
  it('stacks concurrent items into one run and gives each its own rows', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    await using batcher = createBatcher(session, { maxBatchSize: 64, maxDelayMs: 5, adaptive: false });
    const inputs = Array.from({ length: 24 }, (_, i) => row(i + 1));
    const batched = await Promise.all(inputs.map((x) => batcher.run({ x })));
    for (let i = 0; i < inputs.length; i++) {
      const alone = await session.run({ x: inputs[i] as Tensor });
      expect(batched[i]?.y?.dims).toEqual([1, 16]);
      const a = batched[i]?.y?.data as Float32Array;
      const b = alone.y?.data as Float32Array;
      for (let k = 0; k < 16; k++) expect(a[k]).toBeCloseTo(b[k] as number, 4);
    }
    const metrics = batcher.metrics();
    expect(metrics.batchSize.max).toBe(24);
    expect(metrics.completed).toBe(24);
    expect(metrics.errors).toEqual({});
  });

  it('takes items without a batch dim and returns outputs without one', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    const batcher = createBatcher(session, { adaptive: false });
    const x = randomFloats(128, 7);
    const [bare, withDim] = await Promise.all([
      batcher.run({ x: new Tensor('float32', x, [128]) }),
      batcher.run({ x: new Tensor('float32', x, [1, 128]) }),
    ]);
    expect(bare.y?.dims).toEqual([16]);
    expect(withDim.y?.dims).toEqual([1, 16]);
    expect(Array.from(bare.y?.data as Float32Array)).toEqual(Array.from(withDim.y?.data as Float32Array));
    await batcher.dispose();
  });

  it('sends items whose other dims differ to different runs', async () => {
    await using session = await InferenceSession.create(scaleByLength(3), { backend: 'cpu' });
    await using batcher = createBatcher(session, { adaptive: false });
    const lengths = [3, 5, 3, 5, 3, 7];
    const results = await Promise.all(
      lengths.map((len, i) =>
        batcher.run({
          x: new Tensor(
            'float32',
            Float32Array.from({ length: len }, (_, k) => i + k),
            [1, len],
          ),
        }),
      ),
    );
    results.forEach((result, i) => {
      expect(result.y?.dims).toEqual([1, lengths[i]]);
      expect(Array.from(result.y?.data as Float32Array)).toEqual(Array.from({ length: lengths[i] as number }, (_, k) => 3 * (i + k)));
    });
    const metrics = batcher.metrics();
    expect(metrics.batchSize.count).toBe(3);
    expect(metrics.batchSize.max).toBe(3);
  });

  it('fails a bad item alone: wrong shape or dtype at once, a model error after its batch is split', async () => {
    await using session = await InferenceSession.create(tableLookup(), { backend: 'cpu' });
    await using batcher = createBatcher(session, { adaptive: false });
    const index = (value: number) => new Tensor('int64', BigInt64Array.from([BigInt(value)]), [1, 1]);
    const runs = [3, 99, 5, 0].map((value) => batcher.run({ index: index(value) }));
    const wrongDtype = batcher.run({ index: new Tensor('int32', Int32Array.from([1]), [1, 1]) });
    const wrongShape = batcher.run({ index: new Tensor('int64', BigInt64Array.from([1n, 2n]), [2, 1]) });
    const settled = await Promise.allSettled([...runs, wrongDtype, wrongShape]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(Array.from((settled[0] as PromiseFulfilledResult<Record<string, Tensor>>).value.row?.data as Float32Array)).toEqual([6, 7]);
    expect(Array.from((settled[2] as PromiseFulfilledResult<Record<string, Tensor>>).value.row?.data as Float32Array)).toEqual([10, 11]);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.INFERENCE_FAILED });
    expect((settled[4] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.DTYPE_MISMATCH });
    expect((settled[5] as PromiseRejectedResult).reason).toMatchObject({
      code: ErrorCode.SHAPE_MISMATCH,
      message: expect.stringMatching(/^Expected one item \(batch dim 1, or no batch dim\) for input "index" but received dims \[2, 1\]/),
    });
    expect(batcher.metrics().errors).toEqual({ ERR_INFERENCE_FAILED: 1, ERR_DTYPE_MISMATCH: 1, ERR_SHAPE_MISMATCH: 1 });
  });

  it('refuses items past maxQueue at once with ERR_QUEUE_FULL and serves the rest', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    await using batcher = createBatcher(session, { maxQueue: 4, adaptive: false });
    const settled = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => batcher.run({ x: row(i) })));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((settled[4] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.QUEUE_FULL });
    expect(batcher.metrics().errors).toEqual({ ERR_QUEUE_FULL: 2 });
  });

  it('drops an aborted item from the queue: it never runs, its neighbours do', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    await using batcher = createBatcher(session, { adaptive: false });
    const controller = new AbortController();
    const runs = [batcher.run({ x: row(1) }), batcher.run({ x: row(2) }, { signal: controller.signal }), batcher.run({ x: row(3) })];
    expect(batcher.queued).toBe(3);
    controller.abort(new Error('client went away'));
    expect(batcher.queued).toBe(2);
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({
      code: ErrorCode.ABORTED,
      message: expect.stringContaining('client went away'),
    });
    expect(batcher.metrics().batchSize.sum).toBe(2);
    const aborted = AbortSignal.abort();
    await expect(batcher.run({ x: row(4) }, { signal: aborted })).rejects.toMatchObject({ code: ErrorCode.ABORTED });
  });

  it('drains on dispose: queued items finish, later ones are refused', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    const batcher = createBatcher(session, { maxBatchSize: 4 });
    const runs = Array.from({ length: 10 }, (_, i) => batcher.run({ x: row(i) }));
    const disposed = batcher.dispose();
    await expect(batcher.run({ x: row(1) })).rejects.toMatchObject({ code: ErrorCode.DISPOSED });
    const settled = await Promise.allSettled(runs);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    await disposed;
    expect(batcher.queued).toBe(0);
    expect(batcher.inFlight).toBe(0);
  });

  it('keeps serving under continuous concurrent load with adaptive batching', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    await using batcher = createBatcher(session, { maxBatchSize: 16 });
    let done = 0;
    const client = async (id: number) => {
      for (let i = 0; i < 40; i++) {
        const out = await batcher.run({ x: row(id * 100 + i) });
        expect(out.y?.dims).toEqual([1, 16]);
        done++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, id) => client(id)));
    expect(done).toBe(640);
    const metrics = batcher.metrics();
    expect(metrics.completed).toBe(640);
    expect(metrics.batchSize.sum).toBe(640);
    expect(metrics.totalMs.p99).toBeGreaterThanOrEqual(metrics.totalMs.p50);
    expect(batcher.policy.singleMsPerItem).toBeDefined();
    expect(batcher.policy.batchedMsPerItem).toBeDefined();
  });

  it('validates its options', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    expect(() => createBatcher(session, { maxBatchSize: 0 })).toThrow(
      /Expected a positive integer for options.maxBatchSize but received 0/,
    );
    expect(() => createBatcher(session, { maxDelayMs: -1 })).toThrow(
      /Expected a non-negative number of milliseconds for options.maxDelayMs but received -1/,
    );
  });
});
