/**
 * KServe v2 inference messages, both directions, shared by the remote backend (client) and the
 * example server, so the protocol has one implementation:
 *
 *   request   {"id"?, "parameters"?: {"binary_data_output"?}, "inputs": [{name, shape, datatype,
 *              parameters?: {binary_data_size}, data?}], "outputs"?: [{name, parameters?: {binary_data}}]}
 *   response  {"model_name", "model_version"?, "id"?, "outputs": [{name, shape, datatype,
 *              parameters?: {binary_data_size}, data?}]}
 *
 * followed by the binary tensors' bytes in JSON order (see message.ts).
 */
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../../errors.js';
import { isPlainObject } from '../../validate.js';
import type { Tensor } from '../../tensor.js';
import { setEntry } from '../../util/records.js';
import { BinaryReader, type DecodedMessage, type EncodedMessage, encodeMessage } from './message.js';
import { bytesToTensor, checkShape, dtypeOfDatatype, jsonToTensor, kserveDatatype, tensorToBytes, tensorToJson } from './tensor-data.js';

/** A tensor to send, and whether its data goes as binary bytes or as JSON. */
export interface WireTensor {
  readonly name: string;
  readonly tensor: Tensor;
  readonly binary: boolean;
}

/** An output the client asks for; `binary` undefined: as the request's binary_data_output says. */
export interface OutputRequest {
  readonly name: string;
  readonly binary?: boolean;
}

export interface InferRequest {
  readonly id?: string;
  readonly inputs: readonly WireTensor[];
  /** Undefined: every output of the model. */
  readonly outputs?: readonly OutputRequest[];
  /** binary_data_output: outputs come back as binary unless one says otherwise. */
  readonly binaryOutput?: boolean;
}

export interface DecodedInferRequest {
  readonly id: string | undefined;
  readonly inputs: Record<string, Tensor>;
  readonly outputs: readonly OutputRequest[] | undefined;
  readonly binaryOutput: boolean;
}

export interface InferResponse {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly id?: string;
  readonly outputs: readonly WireTensor[];
}

export interface DecodedInferResponse {
  readonly modelName: string | undefined;
  readonly modelVersion: string | undefined;
  readonly id: string | undefined;
  readonly outputs: Record<string, Tensor>;
}

function encodeTensors(tensors: readonly WireTensor[], binary: Uint8Array[]): unknown[] {
  return tensors.map(({ name, tensor, binary: asBinary }) => {
    const entry: Record<string, unknown> = { name, shape: [...tensor.dims], datatype: kserveDatatype(tensor.dtype) };
    if (asBinary) {
      const bytes = tensorToBytes(tensor);
      binary.push(bytes);
      entry.parameters = { binary_data_size: bytes.byteLength };
    } else {
      entry.data = tensorToJson(tensor, `tensor "${name}"`);
    }
    return entry;
  });
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidArgument('a string', name, value);
  return value;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidArgument('a boolean', name, value);
  return value;
}

