/**
 * A small builder for ONNX models, used by tests to write fixtures and by rewrites to make nodes:
 * `buildModel({ inputs, outputs, nodes, initializers, opset })` returns the model's bytes.
 */
import { create } from '@bufbuild/protobuf';
import { type DType, type TypedArray, dtypeInfo, isTypedArray } from '../dtype.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { float32ArrayToFloat16 } from './float16.js';
import { encodeModel } from './model-io.js';
import { makeTensor } from './tensor-data.js';
import {
  type AttributeProto,
  AttributeProtoSchema,
  AttributeType,
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  type TensorProto,
  type TypeProto,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from './types.js';

/** A dimension: a size, or a name for a symbolic (dynamic) size such as 'batch'. */
export type DimSpec = number | string;

export interface ValueSpec {
  name: string;
  dtype: DType;
  /** Omitted: shape unknown (not even the rank). */
  dims?: readonly DimSpec[];
}

/** An attribute whose ONNX type is spelled out (needed for floats that happen to be integers). */
export type TypedAttribute =
  | { type: 'float'; value: number }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'int'; value: number | bigint }
  | { type: 'ints'; value: readonly (number | bigint)[] }
  | { type: 'string'; value: string | Uint8Array }
  | { type: 'strings'; value: readonly string[] }
  | { type: 'tensor'; value: TensorProto }
  | { type: 'graph'; value: GraphProto }
  | { type: 'graphs'; value: readonly GraphProto[] };

/**
 * Plain values are typed by what they are: an integer number is INT, another number FLOAT, a number
 * array INTS when all are integers (else FLOATS), a string STRING, a TensorProto TENSOR, a GraphProto GRAPH.
 */
export type AttributeInput = number | bigint | string | readonly number[] | readonly string[] | TensorProto | GraphProto | TypedAttribute;

export const attr = {
  float: (value: number): TypedAttribute => ({ type: 'float', value }),
  floats: (value: readonly number[]): TypedAttribute => ({ type: 'floats', value }),
  int: (value: number | bigint): TypedAttribute => ({ type: 'int', value }),
  ints: (value: readonly (number | bigint)[]): TypedAttribute => ({ type: 'ints', value }),
  string: (value: string | Uint8Array): TypedAttribute => ({ type: 'string', value }),
  tensor: (value: TensorProto): TypedAttribute => ({ type: 'tensor', value }),
  graph: (value: GraphProto): TypedAttribute => ({ type: 'graph', value }),
};

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeInput>;
}

export interface InitializerSpec {
  name: string;
  dtype: DType;
  dims: readonly number[];
  /** The elements; numbers are converted to the dtype (float16: rounded to half precision). */
  data: TypedArray | readonly number[];
}

export interface GraphSpec {
  name?: string;
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  nodes: readonly NodeSpec[];
  initializers?: readonly (InitializerSpec | TensorProto)[];
  valueInfo?: readonly ValueSpec[];
}

export interface ModelSpec extends GraphSpec {
  /** Default-domain opset version (default 17), or the full opset_import list. */
  opset?: number | readonly { domain: string; version: number }[];
  /** Default: the IR version that introduced the default-domain opset. */
  irVersion?: number;
  producerName?: string;
}

const encoder = new TextEncoder();

function isMessage<T extends { $typeName: string }>(value: unknown, typeName: T['$typeName']): value is T {
  return typeof value === 'object' && value !== null && (value as { $typeName?: unknown }).$typeName === typeName;
}

function typed(value: AttributeInput): TypedAttribute {
  if (isMessage<TensorProto>(value, 'onnx.TensorProto')) return { type: 'tensor', value };
  if (isMessage<GraphProto>(value, 'onnx.GraphProto')) return { type: 'graph', value };
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'int', value } : { type: 'float', value };
  if (typeof value === 'bigint') return { type: 'int', value };
  if (typeof value === 'string') return { type: 'string', value };
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'string')) return { type: 'strings', value: value as string[] };
    const numbers = value as number[];
    return numbers.length > 0 && numbers.every(Number.isInteger) ? { type: 'ints', value: numbers } : { type: 'floats', value: numbers };
  }
  return value as TypedAttribute;
}

