import { describe, expect, test } from 'vitest';
import { buildModel } from '../../../lib/onnx/builder.js';
import { convertToFloat16 } from '../../../lib/optimize/convert-fp16.js';
import { DataType } from '../../../lib/onnx/types.js';
import { randomFloats } from '../../fixtures/random.js';
import { cosine, initializerTypes, runModel, toFloat16Model } from './helpers.js';

const F32 = DataType.FLOAT;
const F16 = DataType.FLOAT16;

/** Three MatMuls: two small leading ones (4x4 each) and a large last one (`big` x `big` after a widening). */
function threeLayers(big: number) {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [2, big] }],
    initializers: [
      { name: 'w1', dtype: 'float32', dims: [4, 4], data: randomFloats(16, 1) },
      { name: 'w2', dtype: 'float32', dims: [4, big], data: randomFloats(4 * big, 2) },
      { name: 'w3', dtype: 'float32', dims: [big, big], data: randomFloats(big * big, 3, 0.1) },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['a'], name: 'first' },
      { op: 'Relu', inputs: ['a'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['r', 'w2'], outputs: ['b'], name: 'second' },
      { op: 'MatMul', inputs: ['b', 'w3'], outputs: ['y'], name: 'third' },
    ],
  });
}

describe('FP16: leading weighted layers', () => {
  test('leading layers holding over 0.1% of the weights are converted like the rest', async () => {
    const original = threeLayers(200); // 16 + 800 of 40816 elements: 2%, over the budget
    expect(toFloat16Model(original).stats.leadingLayersKeptFloat32).toEqual([]);
    const large = threeLayers(1000); // 16 + 4000 of 1004016: 0.4%: still over
    expect(toFloat16Model(large).stats.leadingLayersKeptFloat32).toEqual([]);
  });

  test('within 0.1% of the weights (48 of 74032): kept in float32, the rest converted, outputs close', async () => {
    const original = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 3, 8, 8] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 128, 8, 8] }],
      initializers: [
        { name: 'w1', dtype: 'float32', dims: [4, 3, 1, 1], data: randomFloats(12, 1) },
        { name: 'w2', dtype: 'float32', dims: [4, 1, 3, 3], data: randomFloats(36, 2) },
        { name: 'w3', dtype: 'float32', dims: [64, 4, 1, 1], data: randomFloats(256, 3) },
        { name: 'w4', dtype: 'float32', dims: [128, 64, 3, 3], data: randomFloats(128 * 64 * 9, 4, 0.05) },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], name: 'stem' },
        {
          op: 'Conv',
          inputs: ['a', 'w2'],
          outputs: ['b'],
          name: 'depthwise',
          attributes: { group: { type: 'int', value: 4 }, pads: { type: 'ints', value: [1, 1, 1, 1] } },
        },
        { op: 'Conv', inputs: ['b', 'w3'], outputs: ['c'], name: 'pointwise' },
        { op: 'Conv', inputs: ['c', 'w4'], outputs: ['y'], name: 'wide', attributes: { pads: { type: 'ints', value: [1, 1, 1, 1] } } },
      ],
    });
    const { model, stats, bytes } = toFloat16Model(original);
    expect(stats.leadingLayersKeptFloat32).toEqual(['stem', 'depthwise']);
    expect(stats.nodesKeptFloat32).toEqual({ Conv: 2 });
    expect(initializerTypes(model)).toEqual({ w1: F32, w2: F32, w3: F16, w4: F16 });
    const feed = { x: { type: 'float32' as const, data: randomFloats(192, 9), dims: [1, 3, 8, 8] } };
    const [expected, actual] = [(await runModel(original, feed)).y, (await runModel(bytes, feed)).y];
    expect(cosine(expected, actual)).toBeGreaterThan(0.9999);
    // float32LeadingLayers: 0 converts them too; 1 keeps only the stem.
    expect(initializerTypes(toFloat16Model(original, { float32LeadingLayers: 0 }).model)).toEqual({ w1: F16, w2: F16, w3: F16, w4: F16 });
    expect(toFloat16Model(original, { float32LeadingLayers: 1 }).stats.leadingLayersKeptFloat32).toEqual(['stem']);
  });

  test('a bad count is refused', async () => {
    await expect(convertToFloat16(threeLayers(8), { float32LeadingLayers: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/Expected a non-negative integer for options.float32LeadingLayers but received -1/),
    });
  });
});
