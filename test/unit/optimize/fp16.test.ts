import { describe, expect, test } from 'vitest';
import { attr, buildGraph, buildModel } from '../../../lib/onnx/builder.js';
import { decodeModel } from '../../../lib/onnx/model-io.js';
import { getAttribute } from '../../../lib/onnx/graph.js';
import { readTensor } from '../../../lib/onnx/tensor-data.js';
import { DataType } from '../../../lib/onnx/types.js';
import { float16BitsToFloat32 } from '../../../lib/onnx/float16.js';
import { tinyConvNet, tinyMlp } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';
import { cosine, elemTypes, initializerTypes, opTypes, runModel, toFloat16Model } from './helpers.js';

const F32 = DataType.FLOAT;
const F16 = DataType.FLOAT16;
const x = (batch: number) => ({ x: { type: 'float32' as const, data: randomFloats(batch * 4, 99), dims: [batch, 4] } });

describe('FP16 conversion of small models', () => {
  test('float16Io: weights, inputs and outputs become float16 and the results stay close', async () => {
    const original = tinyMlp();
    const { model, stats, bytes } = toFloat16Model(original, { float16Io: true });
    expect(stats.initializersConverted).toBe(4);
    expect(stats.castsInserted).toBe(0);
    expect(Object.values(initializerTypes(model))).toEqual([F16, F16, F16, F16]);
    expect(elemTypes(model.graph!, 'input')).toEqual({ x: F16 });
    expect(elemTypes(model.graph!, 'output')).toEqual({ probabilities: F16 });
    expect(bytes.byteLength).toBeLessThan(original.byteLength);
    const expected = await runModel(original, x(5));
    const actual = await runModel(bytes, x(5));
    expect(cosine(expected.probabilities, actual.probabilities)).toBeGreaterThan(0.9999);
  });

  test('by default: float32 at the boundary, Casts inside, same names', async () => {
    const original = tinyConvNet();
    const { model, stats, bytes } = toFloat16Model(original);
    expect(stats.castsInserted).toBe(2);
    expect(elemTypes(model.graph!, 'input')).toEqual({ image: F32 });
    expect(elemTypes(model.graph!, 'output')).toEqual({ scores: F32 });
    const nodes = model.graph!.node;
    expect(nodes[0].opType).toBe('Cast');
    expect(nodes[0].input).toEqual(['image']);
    expect(nodes.at(-1)!.opType).toBe('Cast');
    expect(nodes.at(-1)!.output).toEqual(['scores']);
    const feed = { image: { type: 'float32' as const, data: randomFloats(2 * 192, 5), dims: [2, 3, 8, 8] } };
    const expected = await runModel(original, feed);
    const actual = await runModel(bytes, feed);
    expect(cosine(expected.scores, actual.scores)).toBeGreaterThan(0.9999);
  });

  test('keepIoTypes (the older spelling): false means float16 I/O, true the default', () => {
    expect(elemTypes(toFloat16Model(tinyConvNet(), { keepIoTypes: false }).model.graph!, 'input')).toEqual({ image: F16 });
    expect(elemTypes(toFloat16Model(tinyConvNet(), { keepIoTypes: true }).model.graph!, 'input')).toEqual({ image: F32 });
  });

  test('a Cast to float that makes a graph output keeps float32 instead of gaining a Cast back', () => {
    const original = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: [4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [4] }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Cast', inputs: ['r'], outputs: ['y'], attributes: { to: attr.int(DataType.FLOAT) } },
      ],
    });
    const { model, stats } = toFloat16Model(original);
    expect(opTypes(model.graph!)).toEqual(['Cast', 'Relu', 'Cast']);
    expect(stats.castsInserted).toBe(1);
    expect(getAttribute(model.graph!.node[2], 'to')!.i).toBe(BigInt(DataType.FLOAT));
  });

  test('declared value_info follows the conversion (ONNX Runtime checks it on load)', async () => {
    const original = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: ['n', 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: ['n', 4] }],
      valueInfo: [
        { name: 'h', dtype: 'float32', dims: ['n', 4] },
        { name: 'n_shape', dtype: 'int64', dims: [2] },
      ],
      initializers: [{ name: 'w', dtype: 'float32', dims: [4, 4], data: randomFloats(16, 3) }],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
        { op: 'Shape', inputs: ['h'], outputs: ['n_shape'] },
        { op: 'Softmax', inputs: ['h'], outputs: ['s'], attributes: { axis: -1 } },
        { op: 'Reshape', inputs: ['s', 'n_shape'], outputs: ['y'] },
      ],
    });
    const { model, bytes } = toFloat16Model(original, { blockOps: ['Softmax'], float16Io: true });
    expect(elemTypes(model.graph!, 'valueInfo')).toMatchObject({ h: F16, n_shape: DataType.INT64 });
    // Softmax reads a float32 copy of h and its output goes back to float16 for Reshape.
    const softmax = model.graph!.node.find((n) => n.opType === 'Softmax')!;
    expect(softmax.input[0]).not.toBe('h');
    expect(elemTypes(model.graph!, 'valueInfo')[softmax.input[0]]).toBe(F32);
    expect(stats(model.graph!.node.filter((n) => n.opType === 'Cast').map((n) => Number(getAttribute(n, 'to')!.i)))).toEqual({
      [F32]: 1,
      [F16]: 1,
    });
    const expected = await runModel(original, x(3));
    const actual = await runModel(bytes, x(3));
    expect(cosine(expected.y, actual.y)).toBeGreaterThan(0.9999);
  });

  test('user-blocked nodes by name, and a blocked op reading an initializer keeps it float32', async () => {
    const original = tinyMlp();
    const { model, stats: s, bytes } = toFloat16Model(original, { blockNodes: ['Gemm_3'] });
    expect(s.nodesKeptFloat32).toEqual({ Gemm: 1 });
    expect(initializerTypes(model)).toEqual({ w1: F16, b1: F16, w2: F32, b2: F32 });
    const expected = await runModel(original, x(2));
    expect(cosine(expected.probabilities, (await runModel(bytes, x(2))).probabilities)).toBeGreaterThan(0.9999);
  });

  test('Resize scales stay float32 (ONNX types them tensor(float) only)', async () => {
    const original = buildModel({
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 1, 2, 2] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 1, 4, 4] }],
      initializers: [
        { name: 'roi', dtype: 'float32', dims: [0], data: [] },
        { name: 'scales', dtype: 'float32', dims: [4], data: [1, 1, 2, 2] },
      ],
      nodes: [{ op: 'Resize', inputs: ['x', 'roi', 'scales'], outputs: ['y'], attributes: { mode: 'nearest' } }],
    });
    const { model, bytes } = toFloat16Model(original);
    expect(initializerTypes(model)).toEqual({ roi: F16, scales: F32 });
    const feed = { x: { type: 'float32' as const, data: new Float32Array([1, 2, 3, 4]), dims: [1, 1, 2, 2] } };
    expect(Array.from((await runModel(bytes, feed)).y)).toEqual(Array.from((await runModel(original, feed)).y));
  });

  test('Constant nodes, Cast to float and ConstantOfShape are retargeted to float16', async () => {
    const original = buildModel({
      inputs: [{ name: 'n', dtype: 'int64', dims: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: ['k'] }],
      nodes: [
        { op: 'Cast', inputs: ['n'], outputs: ['nf'], attributes: { to: DataType.FLOAT } },
        { op: 'Constant', inputs: [], outputs: ['half'], attributes: { value_float: attr.float(0.5) } },
        { op: 'Constant', inputs: [], outputs: ['pair'], attributes: { value_floats: attr.floats([1.5, -2]) } },
        { op: 'ConstantOfShape', inputs: ['n'], outputs: ['zeros'] },
        { op: 'Mul', inputs: ['nf', 'half'], outputs: ['a'] },
        { op: 'Add', inputs: ['zeros', 'a'], outputs: ['b'] },
        { op: 'Concat', inputs: ['b', 'pair'], outputs: ['y'], attributes: { axis: 0 } },
      ],
    });
    const { model, stats: s, bytes } = toFloat16Model(original, { hoistConstants: false });
    expect(s.constantsConverted).toBe(2);
    const nodes = model.graph!.node;
    expect(Number(getAttribute(nodes[0], 'to')!.i)).toBe(F16);
    const half = getAttribute(nodes[1], 'value')!.t!;
    expect(half.dataType).toBe(F16);
    expect(half.dims).toEqual([]);
    expect(Array.from(readTensor(getAttribute(nodes[2], 'value')!.t!).data as Uint16Array).map(float16BitsToFloat32)).toEqual([1.5, -2]);
    expect(getAttribute(nodes[3], 'value')!.t!.dataType).toBe(F16);
    const feed = { n: { type: 'int64' as const, data: new BigInt64Array([3n]), dims: [1] } };
    expect(Array.from((await runModel(bytes, feed)).y)).toEqual([1.5, 1.5, 1.5, 1.5, -2]);
  });

  test('window functions produce float16 windows', async () => {
    const original = buildModel({
      opset: 17,
      inputs: [{ name: 'x', dtype: 'float32', dims: [8] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [8] }],
      initializers: [{ name: 'size', dtype: 'int64', dims: [], data: [8] }],
      nodes: [
        { op: 'HannWindow', inputs: ['size'], outputs: ['window'] },
        { op: 'Mul', inputs: ['x', 'window'], outputs: ['y'] },
      ],
    });
    const { model, bytes } = toFloat16Model(original, { keepIoTypes: true });
    expect(
      Number(
        getAttribute(
          model.graph!.node.find((n) => n.opType === 'HannWindow')!,
          'output_datatype',
        )!.i,
      ),
    ).toBe(F16);
    const feed = { x: { type: 'float32' as const, data: new Float32Array(8).fill(1), dims: [8] } };
    expect(cosine((await runModel(bytes, feed)).y, (await runModel(original, feed)).y)).toBeGreaterThan(0.9999);
  });

  test('constants beyond float16 keep their readers in float32, or are clamped on request', async () => {
    const spec = (variance: number) =>
      buildModel({
        inputs: [{ name: 'x', dtype: 'float32', dims: [1, 2, 1, 1] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2, 1, 1] }],
        initializers: [
          { name: 'scale', dtype: 'float32', dims: [2], data: [1000, 1] },
          { name: 'bias', dtype: 'float32', dims: [2], data: [0, 0] },
          { name: 'mean', dtype: 'float32', dims: [2], data: [0, 0] },
          { name: 'var', dtype: 'float32', dims: [2], data: [variance, 1] },
          { name: 'max', dtype: 'float32', dims: [], data: [3.4e38] },
          { name: 'min', dtype: 'float32', dims: [], data: [-1e30] },
        ],
        nodes: [
          { op: 'BatchNormalization', inputs: ['x', 'scale', 'bias', 'mean', 'var'], outputs: ['bn'] },
          { op: 'Clip', inputs: ['bn', 'min', 'max'], outputs: ['y'] },
        ],
      });
    const original = spec(1e8);
    const feed = { x: { type: 'float32' as const, data: new Float32Array([2000, 3]), dims: [1, 2, 1, 1] } };
    const expected = (await runModel(original, feed)).y;
    expect(expected[0]).toBeCloseTo(200, 3);

    const kept = toFloat16Model(original);
    expect(kept.stats.nodesKeptForRange).toBe(1);
    expect(initializerTypes(kept.model)).toMatchObject({ var: F32, scale: F32, max: F16, min: F16 });
    expect(kept.stats.clamped).toBe(2); // the Clip bounds
    const actual = (await runModel(kept.bytes, feed)).y;
    expect(actual[0]).toBeCloseTo(200, 0);

    const clamped = toFloat16Model(original, { outOfRange: 'clamp' });
    expect(clamped.stats.clamped).toBe(3);
    expect(clamped.stats.warnings.join()).toMatch(/3 weight values beyond the float16 range were clamped/);
    expect(initializerTypes(clamped.model).var).toBe(F16);
    expect((await runModel(clamped.bytes, feed)).y[0]).toBeGreaterThan(1000); // what clamping costs
  });

  test('Mul by a scalar float16 cannot hold stays float32; exact scalars convert', () => {
    const build = (value: number) =>
      buildModel({
        inputs: [{ name: 'x', dtype: 'float32', dims: [4] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [4] }],
        initializers: [{ name: 's', dtype: 'float32', dims: [], data: [value] }],
        nodes: [
          { op: 'Mul', inputs: ['x', 's'], outputs: ['m'] },
          { op: 'Relu', inputs: ['m'], outputs: ['y'] },
        ],
      });
    const inexact = toFloat16Model(build(0.9431690573692322), { float16Io: true });
    expect(inexact.stats.nodesKeptForScalarConstant).toBe(1);
    expect(initializerTypes(inexact.model).s).toBe(F32);
    expect(opTypes(inexact.model.graph!)).toEqual(['Cast', 'Mul', 'Cast', 'Relu']);
    const exact = toFloat16Model(build(0.5));
    expect(exact.stats.nodesKeptForScalarConstant).toBe(0);
    expect(initializerTypes(exact.model).s).toBe(F16);
    expect(initializerTypes(toFloat16Model(build(0.9431690573692322), { exactScalarConstants: false }).model).s).toBe(F16);
  });
});

