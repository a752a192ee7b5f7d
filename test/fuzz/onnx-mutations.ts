/**
 * Mutations of a decoded ModelProto for the ONNX reader's fuzz test: the wire format stays valid,
 * so the cases reach past the protobuf parser into tensor data, external data, dims and graphs.
 */
import { create } from '@bufbuild/protobuf';
import { decodeModel, encodeModel } from '../../lib/onnx/model-io.js';
import { type ModelProto, StringStringEntryProtoSchema, type TensorProto } from '../../lib/onnx/types.js';
import type { Mutation, Rng } from './mutations.js';

const EDGE_DIMS = [-1n, 0n, 1n, 3n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 62n, -(2n ** 63n)];
const LOCATIONS = [
  'weights.bin',
  '../weights.bin',
  '/etc/hostname',
  '',
  'missing.bin',
  'a\0b',
  'weights.bin/..',
  '.',
  '..',
  'model/../weights.bin',
  'case.onnx',
  '//weights.bin',
];
const NUMBERS = ['0', '64', '-1', '1e3', '99999999999999999999', '9007199254740991', '4294967296', ' 1', '0x10', ''];

function tensors(model: ModelProto): TensorProto[] {
  return model.graph?.initializer ?? [];
}

const tensorMutations: Record<string, (tensor: TensorProto, r: Rng) => void> = {
  dims: (tensor, r) => {
    if (tensor.dims.length === 0 || r.next() < 0.3) tensor.dims.push(r.pick(EDGE_DIMS));
    else tensor.dims[r.int(tensor.dims.length)] = r.pick(EDGE_DIMS);
  },
  dataType: (tensor, r) => {
    tensor.dataType = r.int(28) - 1;
  },
  rawData: (tensor, r) => {
    tensor.rawData = r.next() < 0.5 ? tensor.rawData.slice(0, r.int(tensor.rawData.length + 1)) : new Uint8Array(r.int(4096));
  },
  typedFields: (tensor, r) => {
    tensor.rawData = new Uint8Array(0);
    const count = r.int(64);
    tensor.floatData = Array.from({ length: count }, () => r.next());
    tensor.int64Data = Array.from({ length: r.int(4) }, () => BigInt(r.int(1000)));
  },
  external: (tensor, r) => {
    tensor.dataLocation = r.next() < 0.9 ? 1 : r.int(5) - 1;
    const entries: [string, string][] = [['location', r.pick(LOCATIONS)]];
    if (r.next() < 0.6) entries.push(['offset', r.pick(NUMBERS)]);
    if (r.next() < 0.6) entries.push(['length', r.pick(NUMBERS)]);
    if (r.next() < 0.2) entries.shift();
    tensor.externalData = entries.map(([key, value]) => create(StringStringEntryProtoSchema, { key, value }));
  },
};

const modelMutations: Record<string, (model: ModelProto, r: Rng) => void> = {
  tensor: (model, r) => {
    const list = tensors(model);
    if (list.length > 0) r.pick(Object.values(tensorMutations))(r.pick(list), r);
  },
  cycle: (model, r) => {
    const nodes = model.graph?.node ?? [];
    if (nodes.length < 2) return;
    const a = r.pick(nodes);
    const b = r.pick(nodes);
    if (a.output.length > 0) b.input[r.int(b.input.length + 1)] = a.output[0];
    if (b.output.length > 0) a.input[r.int(a.input.length + 1)] = b.output[0];
  },
  attributeType: (model, r) => {
    const attributes = (model.graph?.node ?? []).flatMap((node) => node.attribute);
    if (attributes.length > 0) r.pick(attributes).type = r.int(16) - 1;
  },
  dropGraph: (model) => {
    model.graph = undefined;
  },
  opset: (model, r) => {
    for (const entry of model.opsetImport) entry.version = r.pick([-1n, 0n, 1n, 2n ** 62n]);
  },
};

/** Decodes `bytes`, applies one or two field mutations, encodes again. */
export const modelMutation: Mutation = (bytes, r) => {
  const model = decodeModel(bytes);
  for (let i = 1 + r.int(2); i > 0; i--) r.pick(Object.values(modelMutations))(model, r);
  return encodeModel(model);
};
