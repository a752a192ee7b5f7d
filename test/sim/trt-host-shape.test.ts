// Shape tensors: a network input that gives a Reshape its target shape is one. TensorRT keeps it
// on the host (getTensorLocation kHOST), reads its value through the address set for it when
// output shapes are asked for, and copies it at enqueueV3; a device pointer there is read on the
// CPU (a crash on a GPU; the simulator refuses it). The context writes such inputs into host
// blocks of its own before it asks for output shapes, so the output's shape follows the value.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { Tensor } from '../../lib/tensor.js';
import { hostShape, randomArray } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor } from './trt-helpers.js';

function tanhOf(x: Float32Array): Float32Array {
  return x.map((v) => Math.tanh(v));
}

describe('shape tensors on the host', () => {
  it('reports the location and gives outputs the shape the value asks for, run after run', async () => {
    const engine = await Engine.load(await planFor(hostShape()));
    expect(engine.tensors.find((t) => t.name === 'shape')?.location).toBe('host');
    expect(engine.tensors.find((t) => t.name === 'x')?.location).toBe('device');
    expect(engine.tensors.find((t) => t.name === 'shapeOut')?.location).toBe('host');
    const context = engine.createContext();
    for (const [n, target, seed] of [
      [6, [2, 3], 1],
      [6, [3, 2], 2],
      [12, [4, -1], 3],
      [12, [1, 12], 4],
    ] as const) {
      const x = randomArray(n, seed);
      const shape = BigInt64Array.from(target, (v) => BigInt(v));
      const [out, copy] = await context.run(
        [
          { name: 'x', data: x, dims: [n] },
          { name: 'shape', data: shape, dims: [2] },
        ],
        [{ name: 'y' }, { name: 'shapeOut' }],
        0,
      );
      const expected = target[1] === -1 ? [target[0], n / target[0]] : [...target];
      expect(out?.dims, `shape ${target.join(',')}`).toEqual(expected);
      expect(maxAbsDiff(new Float32Array(out?.data as ArrayBuffer), tanhOf(x))).toBeLessThan(1e-6);
      expect(Array.from(new BigInt64Array(copy?.data as ArrayBuffer))).toEqual(Array.from(shape));
    }
    context.dispose();
    engine.dispose();
  });

  it('runs through the backend, and stays uncaptured with cudaGraph', async () => {
    const backend = await TensorRTBackend.load(await planFor(hostShape()), { size: 1, cudaGraph: true });
    for (const target of [
      [3, 4],
      [2, 6],
      [3, 4],
    ]) {
      const x = randomArray(12, target[0] ?? 0);
      const out = await backend.run(
        {
          x: new Tensor('float32', x, [12]),
          shape: new Tensor(
            'int64',
            BigInt64Array.from(target, (v) => BigInt(v)),
            [2],
          ),
        },
        ['y'],
      );
      expect(out.y?.dims).toEqual(target);
      expect(maxAbsDiff(out.y?.data as Float32Array, tanhOf(x))).toBeLessThan(1e-6);
    }
    await backend.dispose();
  });
});
