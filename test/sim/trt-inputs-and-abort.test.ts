// The tensorrt backend (simulator) treats inputs and signals like the CPU backend: inputs are read
// before run() returns, shared memory is accepted, damaged inputs get coded errors, a queue limit
// from the session options, and one listener however many runs share a signal.
import './use-sim.js';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, type TensorRTNodeError } from '../../lib/index.js';
import { buildModel } from '../../lib/onnx/builder.js';
import { buildEngine } from '../../lib/tensorrt/builder.js';
import { mlp, randomArray } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';
import { rejection } from '../shared/rejection.js';

let plan: Uint8Array;
beforeAll(async () => {
  plan = await planFor(mlp());
});

describe('inputs on the tensorrt backend', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    // One context: every run after the first waits in the pool's queue.
    session = await InferenceSession.create(plan, { backend: 'tensorrt', tensorrt: { size: 1 } });
  });
  afterAll(() => session.dispose());

  it('are read before run() returns: overwriting them at once changes no result, running or queued', async () => {
    const values = randomArray(8, 4);
    const expected = await session.run({ x: new Tensor('float32', values.slice(), [2, 4]) });
    const runs: Promise<Record<string, Tensor>>[] = [];
    for (let i = 0; i < 5; i++) {
      const data = values.slice();
      runs.push(session.run({ x: new Tensor('float32', data, [2, 4]) }));
      data.fill(1000);
    }
    for (const result of await Promise.all(runs)) expect(result.y.data).toEqual(expected.y.data);
  });

  it('may live in shared memory (SharedArrayBuffer)', async () => {
    const values = randomArray(8, 5);
    const expected = await session.run({ x: new Tensor('float32', values.slice(), [2, 4]) });
    const shared = new Float32Array(new SharedArrayBuffer(32));
    shared.set(values);
    const first = session.run({ x: new Tensor('float32', shared, [2, 4]) });
    const second = session.run({ x: new Tensor('float32', shared, [2, 4]) });
    shared.fill(-5);
    expect((await first).y.data).toEqual(expected.y.data);
    expect((await second).y.data).toEqual(expected.y.data);
  });

  it('a detached input is ERR_INVALID_ARGUMENT', async () => {
    const data = randomArray(8, 6);
    const x = new Tensor('float32', data, [2, 4]);
    structuredClone(data.buffer as ArrayBuffer, { transfer: [data.buffer as ArrayBuffer] });
    const error = await rejection(session.run({ x }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toMatch(/^Expected 8 elements \(dims \[2, 4\]\) in the data of input "x" but received Float32Array\(0\): /);
  });

  it('an input named "__proto__" is an input like any other', async () => {
    const bytes = buildModel({
      opset: 17,
      inputs: [
        { name: '__proto__', dtype: 'float32', dims: [2] },
        { name: 'b', dtype: 'float32', dims: [2] },
      ],
      outputs: [{ name: 'y', dtype: 'float32', dims: [2] }],
      nodes: [{ op: 'Sub', inputs: ['__proto__', 'b'], outputs: ['y'] }],
    });
    await using proto = await InferenceSession.create(await buildEngine(bytes), { backend: 'tensorrt' });
    const feeds = { b: new Tensor('float32', new Float32Array([1, 2]), [2]) } as Record<string, Tensor>;
    Object.defineProperty(feeds, '__proto__', { value: new Tensor('float32', new Float32Array([10, 20]), [2]), enumerable: true });
    expect([...(await proto.run(feeds)).y.data]).toEqual([9, 18]);
  });
});

describe('queue and signals on the tensorrt backend', () => {
  it('options.maxQueue limits the context pool queue', async () => {
    await using session = await InferenceSession.create(plan, { backend: 'tensorrt', maxQueue: 1, tensorrt: { size: 1 } });
    const x = new Tensor('float32', randomArray(8, 7), [2, 4]);
    const outcomes = await Promise.all(
      [0, 1, 2].map(() =>
        session.run({ x }).then(
          () => 'ok',
          (error: TensorRTNodeError) => error.code,
        ),
      ),
    );
    expect(outcomes).toEqual(['ok', 'ok', ErrorCode.QUEUE_FULL]);
  });

  it('one AbortSignal shared by many waiting runs adds one listener, without MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await using session = await InferenceSession.create(plan, { backend: 'tensorrt', tensorrt: { size: 1 } });
      const controller = new AbortController();
      const x = new Tensor('float32', randomArray(8, 8), [2, 4]);
      const results = await Promise.all(Array.from({ length: 25 }, () => session.run({ x }, { signal: controller.signal })));
      expect(results).toHaveLength(25);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
