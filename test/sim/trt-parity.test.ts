// The same ONNX fixtures through the simulated TensorRT (addon -> sim libnvinfer on the simulated
// CUDA streams) and through ONNX Runtime on the CPU give the same outputs within float tolerance.
import './use-sim.js';

import { afterAll, describe, expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { Tensor } from '../../lib/tensor.js';
import { float16ArrayToFloat32 } from '../../lib/onnx/float16.js';
import { arithmetic, convQdq, mlp, randomArray } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor, referenceRun } from './trt-helpers.js';

const backends: TensorRTBackend[] = [];
afterAll(async () => {
  await Promise.all(backends.map((b) => b.dispose()));
});

async function backendFor(fixture: ReturnType<typeof mlp>): Promise<TensorRTBackend> {
  const backend = await TensorRTBackend.load(await planFor(fixture));
  backends.push(backend);
  return backend;
}

describe('sim TensorRT matches ONNX Runtime', () => {
  it('Gemm + Relu + Softmax at several batch sizes', async () => {
    const fixture = mlp();
    const backend = await backendFor(fixture);
    for (const batch of [1, 3, 8]) {
      const x = randomArray(batch * 4, 100 + batch, 2);
      const out = await backend.run({ x: new Tensor('float32', x, [batch, 4]) }, ['y']);
      const ref = await referenceRun(fixture, { x: { dtype: 'float32', data: x, dims: [batch, 4] } });
      expect(out.y?.dims).toEqual([batch, 3]);
      expect(maxAbsDiff(out.y?.data as Float32Array, ref.y?.data as Float32Array)).toBeLessThan(1e-6);
    }
  });

  it('Conv + Sigmoid + Transpose + Reshape + Q/DQ + Tanh in both profiles', async () => {
    const fixture = convQdq();
    const backend = await backendFor(fixture);
    for (const dims of [
      [1, 3, 5, 6],
      [2, 3, 8, 8],
      [3, 3, 11, 17],
    ]) {
      const count = dims.reduce((a, b) => a * b, 1);
      const x = randomArray(count, count, 3);
      const out = await backend.run({ x: new Tensor('float32', x, dims) }, ['y']);
      const ref = await referenceRun(fixture, { x: { dtype: 'float32', data: x, dims } });
      expect(out.y?.dims).toEqual(ref.y?.dims);
      // Int8 quantization: a value on a rounding boundary may land one step (0.01) away.
      expect(maxAbsDiff(out.y?.data as Float32Array, ref.y?.data as Float32Array)).toBeLessThanOrEqual(0.0101);
      const exact = (out.y?.data as Float32Array).filter(
        (v, i) => Math.abs(v - ((ref.y?.data as Float32Array)[i] as number)) < 1e-6,
      ).length;
      expect(exact / (out.y?.data as Float32Array).length).toBeGreaterThan(0.95);
    }
  });

  it('broadcast arithmetic, batched MatMul, Flatten, Cast to int32 and float16, three outputs', async () => {
    const fixture = arithmetic();
    const backend = await backendFor(fixture);
    for (const n of [1, 4, 6]) {
      const a = randomArray(2 * n * 3, 200 + n, 4);
      const b = Float32Array.from([1.5, -2.25, 3.125]);
      const out = await backend.run({ a: new Tensor('float32', a, [2, n, 3]), b: new Tensor('float32', b, [3]) }, ['sum', 'mixed', 'half']);
      const ref = await referenceRun(fixture, {
        a: { dtype: 'float32', data: a, dims: [2, n, 3] },
        b: { dtype: 'float32', data: b, dims: [3] },
      });
      expect(out.sum?.dims).toEqual([2, n, 3]);
      expect(maxAbsDiff(out.sum?.data as Float32Array, ref.sum?.data as Float32Array)).toBeLessThan(1e-6);
      expect(out.mixed?.dtype).toBe('int32');
      expect(out.mixed?.dims).toEqual(ref.mixed?.dims);
      expect(Array.from(out.mixed?.data as Int32Array)).toEqual(Array.from(ref.mixed?.data as Int32Array));
      expect(out.half?.dtype).toBe('float16');
      const half = float16ArrayToFloat32(out.half?.data as Uint16Array);
      const refHalf = float16ArrayToFloat32(ref.half?.data as Uint16Array);
      expect(maxAbsDiff(half, refHalf)).toBeLessThanOrEqual(Math.max(...refHalf.map(Math.abs)) * 1e-3);
    }
  });
});
