/**
 * The ONNX protobuf schema, described in TypeScript as a google.protobuf.FileDescriptorProto and
 * turned into runtime message descriptors by @bufbuild/protobuf. Field numbers and wire types are
 * facts of the ONNX file format; the declarations here are this project's own.
 *
 * Choices that keep round trips byte-identical:
 * - proto2 syntax (as ONNX files are written): explicit presence, so a field written with its
 *   default value is written again.
 * - Enum-valued fields are declared int32: proto2 enums are closed, and a value newer than this
 *   schema would otherwise move to the unknown fields and be re-emitted at the end of the message.
 * - The numeric arrays ONNX declares packed are packed here too; everything else is unpacked.
 * - Fields this schema does not know are kept by @bufbuild/protobuf as unknown fields and written
 *   back verbatim (after the known fields).
 */
import { create, createFileRegistry } from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  DescriptorProtoSchema,
  type FieldDescriptorProto,
  FieldDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';

type FieldKind = 'string' | 'bytes' | 'int32' | 'int64' | 'uint64' | 'float' | 'double' | `.${string}`;

interface FieldSpec {
  name: string;
  number: number;
  kind: FieldKind;
  repeated?: boolean;
  packed?: boolean;
  oneof?: number;
}

const scalarTypes: Record<Exclude<FieldKind, `.${string}`>, Type> = {
  string: Type.STRING,
  bytes: Type.BYTES,
  int32: Type.INT32,
  int64: Type.INT64,
  uint64: Type.UINT64,
  float: Type.FLOAT,
  double: Type.DOUBLE,
};

function toCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function fieldProto(spec: FieldSpec): FieldDescriptorProto {
  const isMessage = spec.kind.startsWith('.');
  const options = spec.packed ? { packed: true } : undefined;
  return create(FieldDescriptorProtoSchema, {
    name: spec.name,
    jsonName: toCamel(spec.name),
    number: spec.number,
    label: spec.repeated ? Label.REPEATED : Label.OPTIONAL,
    type: isMessage ? Type.MESSAGE : scalarTypes[spec.kind as Exclude<FieldKind, `.${string}`>],
    ...(isMessage ? { typeName: spec.kind } : {}),
    ...(spec.oneof !== undefined ? { oneofIndex: spec.oneof } : {}),
    ...(options ? { options } : {}),
  });
}

function f(name: string, number: number, kind: FieldKind, extra: Omit<FieldSpec, 'name' | 'number' | 'kind'> = {}): FieldSpec {
  return { name, number, kind, ...extra };
}
const rep = { repeated: true } as const;
const packed = { repeated: true, packed: true } as const;

function message(name: string, fields: FieldSpec[], nested: DescriptorProto[] = [], oneofs: string[] = []): DescriptorProto {
  return create(DescriptorProtoSchema, {
    name,
    // Declared in field-number order (the order protobuf writers emit).
    field: [...fields].sort((a, b) => a.number - b.number).map(fieldProto),
    nestedType: nested,
    oneofDecl: oneofs.map((oneofName) => ({ name: oneofName })),
  });
}

const entries = (name: string, number: number) => f(name, number, '.onnx.StringStringEntryProto', rep);

