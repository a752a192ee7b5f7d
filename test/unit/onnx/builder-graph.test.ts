import { describe, expect, test } from 'vitest';
import * as ort from 'onnxruntime-node';
import { attr, buildGraph, buildModel, buildModelProto } from '../../../lib/onnx/builder.js';
import {
  consumerMap,
  graphInputs,
  isTopologicallySorted,
  opsetVersion,
  outerScopeReferences,
  producerMap,
  topologicalOrder,
  uniqueName,
  usedNames,
} from '../../../lib/onnx/graph.js';
import { decodeModel } from '../../../lib/onnx/model-io.js';
import { readTensor } from '../../../lib/onnx/tensor-data.js';
import { tinyConvNet, tinyMlp, tinyQdqModel } from '../../fixtures/onnx-models.js';

function mlpReference(x: Float32Array, batch: number, weights: Map<string, Float32Array>): Float32Array {
  const w1 = weights.get('w1')!,
    b1 = weights.get('b1')!,
    w2 = weights.get('w2')!,
    b2 = weights.get('b2')!;
  const out = new Float32Array(batch * 3);
  for (let n = 0; n < batch; n++) {
    const hidden = new Float64Array(8);
    for (let j = 0; j < 8; j++) {
      let sum = b1[j];
      for (let i = 0; i < 4; i++) sum += x[n * 4 + i] * w1[i * 8 + j];
      hidden[j] = Math.max(0, sum);
    }
    const logits = [0, 1, 2].map((k) => hidden.reduce((acc, h, j) => acc + h * w2[j * 3 + k], b2[k]));
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const total = exps.reduce((a, b) => a + b);
    exps.forEach((e, k) => (out[n * 3 + k] = e / total));
  }
  return out;
}

describe('builder', () => {
  test('the tiny MLP runs on ONNX Runtime with a symbolic batch and matches a JS reference', async () => {
    const bytes = tinyMlp();
    const model = decodeModel(bytes);
    expect(model.graph!.input[0].type?.value.case).toBe('tensorType');
    const weights = new Map(model.graph!.initializer.map((t) => [t.name, readTensor(t).data as Float32Array]));
    const session = await ort.InferenceSession.create(bytes);
    for (const batch of [1, 3]) {
      const x = new Float32Array(batch * 4).map((_, i) => Math.cos(i * 0.7));
      const { probabilities } = await session.run({ x: new ort.Tensor('float32', x, [batch, 4]) });
      expect(probabilities.dims).toEqual([batch, 3]);
      const expected = mlpReference(x, batch, weights);
      (probabilities.data as Float32Array).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    }
    await session.release();
  });

  test('the conv net and the Q/DQ model load and run', async () => {
    const conv = await ort.InferenceSession.create(tinyConvNet());
    const scores = (await conv.run({ image: new ort.Tensor('float32', new Float32Array(2 * 192).fill(0.5), [2, 3, 8, 8]) })).scores;
    expect(scores.dims).toEqual([2, 5]);
    const qdq = await ort.InferenceSession.create(tinyQdqModel());
    const y = (await qdq.run({ x: new ort.Tensor('float32', new Float32Array([1, 0, 0, 0]), [1, 4]) })).y;
    // x quantizes to 50 * 0.02 = 1; row 0 of the weights dequantizes to [12 * 0.01, -7 * 0.005]
    expect(Array.from(y.data as Float32Array).map((v) => Number(v.toFixed(5)))).toEqual([0.12, -0.035]);
    await conv.release();
    await qdq.release();
  });

  test('attributes get the type their values imply, or the one spelled out', () => {
    const model = buildModelProto({
      opset: [
        { domain: '', version: 13 },
        { domain: 'com.microsoft', version: 1 },
      ],
      inputs: [{ name: 'a', dtype: 'float32' }],
      outputs: [{ name: 'b', dtype: 'float32' }],
      nodes: [
        {
          op: 'X',
          inputs: ['a'],
          outputs: ['b'],
          attributes: { i: 3, f: 0.5, one: attr.float(1), ints: [1, 2], floats: [0.5, 1], s: 'text', ss: ['u', 'v'] },
        },
      ],
    });
    const types = Object.fromEntries(model.graph!.node[0].attribute.map((a) => [a.name, a.type]));
    expect(types).toEqual({ i: 2, f: 1, one: 1, ints: 7, floats: 6, s: 3, ss: 8 });
    expect(model.irVersion).toBe(7n);
    expect(opsetVersion(model)).toBe(13);
    expect(opsetVersion(model, 'ai.onnx')).toBe(13);
    expect(opsetVersion(model, 'com.microsoft')).toBe(1);
    expect(opsetVersion(model, 'ai.onnx.ml')).toBeUndefined();
  });
});

