/**
 * TypeScript shapes of the ONNX messages (what @bufbuild/protobuf produces for lib/onnx/schema.ts)
 * and their typed descriptors. Enum-valued fields are plain numbers; the constants below name them.
 */
import type { DescMessage, Message } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { onnxRegistry } from './schema.js';

export interface StringStringEntryProto extends Message<'onnx.StringStringEntryProto'> {
  key: string;
  value: string;
}

export interface OperatorSetIdProto extends Message<'onnx.OperatorSetIdProto'> {
  domain: string;
  version: bigint;
}

export interface TensorProto_Segment extends Message<'onnx.TensorProto.Segment'> {
  begin: bigint;
  end: bigint;
}

export interface TensorProto extends Message<'onnx.TensorProto'> {
  /** int64 on the wire; tensorDims() gives numbers. */
  dims: bigint[];
  /** A DataType value. */
  dataType: number;
  segment?: TensorProto_Segment;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: bigint[];
  name: string;
  rawData: Uint8Array;
  doubleData: number[];
  uint64Data: bigint[];
  docString: string;
  externalData: StringStringEntryProto[];
  /** A DataLocation value. */
  dataLocation: number;
  metadataProps: StringStringEntryProto[];
}

export interface SparseTensorProto extends Message<'onnx.SparseTensorProto'> {
  values?: TensorProto;
  indices?: TensorProto;
  dims: bigint[];
}

export interface TensorShapeProto_Dimension extends Message<'onnx.TensorShapeProto.Dimension'> {
  value: { case: 'dimValue'; value: bigint } | { case: 'dimParam'; value: string } | { case: undefined; value?: undefined };
  denotation: string;
}

export interface TensorShapeProto extends Message<'onnx.TensorShapeProto'> {
  dim: TensorShapeProto_Dimension[];
}

export interface TypeProto_Tensor extends Message<'onnx.TypeProto.Tensor'> {
  elemType: number;
  shape?: TensorShapeProto;
}
export interface TypeProto_SparseTensor extends Message<'onnx.TypeProto.SparseTensor'> {
  elemType: number;
  shape?: TensorShapeProto;
}
export interface TypeProto_Sequence extends Message<'onnx.TypeProto.Sequence'> {
  elemType?: TypeProto;
}
export interface TypeProto_Map extends Message<'onnx.TypeProto.Map'> {
  keyType: number;
  valueType?: TypeProto;
}
export interface TypeProto_Optional extends Message<'onnx.TypeProto.Optional'> {
  elemType?: TypeProto;
}
export interface TypeProto_Opaque extends Message<'onnx.TypeProto.Opaque'> {
  domain: string;
  name: string;
}

export interface TypeProto extends Message<'onnx.TypeProto'> {
  value:
    | { case: 'tensorType'; value: TypeProto_Tensor }
    | { case: 'sequenceType'; value: TypeProto_Sequence }
    | { case: 'mapType'; value: TypeProto_Map }
    | { case: 'opaqueType'; value: TypeProto_Opaque }
    | { case: 'sparseTensorType'; value: TypeProto_SparseTensor }
    | { case: 'optionalType'; value: TypeProto_Optional }
    | { case: undefined; value?: undefined };
  denotation: string;
}

export interface ValueInfoProto extends Message<'onnx.ValueInfoProto'> {
  name: string;
  type?: TypeProto;
  docString: string;
  metadataProps: StringStringEntryProto[];
}

export interface AttributeProto extends Message<'onnx.AttributeProto'> {
  name: string;
  f: number;
  i: bigint;
  s: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  docString: string;
  tp?: TypeProto;
  typeProtos: TypeProto[];
  /** An AttributeType value. */
  type: number;
  refAttrName: string;
  sparseTensor?: SparseTensorProto;
  sparseTensors: SparseTensorProto[];
}

export interface NodeProto extends Message<'onnx.NodeProto'> {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeProto[];
  docString: string;
  domain: string;
  overload: string;
  metadataProps: StringStringEntryProto[];
}

export interface TensorAnnotation extends Message<'onnx.TensorAnnotation'> {
  tensorName: string;
  quantParameterTensorNames: StringStringEntryProto[];
}

export interface GraphProto extends Message<'onnx.GraphProto'> {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  docString: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  quantizationAnnotation: TensorAnnotation[];
  sparseInitializer: SparseTensorProto[];
  metadataProps: StringStringEntryProto[];
}

export interface TrainingInfoProto extends Message<'onnx.TrainingInfoProto'> {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initializationBinding: StringStringEntryProto[];
  updateBinding: StringStringEntryProto[];
}

export interface FunctionProto extends Message<'onnx.FunctionProto'> {
  name: string;
  input: string[];
  output: string[];
  attribute: string[];
  node: NodeProto[];
  docString: string;
  opsetImport: OperatorSetIdProto[];
  domain: string;
  attributeProto: AttributeProto[];
  valueInfo: ValueInfoProto[];
  overload: string;
  metadataProps: StringStringEntryProto[];
}

export interface ModelProto extends Message<'onnx.ModelProto'> {
  irVersion: bigint;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: bigint;
  docString: string;
  graph?: GraphProto;
  opsetImport: OperatorSetIdProto[];
  metadataProps: StringStringEntryProto[];
  trainingInfo: TrainingInfoProto[];
  functions: FunctionProto[];
}

function schema<T extends Message>(typeName: T['$typeName']): GenMessage<T> {
  const desc: DescMessage | undefined = onnxRegistry.getMessage(typeName);
  if (!desc) throw new Error(`ONNX schema lacks ${typeName}`);
  return desc as unknown as GenMessage<T>;
}

export const ModelProtoSchema = schema<ModelProto>('onnx.ModelProto');
export const GraphProtoSchema = schema<GraphProto>('onnx.GraphProto');
export const NodeProtoSchema = schema<NodeProto>('onnx.NodeProto');
export const AttributeProtoSchema = schema<AttributeProto>('onnx.AttributeProto');
export const TensorProtoSchema = schema<TensorProto>('onnx.TensorProto');
export const SparseTensorProtoSchema = schema<SparseTensorProto>('onnx.SparseTensorProto');
export const ValueInfoProtoSchema = schema<ValueInfoProto>('onnx.ValueInfoProto');
export const TypeProtoSchema = schema<TypeProto>('onnx.TypeProto');
export const TypeProto_TensorSchema = schema<TypeProto_Tensor>('onnx.TypeProto.Tensor');
export const TensorShapeProtoSchema = schema<TensorShapeProto>('onnx.TensorShapeProto');
export const TensorShapeProto_DimensionSchema = schema<TensorShapeProto_Dimension>('onnx.TensorShapeProto.Dimension');
export const OperatorSetIdProtoSchema = schema<OperatorSetIdProto>('onnx.OperatorSetIdProto');
export const StringStringEntryProtoSchema = schema<StringStringEntryProto>('onnx.StringStringEntryProto');
export const FunctionProtoSchema = schema<FunctionProto>('onnx.FunctionProto');
export const TrainingInfoProtoSchema = schema<TrainingInfoProto>('onnx.TrainingInfoProto');
export const TensorAnnotationSchema = schema<TensorAnnotation>('onnx.TensorAnnotation');

/** TensorProto.DataType values. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** TensorProto.DataLocation values. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;
