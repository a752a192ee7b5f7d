/**
 * pruneTwoFour: one-shot 2:4 structured pruning of an ONNX model's Conv/Gemm/MatMul weights (see
 * prune/two-four.ts), no retraining. A per-layer sensitivity analysis on sample inputs can leave the
 * layers that hurt the outputs most dense. Pruning without fine-tuning costs accuracy; the report
 * says how much where evaluation inputs are given.
 */
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { graphInputs } from '../onnx/graph.js';
import { decodeModel, encodeModel, loadModel } from '../onnx/model-io.js';
import { readTensor, setTensorData } from '../onnx/tensor-data.js';
import { DataType, type GraphProto, type ModelProto } from '../onnx/types.js';
import { isPlainObject, validateEnum, validatePositiveInteger, validateSignal } from '../validate.js';
import type { CalibrationSource } from './calibrate.js';
import type { EvaluationOptions } from './convert-fp16.js';
import { readFeedsDirectory } from './feeds-dir.js';
import { type SensitivityEntry, rankSensitivity } from './int8/sensitivity.js';
import { constantsToInitializers } from './int8/prepare.js';
import type { Feeds } from './feeds.js';
import { PRUNABLE_OPS, type SkippedLayer, findPrunableLayers, layerKey } from './prune/qualify.js';
import { countDenseGroups, pruneTwoFour } from './prune/two-four.js';
import { type QualityReport, compareModels } from './report.js';

export const PRUNE_PATTERNS = ['2:4'] as const;
export type PrunePattern = (typeof PRUNE_PATTERNS)[number];

export interface PruneOptions {
  /** The sparsity pattern (default and only choice: '2:4'). */
  pattern?: PrunePattern;
  /** Leave the n layers whose pruning moves the outputs most dense (default 0; needs `samples`). */
  keepDenseLayers?: number;
  /** Inputs for the sensitivity analysis: feeds, or a directory of .npy files; the first `sensitivitySamples` are used. */
  samples?: CalibrationSource;
  /** Default 4. */
  sensitivitySamples?: number;
  /** Layers never pruned, by node name or op type. */
  exclude?: { nodes?: readonly string[]; opTypes?: readonly string[] };
  /** Compare the pruned model with the original on these held-out inputs. */
  evaluation?: EvaluationOptions;
  signal?: AbortSignal;
  onProgress?: (progress: { phase: 'sensitivity'; done: number; total: number }) => void;
}

export interface PruneReport {
  pattern: PrunePattern;
  /** Conv/ConvTranspose/Gemm/MatMul nodes in the model. */
  weightedLayers: number;
  /** Layers whose weights now follow the pattern. */
  prunedLayers: string[];
  /** Layers that cannot take the pattern, with the reason. */
  skipped: SkippedLayer[];
  /** Layers that could but were excluded by the caller. */
  excluded: string[];
  /** Layers the sensitivity analysis left dense, most sensitive first. */
  keptDense: string[];
  /** Per-layer sensitivity, most sensitive first; empty without keepDenseLayers. */
  sensitivity: SensitivityEntry[];
  /** float32 weight elements of all Conv/ConvTranspose/Gemm/MatMul nodes. */
  weightElements: number;
  /** Of those, the elements in pruned layers. */
  prunedLayerElements: number;
  /** Zeros among all weight elements after pruning (sparsity = zeros / weightElements). */
  zeroElements: number;
  sparsity: number;
  /** Groups of four in the pruned layers holding more than two non-zeros: 0 unless something is wrong. */
  denseGroups: number;
  inputBytes: number;
  outputBytes: number;
  quality?: QualityReport;
}

export interface PruneResult {
  model: Uint8Array;
  report: PruneReport;
}

function normalise(options: unknown): PruneOptions {
  if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
  validateEnum(options.pattern, PRUNE_PATTERNS, 'options.pattern');
  const keep = validatePositiveInteger(options.keepDenseLayers, 'options.keepDenseLayers', { allowZero: true });
  validatePositiveInteger(options.sensitivitySamples, 'options.sensitivitySamples');
  validateSignal(options.signal);
  if ((keep ?? 0) > 0 && options.samples === undefined)
    throw invalidArgument('samples (feeds or a directory of .npy files) with keepDenseLayers', 'options.samples', undefined);
  const exclude = options.exclude;
  if (exclude !== undefined) {
    if (!isPlainObject(exclude)) throw invalidArgument('an object { nodes?, opTypes? }', 'options.exclude', exclude);
    for (const key of ['nodes', 'opTypes'] as const) {
      const list = exclude[key];
      if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === 'string')))
        throw invalidArgument('an array of strings', `options.exclude.${key}`, list);
    }
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw invalidArgument('a function', 'options.onProgress', options.onProgress);
  return options as PruneOptions;
}