describe('graph helpers', () => {
  const model = decodeModel(tinyConvNet());
  const graph = model.graph!;

  test('producers, consumers and inputs', () => {
    expect(producerMap(graph).get('p1')?.opType).toBe('MaxPool');
    expect(
      consumerMap(graph)
        .get('p1')
        ?.map((n) => n.opType),
    ).toEqual(['Conv', 'Add']);
    expect(graphInputs(graph).map((v) => v.name)).toEqual(['image']);
  });

  test('topological order restores a shuffled graph', () => {
    expect(isTopologicallySorted(graph)).toBe(true);
    const shuffled = buildModelProto({ inputs: [], outputs: [], nodes: [] }).graph!;
    shuffled.node = [...graph.node].reverse();
    expect(isTopologicallySorted(shuffled)).toBe(false);
    expect(topologicalOrder(shuffled).map((n) => n.name)).toEqual(graph.node.map((n) => n.name));
  });

  test('cycles are reported', () => {
    const cyclic = buildGraph({
      inputs: [],
      outputs: [],
      nodes: [
        { op: 'Relu', inputs: ['b'], outputs: ['a'] },
        { op: 'Relu', inputs: ['a'], outputs: ['b'] },
      ],
    });
    expect(() => topologicalOrder(cyclic)).toThrow(/cycle/);
  });

  test('subgraph reads of outer values count as reads by the node that holds the subgraph', () => {
    const branch = (value: string) =>
      buildGraph({
        inputs: [],
        outputs: [{ name: `${value}_out`, dtype: 'float32' }],
        nodes: [{ op: 'Identity', inputs: [value], outputs: [`${value}_out`] }],
      });
    const outer = buildGraph({
      inputs: [
        { name: 'cond', dtype: 'bool', dims: [] },
        { name: 'x', dtype: 'float32', dims: [2] },
      ],
      outputs: [{ name: 'y', dtype: 'float32', dims: [2] }],
      nodes: [
        { op: 'Neg', inputs: ['x'], outputs: ['nx'] },
        { op: 'If', inputs: ['cond'], outputs: ['y'], attributes: { then_branch: branch('x'), else_branch: branch('nx') } },
      ],
    });
    expect(outerScopeReferences(outer.node[1].attribute[0].g!)).toEqual(new Set(['x']));
    expect(
      consumerMap(outer)
        .get('nx')
        ?.map((n) => n.opType),
    ).toEqual(['If']);
    expect(
      consumerMap(outer)
        .get('x')
        ?.map((n) => n.opType),
    ).toEqual(['Neg', 'If']);
    const taken = usedNames(outer);
    expect(taken.has('nx_out')).toBe(true);
    expect(uniqueName(taken, 'nx')).toBe('nx_1');
    expect(uniqueName(taken, 'nx')).toBe('nx_2');
  });

  test('buildModel output is decodable bytes', () => {
    expect(decodeModel(buildModel({ inputs: [], outputs: [], nodes: [] })).producerName).toBe('tensorrt-node');
  });
});
