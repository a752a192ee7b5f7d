// InferenceSession on the simulated TensorRT: plan files run on the 'tensorrt' backend with the same
// Tensor, metadata and error behaviour as the CPU backend; TensorRT's log reaches a JS callback.
import './use-sim.js';

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, setTensorRTLogger, tensorrtAvailability } from '../../lib/index.js';
import { convQdq, mlp, randomArray, staticTanh } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor } from './trt-helpers.js';
import { expectCode } from '../shared/rejection.js';

let dir: string;
let planPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trt-session-'));
  planPath = join(dir, 'mlp.plan');
  await writeFile(planPath, await planFor(mlp()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('InferenceSession with the tensorrt backend', () => {
  it('reports TensorRT as available on the simulator', () => {
    expect(tensorrtAvailability()).toEqual({ available: true, version: '11.1.0' });
  });

  it('runs a plan file and matches the CPU backend on the source ONNX model', async () => {
    const fixture = mlp();
    await using trt = await InferenceSession.create(planPath);
    await using cpu = await InferenceSession.create(fixture.bytes, { backend: 'cpu' });
    expect(trt.backend).toBe('tensorrt');
    expect(trt.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [-1, 4] }]);
    expect(trt.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: [-1, 3] }]);
    const x = new Tensor('float32', randomArray(20, 3), [5, 4]);
    const [a, b] = await Promise.all([trt.run({ x }), cpu.run({ x })]);
    expect(a.y?.dims).toEqual([5, 3]);
    expect(maxAbsDiff(a.y?.data as Float32Array, b.y?.data as Float32Array)).toBeLessThan(1e-6);
  });

  it('validates feeds the same way as the CPU backend', async () => {
    await using session = await InferenceSession.create(planPath, { tensorrt: { size: 1 } });
    await expect(session.run({ x: Tensor.zeros('float32', [2, 5]) })).rejects.toMatchObject({ code: ErrorCode.SHAPE_MISMATCH });
    await expect(session.run({ x: Tensor.zeros('int32', [2, 4]) })).rejects.toMatchObject({ code: ErrorCode.DTYPE_MISMATCH });
    await expect(session.run({ x: Tensor.zeros('float32', [9, 4]) })).rejects.toMatchObject({
      code: ErrorCode.SHAPE_MISMATCH,
      message: expect.stringContaining('No optimization profile of the engine accepts x [9, 4]'),
    });
  });

  it('opens plan bytes, builds ONNX models, and explains the ones that need profiles', async () => {
    await using fromBytes = await InferenceSession.create(await planFor(mlp()));
    expect(fromBytes.backend).toBe('tensorrt');
    await using built = await InferenceSession.create(staticTanh().bytes, { backend: 'tensorrt' });
    expect(built.backend).toBe('tensorrt');
    expect((await built.run({ x: Tensor.zeros('float32', [1, 16]) })).y?.dims).toEqual([1, 16]);
    // 'auto' builds ONNX models too (batch-only dynamic ones with the default profile).
    await using auto = await InferenceSession.create(mlp().bytes);
    expect(auto.backend).toBe('tensorrt');
    expect(auto.fallbackReason).toBeUndefined();
    await expectCode(
      InferenceSession.create(convQdq().bytes, { backend: 'tensorrt' }),
      ErrorCode.INVALID_ARGUMENT,
      'Expected options.tensorrt.profiles or options.tensorrt.shapes for options.tensorrt but received none: input x has dynamic dims [?, 3, ?, ?] beyond the batch dim: pass options.tensorrt.profiles or options.tensorrt.shapes',
    );
    await expect(InferenceSession.create(planPath, { backend: 'cpu' })).rejects.toMatchObject({ code: ErrorCode.MODEL_LOAD });
  });

  it('forwards TensorRT log lines to a JS callback without blocking', async () => {
    const lines: string[] = [];
    setTensorRTLogger((severity, message) => lines.push(`${severity}: ${message}`), 'info');
    try {
      const bad = (await planFor(mlp())).slice(0, 100);
      await InferenceSession.create(bad).catch(() => undefined);
      for (let i = 0; i < 20 && lines.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(lines.some((line) => line.startsWith('error: ') && line.includes('Serialization assertion plan size failed'))).toBe(true);
    } finally {
      setTensorRTLogger(null);
    }
  });
});