async function loadSource(source: unknown): Promise<{ model: ModelProto; original: Uint8Array }> {
  if (typeof source === 'string') {
    const model = await loadModel(source, { externalData: 'inline' });
    return { model, original: encodeModel(model) };
  }
  if (source instanceof Uint8Array) return { model: decodeModel(source), original: source };
  throw invalidArgument('a model path or ONNX bytes (Uint8Array)', 'model', source);
}

async function firstSamples(source: CalibrationSource, graph: GraphProto, count: number): Promise<Feeds[]> {
  const iterable =
    typeof source === 'string'
      ? readFeedsDirectory(
          source,
          graphInputs(graph).map((input) => input.name),
        )
      : source;
  const samples: Feeds[] = [];
  for await (const feeds of iterable) {
    samples.push(feeds);
    if (samples.length >= count) break;
  }
  if (samples.length === 0)
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, 'Expected at least one sample for the sensitivity analysis but received none');
  return samples;
}

function countZeros(data: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return zeros;
}

/** Prunes `model` (path or bytes) to the 2:4 pattern. Errors: ERR_MODEL_LOAD, ERR_INVALID_ARGUMENT, ERR_ABORTED. */
export async function pruneStructured(model: string | Uint8Array, options: PruneOptions = {}): Promise<PruneResult> {
  const opts = normalise(options);
  const { model: proto, original } = await loadSource(model);
  const graph = proto.graph;
  if (!graph || graph.node.length === 0)
    throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, 'Expected an ONNX model with a graph of nodes but it has none');
  constantsToInitializers(graph);
  const { prunable, skipped } = findPrunableLayers(graph);
  const excludedNodes = new Set(opts.exclude?.nodes ?? []);
  const excludedOps = new Set(opts.exclude?.opTypes ?? []);
  const excluded = prunable.filter(({ node, key }) => excludedNodes.has(key) || excludedOps.has(node.opType)).map(({ key }) => key);
  const candidates = prunable.filter(({ key }) => !excluded.includes(key)).map(({ key }) => key);
  const prepared = encodeModel(proto);

  /** The prepared model with `layers` pruned; returns it and the count of groups left dense. */
  const build = (layers: ReadonlySet<string>) => {
    const copy = decodeModel(prepared);
    let denseGroups = 0;
    for (const layer of findPrunableLayers(copy.graph as GraphProto).prunable) {
      if (!layers.has(layer.key)) continue;
      const data = Float32Array.from(readTensor(layer.weight).data as Float32Array);
      pruneTwoFour(data, layer.layout);
      denseGroups += countDenseGroups(data, layer.layout);
      setTensorData(layer.weight, 'float32', layer.weight.dims.map(Number), data);
    }
    return { copy, bytes: encodeModel(copy), denseGroups };
  };

  let sensitivity: SensitivityEntry[] = [];
  let keptDense: string[] = [];
  const keep = opts.keepDenseLayers ?? 0;
  if (keep > 0 && candidates.length > 0) {
    const samples = await firstSamples(opts.samples as CalibrationSource, graph, opts.sensitivitySamples ?? 4);
    sensitivity = await rankSensitivity(
      prepared,
      candidates,
      samples,
      (only) => build(only).bytes,
      opts.signal,
      (done, total) => opts.onProgress?.({ phase: 'sensitivity', done, total }),
    );
    keptDense = sensitivity.slice(0, keep).map(({ node }) => node);
  }
  const pruned = candidates.filter((key) => !keptDense.includes(key));
  const { copy, bytes, denseGroups } = build(new Set(pruned));

  let weightElements = 0;
  let prunedLayerElements = 0;
  let zeroElements = 0;
  const prunedSet = new Set(pruned);
  const initializers = new Map((copy.graph as GraphProto).initializer.map((tensor) => [tensor.name, tensor]));
  for (const node of (copy.graph as GraphProto).node) {
    if (!PRUNABLE_OPS.includes(node.opType)) continue;
    const weight = initializers.get(node.input[1] ?? '');
    if (weight?.dataType !== DataType.FLOAT) continue;
    const data = readTensor(weight).data as Float32Array;
    weightElements += data.length;
    zeroElements += countZeros(data);
    if (prunedSet.has(layerKey(node))) prunedLayerElements += data.length;
  }
  const quality = opts.evaluation ? await compareModels(original, bytes, { ...opts.evaluation, signal: opts.signal }) : undefined;
  return {
    model: bytes,
    report: {
      pattern: '2:4',
      weightedLayers: graph.node.filter((node) => PRUNABLE_OPS.includes(node.opType)).length,
      prunedLayers: pruned,
      skipped,
      excluded,
      keptDense,
      sensitivity,
      weightElements,
      prunedLayerElements,
      zeroElements,
      sparsity: weightElements === 0 ? 0 : zeroElements / weightElements,
      denseGroups,
      inputBytes: original.byteLength,
      outputBytes: bytes.byteLength,
      ...(quality ? { quality } : {}),
    },
  };
}