const messages: DescriptorProto[] = [
  message('AttributeProto', [
    f('name', 1, 'string'),
    f('f', 2, 'float'),
    f('i', 3, 'int64'),
    f('s', 4, 'bytes'),
    f('t', 5, '.onnx.TensorProto'),
    f('g', 6, '.onnx.GraphProto'),
    f('floats', 7, 'float', rep),
    f('ints', 8, 'int64', rep),
    f('strings', 9, 'bytes', rep),
    f('tensors', 10, '.onnx.TensorProto', rep),
    f('graphs', 11, '.onnx.GraphProto', rep),
    f('doc_string', 13, 'string'),
    f('tp', 14, '.onnx.TypeProto'),
    f('type_protos', 15, '.onnx.TypeProto', rep),
    f('type', 20, 'int32'),
    f('ref_attr_name', 21, 'string'),
    f('sparse_tensor', 22, '.onnx.SparseTensorProto'),
    f('sparse_tensors', 23, '.onnx.SparseTensorProto', rep),
  ]),
  message('ValueInfoProto', [
    f('name', 1, 'string'),
    f('type', 2, '.onnx.TypeProto'),
    f('doc_string', 3, 'string'),
    entries('metadata_props', 4),
  ]),
  message('NodeProto', [
    f('input', 1, 'string', rep),
    f('output', 2, 'string', rep),
    f('name', 3, 'string'),
    f('op_type', 4, 'string'),
    f('attribute', 5, '.onnx.AttributeProto', rep),
    f('doc_string', 6, 'string'),
    f('domain', 7, 'string'),
    f('overload', 8, 'string'),
    entries('metadata_props', 9),
  ]),
  message('TrainingInfoProto', [
    f('initialization', 1, '.onnx.GraphProto'),
    f('algorithm', 2, '.onnx.GraphProto'),
    entries('initialization_binding', 3),
    entries('update_binding', 4),
  ]),
  message('ModelProto', [
    f('ir_version', 1, 'int64'),
    f('producer_name', 2, 'string'),
    f('producer_version', 3, 'string'),
    f('domain', 4, 'string'),
    f('model_version', 5, 'int64'),
    f('doc_string', 6, 'string'),
    f('graph', 7, '.onnx.GraphProto'),
    f('opset_import', 8, '.onnx.OperatorSetIdProto', rep),
    entries('metadata_props', 14),
    f('training_info', 20, '.onnx.TrainingInfoProto', rep),
    f('functions', 25, '.onnx.FunctionProto', rep),
  ]),
  message('StringStringEntryProto', [f('key', 1, 'string'), f('value', 2, 'string')]),
  message('TensorAnnotation', [f('tensor_name', 1, 'string'), entries('quant_parameter_tensor_names', 2)]),
  message('GraphProto', [
    f('node', 1, '.onnx.NodeProto', rep),
    f('name', 2, 'string'),
    f('initializer', 5, '.onnx.TensorProto', rep),
    f('doc_string', 10, 'string'),
    f('input', 11, '.onnx.ValueInfoProto', rep),
    f('output', 12, '.onnx.ValueInfoProto', rep),
    f('value_info', 13, '.onnx.ValueInfoProto', rep),
    f('quantization_annotation', 14, '.onnx.TensorAnnotation', rep),
    f('sparse_initializer', 15, '.onnx.SparseTensorProto', rep),
    entries('metadata_props', 16),
  ]),
  message(
    'TensorProto',
    [
      f('dims', 1, 'int64', rep),
      f('data_type', 2, 'int32'),
      f('segment', 3, '.onnx.TensorProto.Segment'),
      f('float_data', 4, 'float', packed),
      f('int32_data', 5, 'int32', packed),
      f('string_data', 6, 'bytes', rep),
      f('int64_data', 7, 'int64', packed),
      f('name', 8, 'string'),
      f('raw_data', 9, 'bytes'),
      f('double_data', 10, 'double', packed),
      f('uint64_data', 11, 'uint64', packed),
      f('doc_string', 12, 'string'),
      entries('external_data', 13),
      f('data_location', 14, 'int32'),
      entries('metadata_props', 16),
    ],
    [message('Segment', [f('begin', 1, 'int64'), f('end', 2, 'int64')])],
  ),
  message('SparseTensorProto', [f('values', 1, '.onnx.TensorProto'), f('indices', 2, '.onnx.TensorProto'), f('dims', 3, 'int64', rep)]),
  message(
    'TensorShapeProto',
    [f('dim', 1, '.onnx.TensorShapeProto.Dimension', rep)],
    [
      message(
        'Dimension',
        [f('dim_value', 1, 'int64', { oneof: 0 }), f('dim_param', 2, 'string', { oneof: 0 }), f('denotation', 3, 'string')],
        [],
        ['value'],
      ),
    ],
  ),
  message(
    'TypeProto',
    [
      f('tensor_type', 1, '.onnx.TypeProto.Tensor', { oneof: 0 }),
      f('sequence_type', 4, '.onnx.TypeProto.Sequence', { oneof: 0 }),
      f('map_type', 5, '.onnx.TypeProto.Map', { oneof: 0 }),
      f('denotation', 6, 'string'),
      f('opaque_type', 7, '.onnx.TypeProto.Opaque', { oneof: 0 }),
      f('sparse_tensor_type', 8, '.onnx.TypeProto.SparseTensor', { oneof: 0 }),
      f('optional_type', 9, '.onnx.TypeProto.Optional', { oneof: 0 }),
    ],
    [
      message('Tensor', [f('elem_type', 1, 'int32'), f('shape', 2, '.onnx.TensorShapeProto')]),
      message('Sequence', [f('elem_type', 1, '.onnx.TypeProto')]),
      message('Map', [f('key_type', 1, 'int32'), f('value_type', 2, '.onnx.TypeProto')]),
      message('Optional', [f('elem_type', 1, '.onnx.TypeProto')]),
      message('SparseTensor', [f('elem_type', 1, 'int32'), f('shape', 2, '.onnx.TensorShapeProto')]),
      message('Opaque', [f('domain', 1, 'string'), f('name', 2, 'string')]),
    ],
    ['value'],
  ),
  message('OperatorSetIdProto', [f('domain', 1, 'string'), f('version', 2, 'int64')]),
  message('FunctionProto', [
    f('name', 1, 'string'),
    f('input', 4, 'string', rep),
    f('output', 5, 'string', rep),
    f('attribute', 6, 'string', rep),
    f('node', 7, '.onnx.NodeProto', rep),
    f('doc_string', 8, 'string'),
    f('opset_import', 9, '.onnx.OperatorSetIdProto', rep),
    f('domain', 10, 'string'),
    f('attribute_proto', 11, '.onnx.AttributeProto', rep),
    f('value_info', 12, '.onnx.ValueInfoProto', rep),
    f('overload', 13, 'string'),
    entries('metadata_props', 14),
  ]),
];

const file = create(FileDescriptorProtoSchema, {
  name: 'tensorrt-node/onnx.proto',
  package: 'onnx',
  syntax: 'proto2',
  messageType: messages,
});

/** The runtime registry holding every ONNX message descriptor. */
export const onnxRegistry = createFileRegistry(file, () => undefined);
