// Caller-allocated outputs (`run(feeds, { outputs: { name: tensor } })`) on the simulated TensorRT:
// the engine writes into the caller's memory, and the result equals a plain run's.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, TensorRTNodeError } from '../../lib/index.js';
import { mlp, randomArray } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';

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
    const wrongType = await session.run({ x }, { outputs: { y: Tensor.zeros('int32', [5, 3]) } }).catch((e: unknown) => e);
    expect(wrongType).toBeInstanceOf(TensorRTNodeError);
    expect((wrongType as TensorRTNodeError).code).toBe(ErrorCode.DTYPE_MISMATCH);
    const small = await session.run({ x }, { outputs: { y: Tensor.zeros('float32', [14]) } }).catch((e: unknown) => e);
    expect(small).toBeInstanceOf(TensorRTNodeError);
    expect((small as TensorRTNodeError).code).toBe(ErrorCode.SHAPE_MISMATCH);
    expect((small as TensorRTNodeError).message).toBe('The buffer for output "y" holds 56 bytes but the output needs 60');
  });
});
