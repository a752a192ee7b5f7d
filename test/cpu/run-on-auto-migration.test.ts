/**
 * runOn 'auto' moves a session to a worker thread after a slow main-thread run, while runs go on.
 * Regression: onnxruntime-node starts a run in a setImmediate, so the main-thread session used to be
 * released under a run that was already started ("Session already disposed").
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../lib/backends/cpu.js';
import { InferenceSession, Tensor } from '../../lib/index.js';
import { tinyMlp } from '../fixtures/onnx-models.js';
import { rejection } from '../shared/rejection.js';
import { realModels as models } from '../fixtures/real-models.js';
import { randomFloats } from '../fixtures/random.js';

describe("runOn 'auto' migration to a worker", () => {
  it('keeps every run of a back-to-back sequence succeeding, with the same results, across the move', async () => {
    const session = await InferenceSession.create(models.ocrDet, { backend: 'cpu', runOn: 'auto' });
    try {
      const x = new Tensor('float32', randomFloats(3 * 320 * 320, 7), [1, 3, 320, 320]);
      const first = (await session.run({ x }))['sigmoid_0.tmp_0'].data as Float32Array;
      for (let i = 0; i < 12; i++) {
        const out = (await session.run({ x }))['sigmoid_0.tmp_0'].data as Float32Array;
        expect(
          Buffer.from(out.buffer, out.byteOffset, out.byteLength).equals(Buffer.from(first.buffer, first.byteOffset, first.byteLength)),
        ).toBe(true);
      }
    } finally {
      await session.dispose();
    }
  });
});

describe('inputs over a SharedArrayBuffer', () => {
  // onnxruntime-node itself refuses them ("Invalid argument"); the session accepts them on both threads.
  it.each(['main', 'worker'] as const)('give the same results as ordinary inputs (runOn %s)', async (runOn) => {
    const session = await InferenceSession.create(models.ocrCls, { backend: 'cpu', runOn });
    try {
      const plain = randomFloats(3 * 48 * 192, 11);
      const shared = new Float32Array(new SharedArrayBuffer(plain.byteLength));
      shared.set(plain);
      const expected = (await session.run({ x: new Tensor('float32', plain, [1, 3, 48, 192]) }))['softmax_0.tmp_0'].data;
      const actual = (await session.run({ x: new Tensor('float32', shared, [1, 3, 48, 192]) }))['softmax_0.tmp_0'].data;
      expect(actual).toEqual(expected);
    } finally {
      await session.dispose();
    }
  });
});

describe('large inputs staged through transferred pool buffers for the worker', () => {
  it('stay correct across many runs in flight at once, with different data each', async () => {
    const session = await InferenceSession.create(models.ocrCls, { backend: 'cpu', runOn: 'worker' });
    const main = await InferenceSession.create(models.ocrCls, { backend: 'cpu', runOn: 'main' });
    try {
      // 1x3x48x192 float32 is 110 KiB: above the staging size, so these go through the pool.
      const inputs = Array.from({ length: 6 }, (_, i) => new Tensor('float32', randomFloats(3 * 48 * 192, 100 + i), [1, 3, 48, 192]));
      const copies = inputs.map((x) => (x.data as Float32Array).slice());
      const viaWorker = await Promise.all(inputs.map((x) => session.run({ x })));
      // The caller's arrays are copied, never transferred away.
      inputs.forEach((x, i) => expect(x.data).toEqual(copies[i]));
      for (let i = 0; i < inputs.length; i++) {
        const expected = (await main.run({ x: inputs[i] }))['softmax_0.tmp_0'].data;
        expect(viaWorker[i]['softmax_0.tmp_0'].data).toEqual(expected);
      }
    } finally {
      await session.dispose();
      await main.dispose();
    }
  });
});

describe("settlePlacement: runOn 'auto' decides during warm-up, never inside the runs after it", () => {
  const tiny = tinyMlp();
  const feeds = () => ({ x: new Tensor('float32', randomFloats(8, 5), [2, 4]) });

  it('finishes a move already under way: the runs after it all run on the worker', async () => {
    // A threshold of 0 ms: the first main-thread run starts the move.
    const backend = await CpuBackend.create(tiny, { runOn: 'auto', workerThresholdMs: 0 });
    try {
      await backend.run(feeds(), ['probabilities']);
      expect(backend.runningOn).toBe('main');
      expect(await backend.settlePlacement()).toBe('worker');
      expect(backend.runningOn).toBe('worker');
      await backend.run(feeds(), ['probabilities']);
      expect(backend.computedRuns).toBe(2);
    } finally {
      await backend.dispose();
    }
  });

  it('keeps a session that has not moved on the main thread, however slow its later runs', async () => {
    const backend = await CpuBackend.create(tiny, { runOn: 'auto', workerThresholdMs: 0 });
    try {
      expect(await backend.settlePlacement()).toBe('main');
      for (let i = 0; i < 3; i++) await backend.run(feeds(), ['probabilities']);
      expect(await backend.settlePlacement()).toBe('main');
      expect(backend.runningOn).toBe('main');
    } finally {
      await backend.dispose();
    }
  });

  it.each(['main', 'worker'] as const)('on a session reports runOn %s as it is, and refuses after dispose', async (runOn) => {
    const session = await InferenceSession.create(tiny, { backend: 'cpu', runOn });
    expect(await session.settlePlacement()).toBe(runOn);
    await session.dispose();
    expect((await rejection(session.settlePlacement())).code).toBe('ERR_DISPOSED');
  });
});
