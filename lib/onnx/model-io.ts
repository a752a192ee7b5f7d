/**
 * Reading and writing ModelProto. Decoding keeps fields this schema does not know (they are written
 * back verbatim), so decode -> encode of a model written by a protobuf library gives the same bytes.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { basename, dirname, resolve } from 'node:path';
import { ErrorCode, TensorRTNodeError, describeValue } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readRegularFile } from '../util/regular-file.js';
import { externalDataTarget, readExternalData } from './external-data.js';
import { isExternal } from './tensor-data.js';
import { DataLocation, type GraphProto, type ModelProto, ModelProtoSchema, type TensorProto } from './types.js';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema } from './types.js';

/** Directory that a loaded model's external data locations are relative to. */
const baseDirs = new WeakMap<ModelProto, string>();

export function modelBaseDir(model: ModelProto): string | undefined {
  return baseDirs.get(model);
}

export function setModelBaseDir(model: ModelProto, dir: string): void {
  baseDirs.set(model, resolve(dir));
}

/** Parses ONNX bytes; anything that is not a ModelProto with a graph is an ERR_MODEL_LOAD. */
export function decodeModel(bytes: Uint8Array, name = 'the model'): ModelProto {
  if (!(bytes instanceof Uint8Array))
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a Uint8Array for ${name} but received ${describeValue(bytes)}`);
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (cause) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected an ONNX model (protobuf ModelProto) for ${name} but its ${bytes.byteLength} bytes do not parse`,
      {
        cause,
        details: cause instanceof Error ? cause.message : String(cause),
      },
    );
  }
  if (model.irVersion === 0n && model.opsetImport.length === 0 && model.graph === undefined) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected an ONNX model (protobuf ModelProto) for ${name} but its ${bytes.byteLength} bytes hold no ir_version, opset_import or graph`,
    );
  }
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** Every initializer of the model, subgraphs (If/Loop/Scan bodies, functions aside) included. */
export function* allInitializers(graph: GraphProto): Generator<TensorProto> {
  yield* graph.initializer;
  for (const node of graph.node) {
    for (const attribute of node.attribute) {
      if (attribute.g) yield* allInitializers(attribute.g);
      for (const sub of attribute.graphs) yield* allInitializers(sub);
    }
  }
}

function clearExternal(tensor: TensorProto, rawData: Uint8Array): void {
  tensor.rawData = rawData;
  tensor.externalData = [];
  Reflect.deleteProperty(tensor, 'dataLocation');
}

export interface LoadModelOptions {
  /**
   * 'reference' (default) leaves external tensors in their files (read them with readTensor and the
   * model's baseDir): nothing big is read, and the 2 GiB protobuf limit does not apply to them.
   * 'inline' reads them into raw_data.
   */
  externalData?: 'reference' | 'inline';
}

export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<ModelProto> {
  const bytes = await readRegularFile(path, { what: 'model file', code: ErrorCode.MODEL_LOAD });
  const model = decodeModel(bytes, path);
  const baseDir = resolve(dirname(path));
  setModelBaseDir(model, baseDir);
  if (options.externalData === 'inline') await inlineExternalData(model, baseDir);
  return model;
}

/** Reads every external initializer into raw_data, so the model no longer needs files beside it. */
export async function inlineExternalData(model: ModelProto, baseDir: string): Promise<void> {
  if (!model.graph) return;
  for (const tensor of allInitializers(model.graph)) {
    if (isExternal(tensor)) clearExternal(tensor, await readExternalData(tensor, baseDir));
  }
}

export interface SaveModelOptions {
  /**
   * Write initializers of at least `threshold` bytes (default 1024) to the file `location`
   * (default "<model file name>.data", next to the model). false (default): everything inline.
   */
  externalData?: false | { location?: string; threshold?: number };
  /** Where the model's own external references point from (default: the directory it was loaded from). */
  baseDir?: string;
}

const EXTERNAL_ALIGNMENT = 64;

/**
 * Writes the model (and its external data file) through temporary files and renames, so that a
 * failure never leaves a half-written model. External tensors of the source model are copied.
 */
export async function saveModel(model: ModelProto, path: string, options: SaveModelOptions = {}): Promise<void> {
  const sourceDir = options.baseDir ?? modelBaseDir(model);
  const graph = model.graph;
  const tensors = graph ? [...allInitializers(graph)] : [];
  const saved = tensors.map((tensor) => ({
    tensor,
    rawData: tensor.rawData,
    externalData: tensor.externalData,
    dataLocation: Object.prototype.hasOwnProperty.call(tensor, 'dataLocation') ? tensor.dataLocation : undefined,
  }));
  const external = options.externalData || undefined;
  const threshold = external?.threshold ?? 1024;
  const location = external?.location ?? `${basename(path)}.data`;
  const needsSource = tensors.filter(isExternal);
  if (needsSource.length > 0 && sourceDir === undefined) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a baseDir for the external data of tensor "${needsSource[0].name}" but received none (the model was not loaded from a file)`,
    );
  }
  try {
    if (external) {
      const dataPath = await externalDataTarget(location, dirname(resolve(path)));
      await writeFileAtomic(dataPath, async (handle) => {
        let offset = 0;
        for (const tensor of tensors) {
          const size = isExternal(tensor) ? undefined : tensor.rawData.byteLength;
          if (size !== undefined && size < threshold) continue;
          const bytes = isExternal(tensor) ? await readExternalData(tensor, sourceDir as string) : tensor.rawData;
          if (bytes.byteLength < threshold) {
            clearExternal(tensor, bytes);
            continue;
          }
          offset = Math.ceil(offset / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
          await handle.write(bytes, 0, bytes.byteLength, offset);
          tensor.externalData = [
            create(StringStringEntryProtoSchema, { key: 'location', value: location }),
            create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
            create(StringStringEntryProtoSchema, { key: 'length', value: String(bytes.byteLength) }),
          ];
          tensor.dataLocation = DataLocation.EXTERNAL;
          tensor.rawData = new Uint8Array(0);
          offset += bytes.byteLength;
        }
      });
    } else {
      for (const tensor of needsSource) clearExternal(tensor, await readExternalData(tensor, sourceDir as string));
    }
    await writeFileAtomic(path, encodeModel(model));
  } finally {
    // The caller's model is left as it was given.
    for (const entry of saved) {
      entry.tensor.rawData = entry.rawData;
      entry.tensor.externalData = entry.externalData;
      if (entry.dataLocation === undefined) Reflect.deleteProperty(entry.tensor, 'dataLocation');
      else entry.tensor.dataLocation = entry.dataLocation;
    }
  }
}
