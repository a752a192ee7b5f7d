// How runs treat their inputs on the CPU backend: read before run() returns (the caller may reuse
// its arrays at once), and every damaged input is a TensorRTNodeError with a code, not a bare
// TypeError from ONNX Runtime or postMessage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, InferenceSession, Tensor, TensorRTNodeError } from '../../lib/index.js';
import { buildModel } from '../../lib/onnx/builder.js';
import { tinyMlp } from '../fixtures/onnx-models.js';
import { randomFloats } from '../fixtures/random.js';
import { rejection } from '../shared/rejection.js';

const model = tinyMlp();

describe.each(['main', 'worker', 'auto'] as const)('inputs are read before run() returns (runOn %s)', (runOn) => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await InferenceSession.create(model, { backend: 'cpu', runOn });
  });
  afterAll(() => session.dispose());

  // Small inputs travel one way to a worker, large ones (16 KiB and up) another: test both.
  it.each([2, 2048])('overwriting the input array right after run() does not change the result (batch %i)', async (batch) => {
    const values = randomFloats(batch * 4, 5);
    const expected = await session.run({ x: new Tensor('float32', values.slice(), [batch, 4]) });
    const runs: Promise<Record<string, Tensor>>[] = [];
    for (let i = 0; i < 6; i++) {
      const data = values.slice();
      runs.push(session.run({ x: new Tensor('float32', data, [batch, 4]) }));
      data.fill(1000);
    }
    for (const result of await Promise.all(runs)) expect(result.probabilities.data).toEqual(expected.probabilities.data);
  });

  it('the same holds for an input in shared memory (SharedArrayBuffer)', async () => {
    const values = randomFloats(8, 6);
    const expected = await session.run({ x: new Tensor('float32', values.slice(), [2, 4]) });
    const shared = new Float32Array(new SharedArrayBuffer(32));
    shared.set(values);
    const first = session.run({ x: new Tensor('float32', shared, [2, 4]) });
    const second = session.run({ x: new Tensor('float32', shared, [2, 4]) });
    shared.fill(-1000);
    expect((await first).probabilities.data).toEqual(expected.probabilities.data);
    expect((await second).probabilities.data).toEqual(expected.probabilities.data);
  });
});

