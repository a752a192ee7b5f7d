// Outputs whose shape depends on the data (NonZero): the addon hands TensorRT an output allocator,
// TensorRT asks it for memory and reports the shape inside enqueueV3, and the run returns the
// right number of elements, matching ONNX Runtime.
import './use-sim.js';

import { expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { Tensor } from '../../lib/tensor.js';
import { nonZero, randomArray } from '../fixtures/trt-models.js';
import { planFor, referenceRun } from './trt-helpers.js';

it('returns data-dependent outputs with the shape the data gives, run after run', async () => {
  const fixture = nonZero();
  const backend = await TensorRTBackend.load(await planFor(fixture), { size: 1 });
  expect(backend.outputs).toEqual([
    { name: 'y', dtype: 'float32', shape: [-1] },
    { name: 'indices', dtype: 'int64', shape: [1, -1] },
  ]);
  // Growing and shrinking counts on one context exercise the allocator's grow-only memory.
  for (const [n, seed, allNegative] of [[8, 1, false], [64, 2, false], [5, 3, true], [40, 5, false]] as const) {
    const x = randomArray(n, seed);
    if (allNegative) x.fill(-1);
    const out = await backend.run({ x: new Tensor('float32', x, [n]) }, ['indices', 'y']);
    const ref = await referenceRun(fixture, { x: { dtype: 'float32', data: x, dims: [n] } });
    expect(out.indices?.dims).toEqual(ref.indices?.dims);
    expect(out.indices?.dims).toEqual([1, allNegative ? 0 : x.filter((v) => v > 0).length]);
    expect(out.indices?.dtype).toBe('int64');
    expect(Array.from(out.indices?.data as BigInt64Array)).toEqual(Array.from(ref.indices?.data as BigInt64Array));
    expect(Array.from(out.y?.data as Float32Array)).toEqual(Array.from(ref.y?.data as Float32Array));
  }
  await backend.dispose();
});
