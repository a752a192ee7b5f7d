/**
 * Element types of the tensors inside a graph. Declared types (inputs, initializers, value_info,
 * outputs) win; the rest follow from a small rule table: most ops produce the type of their first
 * input, a few fix it (Shape: int64, Equal: bool), and some read it from an attribute (Cast 'to').
 * Non-tensor values (sequences, maps) get no entry.
 */
import { getAttribute, topologicalOrder } from '../onnx/graph.js';
import { DataType, type GraphProto, type NodeProto, type TypeProto, type ValueInfoProto } from '../onnx/types.js';

export type ElementTypes = Map<string, number>;

export function tensorElementType(type: TypeProto | undefined): number | undefined {
  if (type?.value.case === 'tensorType') return type.value.value.elemType || undefined;
  return undefined;
}

function declared(info: ValueInfoProto, into: ElementTypes): void {
  const elemType = tensorElementType(info.type);
  if (elemType !== undefined) into.set(info.name, elemType);
}

const BOOL_OUTPUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT64_OUTPUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);

function attributeInt(node: NodeProto, name: string): number | undefined {
  const attribute = getAttribute(node, name);
  return attribute === undefined ? undefined : Number(attribute.i);
}

function constantType(node: NodeProto): number | undefined {
  for (const attribute of node.attribute) {
    switch (attribute.name) {
      case 'value':
        return attribute.t?.dataType;
      case 'sparse_value':
        return attribute.sparseTensor?.values?.dataType;
      case 'value_float':
      case 'value_floats':
        return DataType.FLOAT;
      case 'value_int':
      case 'value_ints':
        return DataType.INT64;
      case 'value_string':
      case 'value_strings':
        return DataType.STRING;
    }
  }
  return undefined;
}

/** Output types of a control-flow node, from its body graph's declared or inferred outputs. */
function subgraphOutputTypes(node: NodeProto, known: ElementTypes): (number | undefined)[] {
  const attributeName = node.opType === 'If' ? 'then_branch' : 'body';
  const body = getAttribute(node, attributeName)?.g;
  if (!body) return [];
  const inner = inferElementTypes(body, known);
  const outputs = body.output.map((output) => inner.get(output.name));
  // Loop's body returns the condition first; the node's outputs start after it.
  return node.opType === 'Loop' ? outputs.slice(1) : outputs;
}

function outputTypes(node: NodeProto, types: ElementTypes): (number | undefined)[] {
  const input = (index: number) => (node.input[index] ? types.get(node.input[index]) : undefined);
  const firstKnown = () => node.input.map((name) => (name ? types.get(name) : undefined)).find((type) => type !== undefined);
  const all = (type: number | undefined) => node.output.map(() => type);
  if (node.domain !== '' && node.domain !== 'ai.onnx') return all(firstKnown());
  switch (node.opType) {
    case 'Cast':
      return all(attributeInt(node, 'to'));
    case 'CastLike':
      return all(input(1));
    case 'Constant':
      return all(constantType(node));
    case 'ConstantOfShape':
      return all(getAttribute(node, 'value')?.t?.dataType ?? DataType.FLOAT);
    case 'RandomNormal':
    case 'RandomUniform':
      return all(attributeInt(node, 'dtype') ?? DataType.FLOAT);
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'Bernoulli':
      return all(attributeInt(node, 'dtype') ?? input(0));
    case 'Multinomial':
      return all(attributeInt(node, 'dtype') ?? DataType.INT32);
    case 'HannWindow':
    case 'HammingWindow':
    case 'BlackmanWindow':
    case 'MelWeightMatrix':
      return all(attributeInt(node, 'output_datatype') ?? DataType.FLOAT);
    case 'TfIdfVectorizer':
      return all(DataType.FLOAT);
    case 'TopK':
    case 'MaxPool':
      return [input(0), DataType.INT64];
    case 'Unique':
      return [input(0), DataType.INT64, DataType.INT64, DataType.INT64];
    case 'Dropout':
      return [input(0), DataType.BOOL];
    case 'LayerNormalization':
      return [input(0), DataType.FLOAT, DataType.FLOAT];
    case 'QuantizeLinear': {
      const outputDType = attributeInt(node, 'output_dtype');
      return all(outputDType ? outputDType : (input(2) ?? DataType.UINT8));
    }
    case 'DequantizeLinear':
      return all(input(1));
    case 'DynamicQuantizeLinear':
      return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
    case 'MatMulInteger':
    case 'ConvInteger':
      return all(DataType.INT32);
    case 'QLinearConv':
    case 'QLinearMatMul':
      return all(input(7));
    case 'Where':
      return all(input(1));
    case 'If':
    case 'Loop':
    case 'Scan':
      return subgraphOutputTypes(node, types);
  }
  if (BOOL_OUTPUT.has(node.opType)) return all(DataType.BOOL);
  if (INT64_OUTPUT.has(node.opType)) return all(DataType.INT64);
  return all(firstKnown());
}

/**
 * Element types of every tensor the graph defines or reads, `outer` supplying the values of
 * enclosing scopes (for subgraphs).
 */
export function inferElementTypes(graph: GraphProto, outer: ElementTypes = new Map()): ElementTypes {
  const types: ElementTypes = new Map(outer);
  for (const tensor of graph.initializer) types.set(tensor.name, tensor.dataType);
  for (const sparse of graph.sparseInitializer) if (sparse.values) types.set(sparse.values.name, sparse.values.dataType);
  for (const info of graph.input) declared(info, types);
  const declaredTypes: ElementTypes = new Map();
  for (const info of [...graph.valueInfo, ...graph.output]) declared(info, declaredTypes);
  for (const node of topologicalOrder(graph)) {
    const inferred = outputTypes(node, types);
    node.output.forEach((name, index) => {
      if (!name) return;
      const type = declaredTypes.get(name) ?? inferred[index];
      if (type !== undefined) types.set(name, type);
    });
  }
  return types;
}
