import { describe, expect, test } from 'vitest';
import { buildGraph } from '../../../lib/onnx/builder.js';
import { DataType } from '../../../lib/onnx/types.js';
import { inferElementTypes } from '../../../lib/optimize/type-inference.js';
import { hoistConstants } from '../../../lib/optimize/hoist-constants.js';
import { type ModelSpec, attr, buildModelProto } from '../../../lib/onnx/builder.js';

describe('element type inference', () => {
  test('rules: first input, fixed outputs, attributes, declared value_info wins', () => {
    const graph = buildGraph({
      inputs: [
        { name: 'x', dtype: 'float32', dims: [2] },
        { name: 'i', dtype: 'int64', dims: [2] },
      ],
      outputs: [],
      valueInfo: [{ name: 'declared', dtype: 'float16' }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['relu'] },
        { op: 'Shape', inputs: ['x'], outputs: ['shape'] },
        { op: 'Less', inputs: ['x', 'relu'], outputs: ['less'] },
        { op: 'Cast', inputs: ['i'], outputs: ['cast'], attributes: { to: DataType.FLOAT16 } },
        { op: 'TopK', inputs: ['x', 'i'], outputs: ['values', 'indices'] },
        { op: 'ConstantOfShape', inputs: ['i'], outputs: ['zeros'] },
        { op: 'Where', inputs: ['less', 'i', 'i'], outputs: ['where'] },
        { op: 'Identity', inputs: ['x'], outputs: ['declared'] },
        { op: 'Custom', inputs: ['i'], outputs: ['custom'], domain: 'com.example' },
      ],
    });
    const types = inferElementTypes(graph);
    expect(Object.fromEntries([...types].filter(([name]) => name !== 'x' && name !== 'i'))).toEqual({
      relu: DataType.FLOAT,
      shape: DataType.INT64,
      less: DataType.BOOL,
      cast: DataType.FLOAT16,
      values: DataType.FLOAT,
      indices: DataType.INT64,
      zeros: DataType.FLOAT,
      where: DataType.INT64,
      declared: DataType.FLOAT16,
      custom: DataType.INT64,
    });
  });

  test('outer scopes are visible to subgraphs', () => {
    const inner = buildGraph({ inputs: [], outputs: [], nodes: [{ op: 'Neg', inputs: ['outer'], outputs: ['n'] }] });
    expect(inferElementTypes(inner, new Map([['outer', DataType.DOUBLE]])).get('n')).toBe(DataType.DOUBLE);
  });
});

describe('hoisting Constant nodes', () => {
  const spec: ModelSpec = {
    inputs: [{ name: 'x', dtype: 'float32', dims: [1] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1] }],
    nodes: [
      { op: 'Constant', inputs: [], outputs: ['c'], attributes: { value_float: attr.float(2) } },
      {
        op: 'Constant',
        inputs: [],
        outputs: ['t'],
        attributes: {
          value: buildModelProto({
            inputs: [],
            outputs: [],
            nodes: [],
            initializers: [{ name: 'ignored', dtype: 'float32', dims: [1], data: [3] }],
          }).graph!.initializer[0],
        },
      },
      { op: 'Mul', inputs: ['x', 't'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'c'], outputs: ['y'] },
    ],
  };

  test('tensor-valued Constants become initializers named after their output', () => {
    const model = buildModelProto(spec);
    expect(hoistConstants(model)).toBe(1);
    expect(model.graph!.initializer.map((t) => t.name)).toEqual(['t']);
    expect(model.graph!.node.map((n) => n.opType)).toEqual(['Constant', 'Mul', 'Add']);
  });

  test('models before IR 4 (initializers had to be inputs) are left alone', () => {
    const model = buildModelProto({ ...spec, irVersion: 3, opset: 8 });
    expect(hoistConstants(model)).toBe(0);
    expect(model.graph!.node.length).toBe(4);
  });
});
