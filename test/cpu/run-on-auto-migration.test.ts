/**
 * runOn 'auto' moves a session to a worker thread after a slow main-thread run, while runs go on.
 * Regression: onnxruntime-node starts a run in a setImmediate, so the main-thread session used to be
 * released under a run that was already started ("Session already disposed").
 */
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../../lib/index.js';
import { realModels } from '../fixtures/real-models.js';
import { randomFloats } from '../fixtures/random.js';

const models = { det: realModels.ocrDet, rec: realModels.ocrRec, cls: realModels.ocrCls, vad: realModels.sileroVad };

describe("runOn 'auto' migration to a worker", () => {
  it('keeps every run of a back-to-back sequence succeeding, with the same results, across the move', async () => {
    const session = await InferenceSession.create(models.det, { backend: 'cpu', runOn: 'auto' });
    try {
      const x = new Tensor('float32', randomFloats(3 * 320 * 320, 7), [1, 3, 320, 320]);
      const first = (await session.run({ x }))['sigmoid_0.tmp_0'].data as Float32Array;
      for (let i = 0; i < 12; i++) {
        const out = (await session.run({ x }))['sigmoid_0.tmp_0'].data as Float32Array;
        expect(Buffer.from(out.buffer, out.byteOffset, out.byteLength).equals(Buffer.from(first.buffer, first.byteOffset, first.byteLength))).toBe(true);
      }
    } finally {
      await session.dispose();
    }
  });
});
