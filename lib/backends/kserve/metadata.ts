/**
 * KServe v2 model and server metadata, and the error body: the JSON of GET /v2/models/{name},
 * GET /v2, and every failed request ({"error": message}).
 */
import { invalidArgument } from '../../errors.js';
import { isPlainObject } from '../../validate.js';
import type { TensorInfo } from '../backend.js';
import { dtypeOfDatatype, kserveDatatype } from './tensor-data.js';

export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[] | undefined;
  readonly platform: string | undefined;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** The extension a server lists when it reads and writes binary tensor data. */
export const BINARY_DATA_EXTENSION = 'binary_tensor_data';

/** Symbolic dims (an ONNX model's 'batch') and TensorRT's dynamic dims go on the wire as -1. */
function wireTensor(info: TensorInfo): unknown {
  return {
    name: info.name,
    datatype: kserveDatatype(info.dtype),
    shape: info.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)),
  };
}

export function encodeModelMetadata(metadata: ModelMetadata): unknown {
  const json: Record<string, unknown> = { name: metadata.name };
  if (metadata.versions !== undefined) json.versions = [...metadata.versions];
  json.platform = metadata.platform ?? '';
  json.inputs = metadata.inputs.map(wireTensor);
  json.outputs = metadata.outputs.map(wireTensor);
  return json;
}

function decodeTensorInfos(list: unknown, what: 'inputs' | 'outputs'): TensorInfo[] {
  if (!Array.isArray(list)) throw invalidArgument(`an array of ${what}`, `the model metadata's "${what}"`, list);
  return (list as unknown[]).map((entry) => {
    if (!isPlainObject(entry) || typeof entry.name !== 'string')
      throw invalidArgument('a tensor with a name', `an entry of the model metadata's "${what}"`, entry);
    const name = `"${entry.name}" in the model metadata`;
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= -1)) {
      throw invalidArgument('a shape of integers (-1 for a variable dim)', `the shape of ${name}`, shape);
    }
    return { name: entry.name, dtype: dtypeOfDatatype(entry.datatype, `the datatype of ${name}`), shape: shape as number[] };
  });
}

export function decodeModelMetadata(json: unknown): ModelMetadata {
  if (!isPlainObject(json) || typeof json.name !== 'string') throw invalidArgument('a model metadata object with a name', 'the body', json);
  const versions = json.versions;
  if (versions !== undefined && !(Array.isArray(versions) && versions.every((version) => typeof version === 'string'))) {
    throw invalidArgument('an array of version strings', 'the model metadata\'s "versions"', versions);
  }
  return {
    name: json.name,
    versions: versions as string[] | undefined,
    platform: typeof json.platform === 'string' ? json.platform : undefined,
    inputs: decodeTensorInfos(json.inputs, 'inputs'),
    outputs: decodeTensorInfos(json.outputs, 'outputs'),
  };
}

export function decodeServerMetadata(json: unknown): ServerMetadata {
  if (!isPlainObject(json)) throw invalidArgument('a server metadata object', 'the body', json);
  const extensions = Array.isArray(json.extensions) ? json.extensions.filter((name): name is string => typeof name === 'string') : [];
  return { name: String(json.name ?? ''), version: String(json.version ?? ''), extensions };
}

/** The error body every failed KServe v2 request carries. */
export function encodeError(message: string): unknown {
  return { error: message };
}

/** The server's message from an error body, when it has one (servers that are not KServe's send anything). */
export function errorMessageOf(json: unknown): string | undefined {
  if (isPlainObject(json) && typeof json.error === 'string') return json.error;
  // The example server's own routes answer {"error": {"code", "message"}}.
  if (isPlainObject(json) && isPlainObject(json.error) && typeof json.error.message === 'string') return json.error.message;
  return undefined;
}
