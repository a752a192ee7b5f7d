/**
 * What `tensorrt-node inspect` reports about an ONNX model, computed from the parsed ModelProto
 * (lib/onnx) without running it: I/O, opsets, an op histogram and the parameter count.
 *
 * Parameters are the elements of every constant tensor the graph carries: initializers (sparse ones
 * by their stored values) and the values of Constant nodes, subgraphs included. Exporters differ in
 * which of the two they use (paddle2onnx writes all weights as Constant nodes), so counting only
 * initializers would report 0 for such models.
 */
import { dtypeFromOnnx, dtypeInfo } from '../dtype.js';
import {
  DataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  allInitializers,
  graphInputs,
  nodeSubgraphs,
} from '../onnx/index.js';

export interface ValueSummary {
  name: string;
  /** tensorrt-node's dtype name, or ONNX's for types it has no TypedArray for (e.g. "string"). */
  dtype: string;
  /** Dims: numbers, symbolic names, "?" for an unknown dim; null when not even the rank is known. */
  shape: (number | string)[] | null;
}

export interface ModelSummary {
  irVersion: number;
  producer: { name: string; version: string };
  opsets: { domain: string; version: number }[];
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Nodes in the main graph and in subgraphs (If/Loop/Scan bodies). */
  nodeCount: number;
  subgraphCount: number;
  /** Op type (domain-qualified outside the default domain) -> count, most frequent first. */
  opHistogram: Record<string, number>;
  parameters: {
    count: number;
    /** How many constant tensors hold them. */
    tensors: number;
    bytes: number;
    byDtype: Record<string, number>;
  };
}

const onnxTypeNames = new Map<number, string>(Object.entries(DataType).map(([name, value]) => [value, name.toLowerCase()]));

function elementTypeName(onnxType: number): string {
  return dtypeFromOnnx(onnxType) ?? onnxTypeNames.get(onnxType) ?? `onnx type ${onnxType}`;
}

function describeValue(value: ValueInfoProto): ValueSummary {
  const type = value.type?.value;
  if (type?.case !== 'tensorType') return { name: value.name, dtype: type?.case ?? 'unknown', shape: null };
  const shape = type.value.shape;
  return {
    name: value.name,
    dtype: elementTypeName(type.value.elemType),
    shape: shape
      ? shape.dim.map((dim) =>
          dim.value.case === 'dimValue' ? Number(dim.value.value) : dim.value.case === 'dimParam' ? dim.value.value : '?',
        )
      : null,
  };
}

function* allNodes(graph: GraphProto): Generator<NodeProto> {
  for (const node of graph.node) {
    yield node;
    for (const sub of nodeSubgraphs(node)) yield* allNodes(sub);
  }
}

function countSubgraphs(graph: GraphProto): number {
  let count = 0;
  for (const node of graph.node) for (const sub of nodeSubgraphs(node)) count += 1 + countSubgraphs(sub);
  return count;
}

class ParameterTally {
  count = 0;
  tensors = 0;
  bytes = 0;
  byDtype: Record<string, number> = {};

  add(onnxType: number, elements: number, bytes?: number): void {
    const name = elementTypeName(onnxType);
    this.count += elements;
    this.tensors += 1;
    this.byDtype[name] = (this.byDtype[name] ?? 0) + elements;
    const dtype = dtypeFromOnnx(onnxType);
    this.bytes += bytes ?? (dtype ? elements * dtypeInfo(dtype).bytesPerElement : 0);
  }

  addTensor(tensor: TensorProto): void {
    const elements = tensor.dims.reduce((product, dim) => product * Number(dim), 1);
    const strings = tensor.dataType === DataType.STRING ? tensor.stringData.reduce((sum, s) => sum + s.byteLength, 0) : undefined;
    this.add(tensor.dataType, elements, strings);
  }
}

/** A Constant node's value attribute, whichever of its forms the exporter used. */
function tallyConstant(node: NodeProto, tally: ParameterTally): void {
  for (const attribute of node.attribute) {
    switch (attribute.name) {
      case 'value':
        if (attribute.t) tally.addTensor(attribute.t);
        break;
      case 'sparse_value':
        if (attribute.sparseTensor?.values) tally.addTensor(attribute.sparseTensor.values);
        break;
      case 'value_float':
        tally.add(DataType.FLOAT, 1);
        break;
      case 'value_floats':
        tally.add(DataType.FLOAT, attribute.floats.length);
        break;
      case 'value_int':
        tally.add(DataType.INT64, 1);
        break;
      case 'value_ints':
        tally.add(DataType.INT64, attribute.ints.length);
        break;
      case 'value_string':
        tally.add(DataType.STRING, 1, attribute.s.byteLength);
        break;
      case 'value_strings':
        tally.add(
          DataType.STRING,
          attribute.strings.length,
          attribute.strings.reduce((sum, s) => sum + s.byteLength, 0),
        );
        break;
      default:
        break;
    }
  }
}

function* allSparseInitializers(graph: GraphProto): Generator<TensorProto> {
  for (const sparse of graph.sparseInitializer) if (sparse.values) yield sparse.values;
  for (const node of graph.node) for (const sub of nodeSubgraphs(node)) yield* allSparseInitializers(sub);
}

export function summarizeModel(model: ModelProto): ModelSummary {
  const graph = model.graph;
  const histogram = new Map<string, number>();
  const tally = new ParameterTally();
  let nodeCount = 0;
  if (graph) {
    for (const node of allNodes(graph)) {
      nodeCount++;
      const domain = node.domain === 'ai.onnx' ? '' : node.domain;
      const op = domain ? `${domain}.${node.opType}` : node.opType;
      histogram.set(op, (histogram.get(op) ?? 0) + 1);
      if (node.opType === 'Constant' && domain === '') tallyConstant(node, tally);
    }
    for (const tensor of allInitializers(graph)) tally.addTensor(tensor);
    for (const tensor of allSparseInitializers(graph)) tally.addTensor(tensor);
  }
  const sorted = [...histogram].sort(([opA, a], [opB, b]) => b - a || (opA < opB ? -1 : 1));
  return {
    irVersion: Number(model.irVersion),
    producer: { name: model.producerName, version: model.producerVersion },
    opsets: model.opsetImport.map((opset) => ({ domain: opset.domain || 'ai.onnx', version: Number(opset.version) })),
    inputs: graph ? graphInputs(graph).map(describeValue) : [],
    outputs: graph ? graph.output.map(describeValue) : [],
    nodeCount,
    subgraphCount: graph ? countSubgraphs(graph) : 0,
    opHistogram: Object.fromEntries(sorted),
    parameters: { count: tally.count, tensors: tally.tensors, bytes: tally.bytes, byDtype: tally.byDtype },
  };
}
