import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, buildGraph, buildModel, makeTensor } from '../../lib/onnx/index.js';
import { realModels as models } from '../fixtures/real-models.js';
import { ensureBuilt, expectedError, runCli } from './cli-helper.js';

// Expected values for the two real models were obtained independently with Python's onnx 1.23.1
// (not with this project's parser): onnx.load(path); op histogram = collections.Counter of
// node.op_type over graph.node (no subgraphs in these models); parameters = sum of
// numpy.prod(attribute.t.dims) over the 'value' attribute of every Constant node (both models keep
// all weights in Constant nodes and have no initializers); bytes = sum of
// onnx.numpy_helper.to_array(attribute.t).nbytes.
const CLS_HISTOGRAM = {
  Constant: 250,
  Conv: 53,
  BatchNormalization: 35,
  Mul: 27,
  Add: 26,
  Clip: 18,
  Div: 18,
  Relu: 15,
  GlobalAveragePool: 10,
  HardSigmoid: 9,
  Cast: 3,
  MaxPool: 1,
  Shape: 1,
  Slice: 1,
  Concat: 1,
  Reshape: 1,
  MatMul: 1,
  Softmax: 1,
};
const DET_HISTOGRAM = {
  Constant: 342,
  Add: 89,
  Mul: 86,
  Conv: 62,
  Clip: 24,
  Div: 24,
  Relu: 12,
  GlobalAveragePool: 10,
  HardSigmoid: 10,
  Resize: 6,
  BatchNormalization: 3,
  ConvTranspose: 2,
  Concat: 1,
  Sigmoid: 1,
};
const DYNAMIC_IMAGE = ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-inspect-'));
  await ensureBuilt();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tensorrt-node inspect', () => {
  it('reports the PP-OCR classifier: I/O, opset, op histogram, parameters and size', async () => {
    const result = await runCli(['inspect', models.ocrCls, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.sizeBytes).toBe((await stat(models.ocrCls)).size);
    expect(report.irVersion).toBe(8);
    expect(report.opsets).toEqual([{ domain: 'ai.onnx', version: 9 }]);
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: DYNAMIC_IMAGE }]);
    expect(report.outputs).toEqual([{ name: 'softmax_0.tmp_0', dtype: 'float32', shape: ['p2o.DynamicDimension.3', 2] }]);
    expect(report.nodeCount).toBe(471);
    expect(report.opHistogram).toEqual(CLS_HISTOGRAM);
    expect(report.parameters).toEqual({ count: 133_665, tensors: 250, bytes: 534_660, byDtype: { float32: 133_664, int32: 1 } });
  });

  it('reports the PP-OCRv4 detector, most frequent ops first', async () => {
    const result = await runCli(['inspect', models.ocrDet, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.opsets).toEqual([{ domain: 'ai.onnx', version: 11 }]);
    expect(report.nodeCount).toBe(672);
    expect(report.opHistogram).toEqual(DET_HISTOGRAM);
    const counts = Object.values(report.opHistogram) as number[];
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(report.parameters.count).toBe(1_171_841);
    expect(report.parameters.bytes).toBe(4_687_364);
  });

  it('prints a readable summary', async () => {
    const result = await runCli(['inspect', models.ocrCls]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('opsets      ai.onnx 9\n');
    expect(result.stdout).toContain('parameters  133,665 in 250 constant tensors');
    expect(result.stdout).toContain('nodes       471\n');
    expect(result.stdout).toMatch(/ x +float32 +\[p2o\.DynamicDimension\.0, 3, p2o\.DynamicDimension\.1, p2o\.DynamicDimension\.2\]/);
    expect(result.stdout).toMatch(/ +250 +Constant\n +53 +Conv\n/);
  });

  it('counts initializers, subgraph nodes and custom-domain ops in a built model', async () => {
    // then: Constant [2] -> Add; else: Identity of an initializer [5] inside the subgraph.
    const thenBranch = buildGraph({
      inputs: [],
      outputs: [{ name: 't_out', dtype: 'float32', dims: [2] }],
      nodes: [
        {
          op: 'Constant',
          inputs: [],
          outputs: ['t_c'],
          attributes: { value: attr.tensor(makeTensor('t_c', 'float32', [2], new Float32Array([1, 2]))) },
        },
        { op: 'Add', inputs: ['t_c', 'bias'], outputs: ['t_out'] },
      ],
    });
    const elseBranch = buildGraph({
      inputs: [],
      outputs: [{ name: 'e_out', dtype: 'float32', dims: [2] }],
      initializers: [{ name: 'e_w', dtype: 'float32', dims: [2], data: [3, 4] }],
      nodes: [{ op: 'Identity', inputs: ['e_w'], outputs: ['e_out'] }],
    });
    const bytes = buildModel({
      opset: [
        { domain: '', version: 17 },
        { domain: 'com.example', version: 1 },
      ],
      inputs: [
        { name: 'cond', dtype: 'bool', dims: [] },
        { name: 'bias', dtype: 'float32', dims: ['n'] },
      ],
      outputs: [
        { name: 'y', dtype: 'float32', dims: [2] },
        { name: 'z', dtype: 'float32', dims: [3, 4] },
      ],
      initializers: [
        { name: 'w', dtype: 'float32', dims: [3, 4], data: new Float32Array(12) },
        { name: 'k', dtype: 'int64', dims: [2], data: [1, 2] },
      ],
      nodes: [
        {
          op: 'If',
          inputs: ['cond'],
          outputs: ['y'],
          attributes: { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) },
        },
        { op: 'Scale', domain: 'com.example', inputs: ['w', 'k'], outputs: ['z'] },
        { op: 'Constant', inputs: [], outputs: ['unused'], attributes: { value_floats: attr.floats([1, 2, 3]) } },
      ],
    });
    const path = join(dir, 'built.onnx');
    await writeFile(path, bytes);
    const result = await runCli(['inspect', path, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.inputs).toEqual([
      { name: 'cond', dtype: 'bool', shape: [] },
      { name: 'bias', dtype: 'float32', shape: ['n'] },
    ]);
    expect(report.opsets).toEqual([
      { domain: 'ai.onnx', version: 17 },
      { domain: 'com.example', version: 1 },
    ]);
    expect(report.nodeCount).toBe(6);
    expect(report.subgraphCount).toBe(2);
    expect(report.opHistogram).toEqual({ Constant: 2, Add: 1, Identity: 1, If: 1, 'com.example.Scale': 1 });
    // w 12 + k 2 + e_w 2 + t_c 2 + value_floats 3
    expect(report.parameters).toEqual({ count: 21, tensors: 5, bytes: 19 * 4 + 2 * 8, byDtype: { float32: 19, int64: 2 } });
  });

  it('fails with one line and ERR_MODEL_LOAD for a missing file or a file that is not ONNX', async () => {
    const missing = await runCli(['inspect', join(dir, 'nope.onnx')]);
    expect(missing.code).toBe(1);
    expect(expectedError(missing)).toEqual({ code: 'ERR_MODEL_LOAD', message: expect.stringContaining('does not exist') });
    const text = join(dir, 'text.onnx');
    await writeFile(text, 'this is not a protobuf at all');
    const garbage = await runCli(['inspect', text]);
    expect(garbage.code).toBe(1);
    expect(expectedError(garbage)?.code).toBe('ERR_MODEL_LOAD');
  });
});