describe.each(['main', 'worker'] as const)('damaged inputs (runOn %s)', (runOn) => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await InferenceSession.create(model, { backend: 'cpu', runOn });
  });
  afterAll(() => session.dispose());

  it('an input whose ArrayBuffer was transferred (detached)', async () => {
    const data = randomFloats(8, 1);
    const x = new Tensor('float32', data, [2, 4]);
    structuredClone(data.buffer as ArrayBuffer, { transfer: [data.buffer as ArrayBuffer] });
    const error = await rejection(session.run({ x }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe(
      'Expected 8 elements (dims [2, 4]) in the data of input "x" but received Float32Array(0): its ArrayBuffer was transferred (detached), ' +
        'resized or replaced after the Tensor was made; keep the buffer intact until run() returns, or make a new Tensor',
    );
    // The session is unharmed.
    expect((await session.run({ x: new Tensor('float32', randomFloats(8, 1), [2, 4]) })).probabilities.dims).toEqual([2, 3]);
  });

  it('an input over a resizable ArrayBuffer that shrank', async () => {
    // Resizable ArrayBuffers are ES2024, newer than the TypeScript lib this project targets.
    type Resizable = ArrayBuffer & { resize(byteLength: number): void };
    const buffer = new (ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Resizable)(32, {
      maxByteLength: 64,
    });
    const x = new Tensor('float32', new Float32Array(buffer), [2, 4]);
    buffer.resize(16);
    const error = await rejection(session.run({ x }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toMatch(/^Expected 8 elements \(dims \[2, 4\]\) in the data of input "x" but received Float32Array\(4\): /);
  });

  it('a Tensor whose data was replaced after it was made', async () => {
    const x = new Tensor('float32', randomFloats(8, 1), [2, 4]);
    Object.defineProperty(x, 'data', { value: new Int32Array(8) });
    const error = await rejection(session.run({ x }));
    expect(error.code).toBe(ErrorCode.DTYPE_MISMATCH);
    expect(error.message).toBe(
      'Expected a Float32Array for the data of input "x" (dtype float32) but received Int32Array(8); make a new Tensor instead of changing one',
    );
  });

  it('a Tensor whose dims were replaced after it was made', async () => {
    const x = new Tensor('float32', randomFloats(8, 1), [2, 4]);
    Object.defineProperty(x, 'dims', { value: [2, 'four'] });
    const error = await rejection(session.run({ x }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected dims that are an array of non-negative integers for input "x" but received [2, "four"]');
  });
});

describe.each(['main', 'worker'] as const)('an input named "__proto__" (runOn %s)', (runOn) => {
  const protoModel = buildModel({
    opset: 17,
    inputs: [
      { name: '__proto__', dtype: 'float32', dims: [2] },
      { name: 'b', dtype: 'float32', dims: [2] },
    ],
    outputs: [{ name: 'constructor', dtype: 'float32', dims: [2] }],
    nodes: [{ op: 'Sub', inputs: ['__proto__', 'b'], outputs: ['constructor'] }],
  });

  it('is an input like any other', async () => {
    const session = await InferenceSession.create(protoModel, { backend: 'cpu', runOn });
    try {
      const feeds = { b: new Tensor('float32', new Float32Array([1, 2]), [2]) } as Record<string, Tensor>;
      Object.defineProperty(feeds, '__proto__', { value: new Tensor('float32', new Float32Array([10, 20]), [2]), enumerable: true });
      const results = await session.run(feeds);
      expect(Object.keys(results)).toEqual(['constructor']);
      expect([...(Object.getOwnPropertyDescriptor(results, 'constructor')?.value as Tensor).data]).toEqual([9, 18]);
      // Missing, it is named like any other missing input.
      const error = await rejection(session.run({ b: new Tensor('float32', new Float32Array([1, 2]), [2]) }));
      expect(error.code).toBe(ErrorCode.MISSING_INPUT);
      expect(error.message).toBe('Expected a Tensor for input "__proto__" (float32 [2]) but received none');
    } finally {
      await session.dispose();
    }
  });
});

describe('Tensor.zeros of absurd dims', () => {
  it('refuses dims too large for one array before allocating', () => {
    let error: unknown;
    try {
      Tensor.zeros('float32', [1_000_000, 1_000_000, 1000]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TensorRTNodeError);
    expect((error as TensorRTNodeError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((error as TensorRTNodeError).message).toMatch(
      /^Expected dims whose float32 data fits in one array \(at most [\d.]+ [GM]iB\) for Tensor\.zeros but received \[1000000, 1000000, 1000\] \([\d.e+]+ GiB\); use smaller dims$/,
    );
  });
});

describe('thread counts', () => {
  it.each([1000, 99_999])('refuses %i intra-op or inter-op threads', async (threads) => {
    for (const key of ['intraOp', 'interOp'] as const) {
      const error = await rejection(InferenceSession.create(model, { backend: 'cpu', threads: { [key]: threads } }));
      expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(error.message).toMatch(
        new RegExp(
          `^Expected an integer from 1 to \\d+ \\(4 per CPU core; \\d+ here\\) for options\\.threads\\.${key} but received ${threads}$`,
        ),
      );
    }
  });
});

describe('a dynamic dim without a name', () => {
  it('prints as ? in messages (ONNX Runtime reports it as an empty name)', async () => {
    const session = await InferenceSession.create(tinyMlp({ batch: '' }), { backend: 'cpu' });
    try {
      expect(session.inputs[0].shape).toEqual(['', 4]);
      const error = await rejection(session.run({ x: new Tensor('float32', new Float32Array(4), [4]) }));
      expect(error.message).toBe('Expected rank 2 (shape [?, 4]) for input "x" but received dims [4]');
    } finally {
      await session.dispose();
    }
  });
});