export function makeAttribute(name: string, input: AttributeInput): AttributeProto {
  const spec = typed(input);
  const attribute = create(AttributeProtoSchema, { name });
  switch (spec.type) {
    case 'float':
      attribute.type = AttributeType.FLOAT;
      attribute.f = spec.value;
      break;
    case 'floats':
      attribute.type = AttributeType.FLOATS;
      attribute.floats = [...spec.value];
      break;
    case 'int':
      attribute.type = AttributeType.INT;
      attribute.i = BigInt(spec.value);
      break;
    case 'ints':
      attribute.type = AttributeType.INTS;
      attribute.ints = spec.value.map((v) => BigInt(v));
      break;
    case 'string':
      attribute.type = AttributeType.STRING;
      attribute.s = typeof spec.value === 'string' ? encoder.encode(spec.value) : spec.value;
      break;
    case 'strings':
      attribute.type = AttributeType.STRINGS;
      attribute.strings = spec.value.map((v) => encoder.encode(v));
      break;
    case 'tensor':
      attribute.type = AttributeType.TENSOR;
      attribute.t = spec.value;
      break;
    case 'graph':
      attribute.type = AttributeType.GRAPH;
      attribute.g = spec.value;
      break;
    case 'graphs':
      attribute.type = AttributeType.GRAPHS;
      attribute.graphs = [...spec.value];
      break;
  }
  return attribute;
}

export function makeTensorType(dtype: DType, dims?: readonly DimSpec[]): TypeProto {
  const tensorType = create(TypeProto_TensorSchema, { elemType: dtypeInfo(dtype).onnx });
  if (dims !== undefined) {
    tensorType.shape = create(TensorShapeProtoSchema, {
      dim: dims.map((dim) =>
        create(TensorShapeProto_DimensionSchema, {
          value: typeof dim === 'number' ? { case: 'dimValue', value: BigInt(dim) } : { case: 'dimParam', value: dim },
        }),
      ),
    });
  }
  return create(TypeProtoSchema, { value: { case: 'tensorType', value: tensorType } });
}

export function makeValueInfo(spec: ValueSpec): ValueInfoProto {
  return create(ValueInfoProtoSchema, { name: spec.name, type: makeTensorType(spec.dtype, spec.dims) });
}

export function makeNode(spec: NodeSpec): NodeProto {
  const node = create(NodeProtoSchema, {
    opType: spec.op,
    input: [...spec.inputs],
    output: [...spec.outputs],
    attribute: Object.entries(spec.attributes ?? {}).map(([name, value]) => makeAttribute(name, value)),
  });
  if (spec.name !== undefined) node.name = spec.name;
  if (spec.domain !== undefined) node.domain = spec.domain;
  return node;
}

function toTypedArray(dtype: DType, data: TypedArray | readonly number[], name: string): TypedArray {
  if (isTypedArray(data)) return data;
  if (dtype === 'float16') return float32ArrayToFloat16(data);
  const { arrayType } = dtypeInfo(dtype);
  if (dtype === 'int64' || dtype === 'uint64') {
    const out = new arrayType(data.length) as BigInt64Array | BigUint64Array;
    data.forEach((value, i) => (out[i] = BigInt(value)));
    return out;
  }
  if (!Array.isArray(data))
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a TypedArray or number[] for the data of initializer "${name}"`);
  const out = new arrayType(data.length) as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
  out.set(data);
  return out;
}

export function makeInitializer(spec: InitializerSpec): TensorProto {
  return makeTensor(spec.name, spec.dtype, spec.dims, toTypedArray(spec.dtype, spec.data, spec.name));
}

export function buildGraph(spec: GraphSpec): GraphProto {
  return create(GraphProtoSchema, {
    name: spec.name ?? 'graph',
    input: spec.inputs.map(makeValueInfo),
    output: spec.outputs.map(makeValueInfo),
    valueInfo: (spec.valueInfo ?? []).map(makeValueInfo),
    initializer: (spec.initializers ?? []).map((init) => (isMessage<TensorProto>(init, 'onnx.TensorProto') ? init : makeInitializer(init))),
    node: spec.nodes.map((node, index) => makeNode({ ...node, name: node.name ?? `${node.op}_${index}` })),
  });
}

/** The IR version each default-domain opset arrived with. */
function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

export function buildModelProto(spec: ModelSpec): ModelProto {
  const opsets = typeof spec.opset === 'object' ? spec.opset : [{ domain: '', version: spec.opset ?? 17 }];
  const defaultOpset = opsets.find((opset) => opset.domain === '' || opset.domain === 'ai.onnx')?.version ?? 17;
  return create(ModelProtoSchema, {
    irVersion: BigInt(spec.irVersion ?? irVersionFor(defaultOpset)),
    producerName: spec.producerName ?? 'tensorrt-node',
    opsetImport: opsets.map((opset) => create(OperatorSetIdProtoSchema, { domain: opset.domain, version: BigInt(opset.version) })),
    graph: buildGraph(spec),
  });
}

/** The bytes of an ONNX model built from `spec`. */
export function buildModel(spec: ModelSpec): Uint8Array {
  return encodeModel(buildModelProto(spec));
}
