/** The public FP16 entry point: model in (path or bytes), FP16 model bytes and a report out. */
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { externalDataFile, externalDataRef } from '../onnx/external-data.js';
import { allInitializers, decodeModel, encodeModel, inlineExternalData, loadModel, modelBaseDir } from '../onnx/model-io.js';
import { isExternal } from '../onnx/tensor-data.js';
import type { ModelProto } from '../onnx/types.js';
import { type Float16Options, type Float16Stats, convertModelProtoToFloat16 } from './fp16.js';
import type { Feeds } from './feeds.js';
import { type QualityReport, compareModels } from './report.js';
import type { TaskOptions } from './task-accuracy.js';

export interface EvaluationOptions {
  /** Held-out inputs; the FP16 model is compared with the original on them. */
  feeds: Iterable<Feeds> | AsyncIterable<Feeds>;
  /** Interleaved latency rounds (default 3; 0: no latency). */
  latencyRounds?: number;
  /** ONNX Runtime threads for both models (default 1). */
  threads?: number;
  /** Labels for the feeds: the report gives both models' task accuracy (see compareModels). */
  task?: TaskOptions;
}

export interface ConvertToFloat16Options extends Float16Options {
  /** Compare with the original on these inputs (needs onnxruntime-node). */
  evaluation?: EvaluationOptions;
  signal?: AbortSignal;
}

export interface Float16Report {
  conversion: Float16Stats;
  originalBytes: number;
  optimizedBytes: number;
  /** optimized / original size on disk (the original's external data files included). */
  sizeRatio: number;
  quality?: QualityReport;
}

function checkStringList(value: unknown, name: string): void {
  if (value !== undefined && (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== ''))) {
    throw invalidArgument('an array of non-empty strings', name, value);
  }
}

function checkOptions(options: ConvertToFloat16Options): void {
  if (typeof options !== 'object' || options === null) throw invalidArgument('an options object', 'options', options);
  for (const key of ['float16Io', 'keepIoTypes', 'useDefaultBlockList', 'exactScalarConstants', 'hoistConstants'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') throw invalidArgument('a boolean', `options.${key}`, options[key]);
  }
  if (options.float16Io !== undefined && options.keepIoTypes !== undefined && options.float16Io === options.keepIoTypes) {
    throw invalidArgument(
      `keepIoTypes: ${!options.float16Io} (or no keepIoTypes) with float16Io: ${options.float16Io}`,
      'options.keepIoTypes',
      options.keepIoTypes,
    );
  }
  const leading = options.float32LeadingLayers;
  if (leading !== undefined && !(Number.isInteger(leading) && leading >= 0))
    throw invalidArgument('a non-negative integer', 'options.float32LeadingLayers', leading);
  checkStringList(options.blockOps, 'options.blockOps');
  checkStringList(options.blockNodes, 'options.blockNodes');
  if (options.outOfRange !== undefined && options.outOfRange !== 'keep-float32' && options.outOfRange !== 'clamp') {
    throw invalidArgument("'keep-float32' or 'clamp'", 'options.outOfRange', options.outOfRange);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw invalidArgument('an AbortSignal', 'options.signal', options.signal);
  const evaluation = options.evaluation;
  if (evaluation !== undefined) {
    const feeds = (evaluation as { feeds?: unknown } | null)?.feeds as
      { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | undefined;
    if (!feeds || (typeof feeds[Symbol.iterator] !== 'function' && typeof feeds[Symbol.asyncIterator] !== 'function')) {
      throw invalidArgument('an iterable of feeds', 'options.evaluation.feeds', feeds);
    }
  }
}

/** The external data files a model refers to: location -> a tensor that names it. */
function externalFiles(model: ModelProto): Map<string, string> {
  const files = new Map<string, string>();
  for (const tensor of model.graph ? allInitializers(model.graph) : []) {
    if (!isExternal(tensor)) continue;
    const { location } = externalDataRef(tensor);
    if (!files.has(location)) files.set(location, tensor.name);
  }
  return files;
}

/** Bytes on disk: the model file and every external data file it refers to (each checked to be inside its folder first). */
async function sizeOnDisk(path: string, model: ModelProto): Promise<number> {
  let total = (await stat(path)).size;
  for (const [location, tensorName] of externalFiles(model))
    total += (await stat(await externalDataFile(location, dirname(path), tensorName))).size;
  return total;
}

/**
 * Converts an ONNX model to float16. `model` is a path (external data next to it is read) or the
 * model's bytes. The result is a self-contained model: every weight inline, converted or not. Its inputs
 * and outputs stay float32 unless `float16Io` is set.
 */
export async function convertToFloat16(
  model: string | Uint8Array,
  options: ConvertToFloat16Options = {},
): Promise<{ model: Uint8Array; report: Float16Report }> {
  if (typeof model !== 'string' && !(model instanceof Uint8Array))
    throw invalidArgument('a model path or the bytes of an ONNX model', 'model', model);
  checkOptions(options);
  if (options.signal?.aborted) throw abortError(options.signal, 'The FP16 conversion');
  const proto = typeof model === 'string' ? await loadModel(model) : decodeModel(model);
  const originalBytes = typeof model === 'string' ? encodeModel(proto) : model;
  const originalSize = typeof model === 'string' ? await sizeOnDisk(model, proto) : model.byteLength;
  const hasExternalData = externalFiles(proto).size > 0;
  const baseDir = modelBaseDir(proto);
  if (hasExternalData && baseDir === undefined) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a model path for model (its weights are in external data files, found next to it) but received the bytes of a model whose tensor "${[...externalFiles(proto).values()][0]}" keeps its data in ${JSON.stringify([...externalFiles(proto).keys()][0])}`,
    );
  }
  const conversion = convertModelProtoToFloat16(proto, options, baseDir);
  // Tensors left in float32 (beyond the float16 range, or read only in float32) may still name the
  // source's data file, which means nothing next to wherever the result is written.
  if (baseDir !== undefined) await inlineExternalData(proto, baseDir);
  const converted = encodeModel(proto);
  const report: Float16Report = {
    conversion,
    originalBytes: originalSize,
    optimizedBytes: converted.byteLength,
    sizeRatio: converted.byteLength / originalSize,
  };
  if (options.evaluation) {
    // The reference model must be self-contained too when it used external data.
    const reference = hasExternalData ? encodeModel(await loadModel(model as string, { externalData: 'inline' })) : originalBytes;
    report.quality = await compareModels(reference, converted, { ...options.evaluation, signal: options.signal });
  }
  return { model: converted, report };
}
