// Every bad input gets a TensorRTNodeError with a stable code and a message naming what was expected.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, InferenceSession, Tensor } from '../../lib/index.js';
import { realModels as models } from '../fixtures/real-models.js';
import { randomFloats } from '../fixtures/random.js';
import { rejection, thrown } from '../shared/rejection.js';

const clsInput = () => new Tensor('float32', randomFloats(3 * 48 * 192, 7), [1, 3, 48, 192]);

describe.each(['main', 'worker'] as const)('run() with bad feeds (runOn %s)', (runOn) => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await InferenceSession.create(models.ocrCls, { backend: 'cpu', runOn });
  });
  afterAll(() => session.dispose());

  it('unknown input name', async () => {
    const error = await rejection(session.run({ x: clsInput(), y: clsInput() }));
    expect(error.code).toBe(ErrorCode.UNKNOWN_TENSOR);
    expect(error.message).toBe('Expected one of the model\'s inputs ("x") but received an unknown input "y"');
  });

  it('missing input', async () => {
    const error = await rejection(session.run({}));
    expect(error.code).toBe(ErrorCode.MISSING_INPUT);
    expect(error.message).toMatch(/^Expected a Tensor for input "x" \(float32 \[p2o\.DynamicDimension\.0, 3, .*\]\) but received none$/);
  });

  it('wrong dtype', async () => {
    const error = await rejection(session.run({ x: new Tensor('int32', new Int32Array(3 * 48 * 192), [1, 3, 48, 192]) }));
    expect(error.code).toBe(ErrorCode.DTYPE_MISMATCH);
    expect(error.message).toBe('Expected dtype float32 for input "x" but received int32');
  });

  it('wrong rank', async () => {
    const error = await rejection(session.run({ x: new Tensor('float32', new Float32Array(3 * 48 * 192), [3, 48, 192]) }));
    expect(error.code).toBe(ErrorCode.SHAPE_MISMATCH);
    expect(error.message).toMatch(/^Expected rank 4 .* for input "x" but received dims \[3, 48, 192\]$/);
  });

  it('wrong fixed dim', async () => {
    const error = await rejection(session.run({ x: new Tensor('float32', new Float32Array(4 * 48 * 192), [1, 4, 48, 192]) }));
    expect(error.code).toBe(ErrorCode.SHAPE_MISMATCH);
    expect(error.message).toMatch(/^Expected 3 at axis 1 .* for input "x" but received dims \[1, 4, 48, 192\]$/);
  });

  it('a value that is not a Tensor', async () => {
    const error = await rejection(session.run({ x: new Float32Array(10) as unknown as Tensor }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected a Tensor for input "x" but received Float32Array(10)');
  });

  it('feeds that are not an object', async () => {
    const error = await rejection(session.run(null as unknown as Record<string, Tensor>));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected an object mapping input names to Tensors for feeds but received null');
  });

  it('unknown output name', async () => {
    const error = await rejection(session.run({ x: clsInput() }, { outputs: ['nope'] }));
    expect(error.code).toBe(ErrorCode.UNKNOWN_TENSOR);
    expect(error.message).toMatch(/but received an unknown output "nope"$/);
  });

  it("a shape ONNX Runtime rejects inside the graph keeps ORT's text as details", async () => {
    // Symbolic dims pass our checks, but the VAD model's state must have the same batch as its input:
    // ONNX Runtime's LSTM says "Input initial_h must have shape {1,1,64}. Actual:{1,3,64}", a shape
    // mismatch. (Its own error log is the error's details: 'fatal' keeps it off stderr.)
    const vad = await InferenceSession.create(models.sileroVad, { backend: 'cpu', runOn, logLevel: 'fatal' });
    const error = await rejection(
      vad.run({
        input: new Tensor('float32', new Float32Array(512), [1, 512]),
        sr: new Tensor('int64', BigInt64Array.of(16000n), []),
        h: new Tensor('float32', new Float32Array(2 * 3 * 64), [2, 3, 64]),
        c: new Tensor('float32', new Float32Array(2 * 3 * 64), [2, 3, 64]),
      }),
    );
    await vad.dispose();
    expect(error.code, error.details).toBe(ErrorCode.SHAPE_MISMATCH);
    expect(error.message).toMatch(/^ONNX Runtime failed to run the model: /);
    expect(error.details).toMatch(/Input initial_h must have shape \{1,1,64\}\. Actual:\{1,3,64\}/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('an already aborted signal', async () => {
    const error = await rejection(session.run({ x: clsInput() }, { signal: AbortSignal.abort(new Error('user gave up')) }));
    expect(error.code).toBe(ErrorCode.ABORTED);
    expect(error.message).toBe('The operation was aborted: user gave up');
  });

  it('a signal that is not an AbortSignal', async () => {
    const error = await rejection(session.run({ x: clsInput() }, { signal: 'stop' as unknown as AbortSignal }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected an AbortSignal for options.signal but received "stop"');
  });
});

describe('Tensor construction', () => {
  it('data length not matching dims', () => {
    const error = thrown(() => new Tensor('float32', new Float32Array(5), [2, 3]));
    expect(error.code).toBe(ErrorCode.SHAPE_MISMATCH);
    expect(error.message).toBe('Expected 6 elements for the data of the tensor (dims [2, 3]) but received 5');
  });

  it('data that is not a TypedArray', () => {
    const error = thrown(() => new Tensor('float32', [1, 2, 3] as unknown as Float32Array, [3]));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected a TypedArray for the data of the tensor but received [1, 2, 3]');
  });

  it('a TypedArray of the wrong kind for the dtype', () => {
    const error = thrown(() => new Tensor('float32', new Int32Array(3) as unknown as Float32Array, [3]));
    expect(error.code).toBe(ErrorCode.DTYPE_MISMATCH);
    expect(error.message).toBe('Expected a Float32Array for the data of the tensor (dtype float32) but received Int32Array(3)');
  });

  it('an unknown dtype', () => {
    const error = thrown(() => new Tensor('float8' as 'float32', new Float32Array(3), [3]));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe(
      'Expected a dtype (one of float32, uint8, int8, uint16, int16, int32, int64, bool, float16, float64, uint32, uint64, bfloat16) for the dtype of the tensor but received "float8"',
    );
  });

  it('negative or fractional dims', () => {
    expect(thrown(() => new Tensor('float32', new Float32Array(0), [-1, 0])).message).toBe(
      'Expected an array of non-negative integers for the dims of the tensor but received [-1, 0]',
    );
    expect(thrown(() => new Tensor('float32', new Float32Array(3), [1.5, 2])).code).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});

describe('model loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trtn-errors-'));
  });

  it('a missing file', async () => {
    const error = await rejection(InferenceSession.create(join(dir, 'missing.onnx')));
    expect(error.code).toBe(ErrorCode.MODEL_LOAD);
    expect(error.message).toBe(`Expected a readable model file at ${join(dir, 'missing.onnx')} but it does not exist`);
  });

  it('a directory instead of a file', async () => {
    const error = await rejection(InferenceSession.create(dir));
    expect(error.code).toBe(ErrorCode.MODEL_LOAD);
  });

  it.each(['main', 'worker'] as const)("a corrupt model file (runOn %s) keeps ORT's error as cause", async (runOn) => {
    const path = join(dir, 'corrupt.onnx');
    await writeFile(path, Buffer.from('this is not a protobuf at all, just text'));
    const error = await rejection(InferenceSession.create(path, { backend: 'cpu', runOn }));
    expect(error.code).toBe(ErrorCode.MODEL_LOAD);
    expect(error.message).toMatch(/^ONNX Runtime could not load the model: /);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('corrupt model bytes', async () => {
    const error = await rejection(InferenceSession.create(new Uint8Array([1, 2, 3, 4, 5])));
    expect(error.code).toBe(ErrorCode.MODEL_LOAD);
  });

  it('a model argument of the wrong type', async () => {
    const error = await rejection(InferenceSession.create(42 as unknown as string));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected a model file path or a non-empty Uint8Array of model bytes for model but received 42');
  });

  it('bad options', async () => {
    const bad = [
      [{ backend: 'gpu' }, "Expected one of 'auto', 'cpu', 'tensorrt', 'remote' for options.backend but received \"gpu\""],
      [
        { threads: { intraOp: 0 } },
        /^Expected an integer from 1 to \d+ \(4 per CPU core; \d+ here\) for options\.threads\.intraOp but received 0$/,
      ],
      [{ runOn: 'thread' }, "Expected one of 'auto', 'main', 'worker' for options.runOn but received \"thread\""],
      [{ logLevel: 'loud' }, "Expected one of 'verbose', 'info', 'warning', 'error', 'fatal' for options.logLevel but received \"loud\""],
      [
        { graphOptimizationLevel: 99 },
        "Expected one of 'disabled', 'basic', 'extended', 'all' for options.graphOptimizationLevel but received 99",
      ],
    ] as const;
    for (const [options, message] of bad) {
      const error = await rejection(InferenceSession.create(models.ocrCls, options as never));
      expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
      if (typeof message === 'string') expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
    }
  });

  it("backend 'tensorrt' without TensorRT fails with the reason", async () => {
    const error = await rejection(InferenceSession.create(models.ocrCls, { backend: 'tensorrt' }));
    expect(error.code).toBe(ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.message).toMatch(/^The tensorrt backend is unavailable: .+/);
  });
});

describe('dispose', () => {
  it.each(['main', 'worker'] as const)('lets in-flight runs settle, then rejects new runs with ERR_DISPOSED (runOn %s)', async (runOn) => {
    const session = await InferenceSession.create(models.ocrCls, { backend: 'cpu', runOn });
    const runs = Array.from({ length: 4 }, () => session.run({ x: clsInput() }));
    const disposed = session.dispose();
    expect(session.disposed).toBe(true);
    const results = await Promise.all(runs);
    for (const result of results) expect(Object.values(result)[0].dims).toEqual([1, 2]);
    await disposed;
    await session.dispose(); // idempotent
    const error = await rejection(session.run({ x: clsInput() }));
    expect(error.code).toBe(ErrorCode.DISPOSED);
  });

  it('works with await using', async () => {
    let escaped: InferenceSession | undefined;
    {
      await using session = await InferenceSession.create(models.ocrCls, { backend: 'cpu' });
      escaped = session;
      await session.run({ x: clsInput() });
    }
    expect(escaped.disposed).toBe(true);
  });

  it('an abort during a worker run rejects at once with ERR_ABORTED; the session keeps working', async () => {
    const session = await InferenceSession.create(models.ocrDet, { backend: 'cpu', runOn: 'worker' });
    const controller = new AbortController();
    const x = new Tensor('float32', randomFloats(3 * 640 * 640, 9), [1, 3, 640, 640]);
    const running = session.run({ x }, { signal: controller.signal });
    controller.abort(new Error('deadline'));
    const error = await rejection(running);
    expect(error.code).toBe(ErrorCode.ABORTED);
    const next = await session.run({ x: new Tensor('float32', randomFloats(3 * 64 * 64, 9), [1, 3, 64, 64]) });
    expect(Object.values(next)[0].dims).toEqual([1, 1, 64, 64]);
    await session.dispose();
  });
});