describe('FP16 conversion of subgraphs', () => {
  const branch = (name: string, op: string, weight: number) =>
    buildGraph({
      name,
      inputs: [],
      outputs: [{ name: `${name}_out`, dtype: 'float32', dims: [3] }],
      initializers: [{ name: `${name}_w`, dtype: 'float32', dims: [3], data: [weight, weight, weight] }],
      nodes: [{ op, inputs: ['x', `${name}_w`], outputs: [`${name}_out`] }],
    });

  test('If: both branches convert, outer values are read in float16', async () => {
    const original = buildModel({
      inputs: [
        { name: 'cond', dtype: 'bool', dims: [] },
        { name: 'x', dtype: 'float32', dims: [3] },
      ],
      outputs: [{ name: 'y', dtype: 'float32', dims: [3] }],
      nodes: [
        {
          op: 'If',
          inputs: ['cond'],
          outputs: ['y'],
          attributes: { then_branch: branch('then', 'Add', 1.5), else_branch: branch('else', 'Mul', 2) },
        },
      ],
    });
    for (const keepIoTypes of [false, true]) {
      const { model, bytes } = toFloat16Model(original, { keepIoTypes });
      const ifNode = model.graph!.node.find((n) => n.opType === 'If')!;
      for (const g of [getAttribute(ifNode, 'then_branch')!.g!, getAttribute(ifNode, 'else_branch')!.g!]) {
        expect(Object.values(elemTypes(g, 'output'))).toEqual([F16]);
        expect(g.initializer[0].dataType).toBe(F16);
      }
      for (const cond of [1, 0]) {
        const feed = {
          cond: { type: 'bool' as const, data: new Uint8Array([cond]), dims: [] },
          x: { type: 'float32' as const, data: new Float32Array([1, 2, 3]), dims: [3] },
        };
        expect(Array.from((await runModel(bytes, feed)).y)).toEqual(Array.from((await runModel(original, feed)).y));
      }
    }
  });

  test('a blocked If keeps its branches in float32 and reads float32 copies of outer values', async () => {
    const original = buildModel({
      inputs: [
        { name: 'cond', dtype: 'bool', dims: [] },
        { name: 'x0', dtype: 'float32', dims: [3] },
      ],
      outputs: [{ name: 'y', dtype: 'float32', dims: [3] }],
      nodes: [
        { op: 'Relu', inputs: ['x0'], outputs: ['x'] },
        {
          op: 'If',
          inputs: ['cond'],
          outputs: ['y'],
          attributes: { then_branch: branch('then', 'Add', 1.5), else_branch: branch('else', 'Mul', 2) },
        },
      ],
    });
    const { model, bytes } = toFloat16Model(original, { blockOps: ['If'] });
    const then = getAttribute(
      model.graph!.node.find((n) => n.opType === 'If')!,
      'then_branch',
    )!.g!;
    expect(then.initializer[0].dataType).toBe(F32);
    expect(then.node[0].opType).toBe('Cast'); // x (float16 outside) -> float32 inside
    const feed = {
      cond: { type: 'bool' as const, data: new Uint8Array([1]), dims: [] },
      x0: { type: 'float32' as const, data: new Float32Array([1, -2, 3]), dims: [3] },
    };
    expect(Array.from((await runModel(bytes, feed)).y)).toEqual([2.5, 1.5, 4.5]);
  });

  test('a branch whose output comes from a blocked node returns a float16 copy under a new name', async () => {
    const softmaxBranch = (name: string) =>
      buildGraph({
        name,
        inputs: [],
        outputs: [{ name: `${name}_soft`, dtype: 'float32', dims: [3] }],
        nodes: [{ op: 'Softmax', inputs: ['x'], outputs: [`${name}_soft`], attributes: { axis: 0 } }],
      });
    const original = buildModel({
      inputs: [
        { name: 'cond', dtype: 'bool', dims: [] },
        { name: 'x', dtype: 'float32', dims: [3] },
      ],
      outputs: [{ name: 'y', dtype: 'float32', dims: [3] }],
      nodes: [
        {
          op: 'If',
          inputs: ['cond'],
          outputs: ['y'],
          attributes: { then_branch: softmaxBranch('then'), else_branch: softmaxBranch('else') },
        },
      ],
    });
    const { model, bytes } = toFloat16Model(original, { blockOps: ['Softmax'], float16Io: true });
    const then = getAttribute(
      model.graph!.node.find((n) => n.opType === 'If')!,
      'then_branch',
    )!.g!;
    expect(opTypes(then)).toEqual(['Cast', 'Softmax', 'Cast']);
    expect(then.output[0].name).not.toBe('then_soft');
    expect(then.output[0].name).toBe(then.node[2].output[0]);
    expect(elemTypes(then, 'output')).toEqual({ [then.output[0].name]: F16 });
    const feed = {
      cond: { type: 'bool' as const, data: new Uint8Array([1]), dims: [] },
      x: { type: 'float32' as const, data: new Float32Array([1, 2, 3]), dims: [3] },
    };
    expect(cosine((await runModel(bytes, feed)).y, (await runModel(original, feed)).y)).toBeGreaterThan(0.9999);
  });

  test('Loop: loop-carried float values and the body convert together', async () => {
    const body = buildGraph({
      name: 'body',
      inputs: [
        { name: 'i', dtype: 'int64', dims: [] },
        { name: 'cond_in', dtype: 'bool', dims: [] },
        { name: 'acc', dtype: 'float32', dims: [2] },
      ],
      outputs: [
        { name: 'cond_out', dtype: 'bool', dims: [] },
        { name: 'acc_out', dtype: 'float32', dims: [2] },
        { name: 'scan_out', dtype: 'float32', dims: [2] },
      ],
      initializers: [{ name: 'step', dtype: 'float32', dims: [2], data: [0.25, -1] }],
      nodes: [
        { op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] },
        { op: 'Add', inputs: ['acc', 'step'], outputs: ['acc_out'] },
        { op: 'Mul', inputs: ['acc_out', 'scale'], outputs: ['scan_out'] },
      ],
    });
    const original = buildModel({
      inputs: [
        { name: 'trip', dtype: 'int64', dims: [] },
        { name: 'start', dtype: 'float32', dims: [2] },
      ],
      outputs: [
        { name: 'final', dtype: 'float32', dims: [2] },
        { name: 'history', dtype: 'float32', dims: ['t', 2] },
      ],
      initializers: [
        { name: 'scale', dtype: 'float32', dims: [2], data: [2, 4] },
        { name: 'always', dtype: 'bool', dims: [], data: [1] },
      ],
      nodes: [{ op: 'Loop', inputs: ['trip', 'always', 'start'], outputs: ['final', 'history'], attributes: { body } }],
    });
    const { model, bytes } = toFloat16Model(original, { keepIoTypes: true });
    const converted = getAttribute(
      model.graph!.node.find((n) => n.opType === 'Loop')!,
      'body',
    )!.g!;
    expect(elemTypes(converted, 'input')).toEqual({ i: DataType.INT64, cond_in: DataType.BOOL, acc: F16 });
    expect(elemTypes(converted, 'output')).toEqual({ cond_out: DataType.BOOL, acc_out: F16, scan_out: F16 });
    const feed = {
      trip: { type: 'int64' as const, data: new BigInt64Array([3n]), dims: [] },
      start: { type: 'float32' as const, data: new Float32Array([1, 2]), dims: [2] },
    };
    const expected = await runModel(original, feed);
    const actual = await runModel(bytes, feed);
    expect(Array.from(actual.final)).toEqual(Array.from(expected.final));
    expect(Array.from(actual.history)).toEqual(Array.from(expected.history));
  });
});

function stats(values: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

test('decodeModel sanity for the helpers', () => {
  expect(decodeModel(tinyMlp()).graph!.node.length).toBe(5);
});
