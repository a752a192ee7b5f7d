// Caller-allocated outputs (`run(feeds, { outputs: { name: tensor } })`) on the CPU backend, on the
// main thread and in the worker: the results land in the caller's memory, equal to a plain run's.
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ErrorCode, InferenceSession, Tensor } from '../../lib/index.js';
import { realModels as models } from '../fixtures/real-models.js';
import { randomFloats } from '../fixtures/random.js';
import { rejection } from '../shared/rejection.js';

const feeds = () => ({
  input: new Tensor('float32', randomFloats(512, 4, 0.3), [1, 512]),
  sr: new Tensor('int64', BigInt64Array.of(16000n), []),
  h: new Tensor('float32', randomFloats(128, 5, 0.1), [2, 1, 64]),
  c: new Tensor('float32', randomFloats(128, 6, 0.1), [2, 1, 64]),
});

const sessions: InferenceSession[] = [];
afterAll(async () => Promise.all(sessions.map((s) => s.dispose())));

describe.each(['main', 'worker'] as const)('caller-allocated outputs (runOn %s)', (runOn) => {
  it('writes the outputs asked for into the given tensors, a larger one in its first elements', async () => {
    const session = await InferenceSession.create(models.sileroVad, { backend: 'cpu', runOn });
    sessions.push(session);
    const expected = await session.run(feeds());
    const hn = Tensor.zeros('float32', [2, 1, 64]);
    const cn = Tensor.zeros('float32', [300]);
    const out = await session.run(feeds(), { outputs: { hn, cn } });
    expect(Object.keys(out)).toEqual(['hn', 'cn']);
    // Typed by the given tensors: exactly those names, each with its tensor's dtype (checked by tsc).
    expectTypeOf(out).toEqualTypeOf<{ hn: Tensor<'float32'>; cn: Tensor<'float32'> }>();
    expectTypeOf(out.cn.data).toEqualTypeOf<Float32Array>();
    expectTypeOf(await session.run(feeds(), { outputs: ['hn'] })).toEqualTypeOf<Record<'hn', Tensor>>();
    expect(out.hn?.data).toBe(hn.data);
    expect(out.hn?.dims).toEqual([2, 1, 64]);
    expect(out.cn?.dims).toEqual([2, 1, 64]);
    expect(out.cn?.data.buffer).toBe(cn.data.buffer);
    expect(out.cn?.data.length).toBe(128);
    expect(cn.data[128]).toBe(0);
    expect(Array.from(hn.data)).toEqual(Array.from(expected.hn?.data as Float32Array));
    expect(Array.from(cn.data.subarray(0, 128))).toEqual(Array.from(expected.cn?.data as Float32Array));
  });

  it('refuses a tensor of another dtype or too few elements', async () => {
    const session = await InferenceSession.create(models.sileroVad, { backend: 'cpu', runOn });
    sessions.push(session);
    const wrongType = await rejection(session.run(feeds(), { outputs: { hn: Tensor.zeros('int32', [2, 1, 64]) } }));
    expect(wrongType.code).toBe(ErrorCode.DTYPE_MISMATCH);
    expect(wrongType.message).toBe('Expected a float32 tensor for output "hn" but received a int32 tensor');
    const small = await rejection(session.run(feeds(), { outputs: { hn: Tensor.zeros('float32', [100]) } }));
    expect(small.code).toBe(ErrorCode.SHAPE_MISMATCH);
    expect(small.message).toBe('Expected an output tensor of at least 128 elements for output "hn" (dims [2, 1, 64]) but received 100');
    const notTensor = await rejection(session.run(feeds(), { outputs: { hn: new Float32Array(128) } as never }));
    expect(notTensor.code).toBe(ErrorCode.INVALID_ARGUMENT);
    const unknown = await rejection(session.run(feeds(), { outputs: { nope: Tensor.zeros('float32', [1]) } }));
    expect(unknown.code).toBe(ErrorCode.UNKNOWN_TENSOR);
  });
});