function parametersOf(entry: Record<string, unknown>, name: string): Record<string, unknown> {
  const parameters = entry.parameters ?? {};
  if (!isPlainObject(parameters)) throw invalidArgument('a parameters object', `the parameters of ${name}`, parameters);
  if (parameters.shared_memory_region !== undefined) {
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected tensor data in the message for ${name} but received a shared_memory_region: shared memory is not supported`,
    );
  }
  return parameters;
}

/** Reads a list of tensors (request inputs or response outputs), each from JSON data or the binary section. */
function decodeTensors(list: unknown, what: 'input' | 'output', reader: BinaryReader): Record<string, Tensor> {
  if (!Array.isArray(list)) throw invalidArgument(`an array of ${what}s`, `"${what}s"`, list);
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const entry of list as unknown[]) {
    if (!isPlainObject(entry) || typeof entry.name !== 'string')
      throw invalidArgument(`an ${what} object with a name`, `an ${what}`, entry);
    const name = `${what} "${entry.name}"`;
    if (Object.hasOwn(tensors, entry.name)) throw invalidArgument(`each ${what} once`, name, 'it twice');
    const dtype = dtypeOfDatatype(entry.datatype, `the datatype of ${name}`);
    const shape = checkShape(entry.shape, `the shape of ${name}`);
    const size = parametersOf(entry, name).binary_data_size;
    let tensor: Tensor;
    if (size !== undefined) {
      if (entry.data !== undefined) throw invalidArgument('either "data" or binary_data_size', name, 'both');
      tensor = bytesToTensor(reader.take(size, name), dtype, shape, name);
    } else {
      tensor = jsonToTensor(entry.data, dtype, shape, name);
    }
    setEntry(tensors, entry.name, tensor);
  }
  return tensors;
}

export function encodeInferRequest(request: InferRequest): EncodedMessage {
  const binary: Uint8Array[] = [];
  const json: Record<string, unknown> = {};
  if (request.id !== undefined) json.id = request.id;
  if (request.binaryOutput !== undefined) json.parameters = { binary_data_output: request.binaryOutput };
  json.inputs = encodeTensors(request.inputs, binary);
  if (request.outputs !== undefined) {
    json.outputs = request.outputs.map(({ name, binary: asBinary }) =>
      asBinary === undefined ? { name } : { name, parameters: { binary_data: asBinary } },
    );
  }
  return encodeMessage(json, binary);
}

export function decodeInferRequest({ json, binary }: DecodedMessage): DecodedInferRequest {
  if (!isPlainObject(json)) throw invalidArgument('an inference request object', 'the request', json);
  const reader = new BinaryReader(binary);
  const parameters = json.parameters ?? {};
  if (!isPlainObject(parameters)) throw invalidArgument('a parameters object', 'the request parameters', parameters);
  const inputs = decodeTensors(json.inputs, 'input', reader);
  reader.finish();
  let outputs: OutputRequest[] | undefined;
  if (json.outputs !== undefined) {
    if (!Array.isArray(json.outputs)) throw invalidArgument('an array of outputs', '"outputs"', json.outputs);
    outputs = (json.outputs as unknown[]).map((entry) => {
      if (!isPlainObject(entry) || typeof entry.name !== 'string')
        throw invalidArgument('an output object with a name', 'an output', entry);
      const name = `output "${entry.name}"`;
      const outputParameters = parametersOf(entry, name);
      if (outputParameters.classification !== undefined) {
        throw new TensorRTNodeError(
          ErrorCode.UNSUPPORTED,
          `Expected plain tensor output for ${name} but received a classification request`,
        );
      }
      return { name: entry.name, binary: optionalBoolean(outputParameters.binary_data, `binary_data of ${name}`) };
    });
  }
  return {
    id: optionalString(json.id, '"id"'),
    inputs,
    outputs,
    binaryOutput: optionalBoolean(parameters.binary_data_output, 'binary_data_output') ?? false,
  };
}

export function encodeInferResponse(response: InferResponse): EncodedMessage {
  const binary: Uint8Array[] = [];
  const json: Record<string, unknown> = { model_name: response.modelName };
  if (response.modelVersion !== undefined) json.model_version = response.modelVersion;
  if (response.id !== undefined) json.id = response.id;
  json.outputs = encodeTensors(response.outputs, binary);
  return encodeMessage(json, binary);
}

export function decodeInferResponse({ json, binary }: DecodedMessage): DecodedInferResponse {
  if (!isPlainObject(json)) throw invalidArgument('an inference response object', 'the response', json);
  const reader = new BinaryReader(binary);
  const outputs = decodeTensors(json.outputs, 'output', reader);
  reader.finish();
  return {
    modelName: optionalString(json.model_name, '"model_name"'),
    // A string in the protocol; some servers send a number.
    modelVersion:
      typeof json.model_version === 'number' ? String(json.model_version) : optionalString(json.model_version, '"model_version"'),
    id: optionalString(json.id, '"id"'),
    outputs,
  };
}
