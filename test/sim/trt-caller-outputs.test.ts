// Caller-allocated outputs (`run(feeds, { outputs: { name: tensor } })`) on the simulated TensorRT:
// the engine writes into the caller's memory, and the result equals a plain run's.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor } from '../../lib/index.js';
import { mlp, randomArray } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';
import { expectCode } from '../shared/rejection.js';

describe('caller-allocated outputs on the tensorrt backend', () => {
  it('writes y into the given tensor, a larger one in its first elements', async () => {
    await using session = await InferenceSession.create(await planFor(mlp()), { backend: 'tensorrt' });
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const x = new Tensor('float32', randomArray(20, 3), [5, 4]);
    const expected = await session.run({ x });
    const y = Tensor.zeros('float32', [5, 3]);
    const out = await session.run({ x }, { outputs: { y } });
    expect(out.y?.data).toBe(y.data);
    expect(Array.from(y.data)).toEqual(Array.from(expected.y?.data as Float32Array));
    const roomy = Tensor.zeros('float32', [64]);
    const again = await session.run({ x }, { outputs: { y: roomy } });
    expect(again.y?.dims).toEqual([5, 3]);
    expect(again.y?.data.buffer).toBe(roomy.data.buffer);
    expect(Array.from(roomy.data.subarray(0, 15))).toEqual(Array.from(expected.y?.data as Float32Array));
    expect(roomy.data[15]).toBe(0);
  });

  it('refuses a tensor of another dtype or too few elements', async () => {
    await using session = await InferenceSession.create(await planFor(mlp()), { backend: 'tensorrt' });
    const x = new Tensor('float32', randomArray(20, 3), [5, 4]);
    await expectCode(
      session.run({ x }, { outputs: { y: Tensor.zeros('int32', [5, 3]) } }),
      ErrorCode.DTYPE_MISMATCH,
      'Expected a float32 tensor for output "y" but received a int32 tensor',
    );
    await expectCode(
      session.run({ x }, { outputs: { y: Tensor.zeros('float32', [14]) } }),
      ErrorCode.SHAPE_MISMATCH,
      'The buffer for output "y" holds 56 bytes but the output needs 60',
    );
  });
});
