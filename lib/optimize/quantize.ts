/**
 * quantizeInt8: post-training INT8 quantization of an ONNX model, calibrated on the CPU backend.
 * Weights: per-channel symmetric int8. Activations: symmetric int8 with zero point 0 for TensorRT's
 * explicit quantization, or asymmetric uint8 for ONNX Runtime's CPU integer kernels.
 */
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { decodeModel, encodeModel, loadModel } from '../onnx/model-io.js';
import { graphInputs, initializerMap } from '../onnx/graph.js';
import { readTensor } from '../onnx/tensor-data.js';
import type { GraphProto, ModelProto } from '../onnx/types.js';
import { isPlainObject, validateEnum, validatePositiveInteger, validateSignal } from '../validate.js';
import { type CalibrationProgress, type Feeds, collectHistograms } from './calibrate.js';
import type { EvaluationOptions } from './convert-fp16.js';
import { type QualityReport, compareModels } from './report.js';
import { CALIBRATION_METHODS, type CalibrationMethod, asymmetricRange, symmetricRange } from './int8/histogram.js';
import { checkSourceOpset, upgradeToQdqOpset } from './int8/opset-upgrade.js';
import {
  type Exclusions,
  QUANTIZABLE_OPS,
  QUANT_TARGETS,
  type QuantTarget,
  findPlacement,
  nodeKey,
  observedTensors,
} from './int8/placement.js';
import { type SensitivityEntry, outputsOf, rankSensitivity } from './int8/sensitivity.js';
import { type Trial, chooseByError, chooseFloatLayerCount } from './int8/auto-choices.js';
import { type CpuSpeed, INT8_FORMATS, type Int8Format, chooseCpuFormat } from './int8/cpu-format.js';
import { constantsToInitializers, dropUnusedInitializers, foldBatchNorms } from './int8/prepare.js';
import { type ActivationParams, asymmetricParams, insertQdq, symmetricParams } from './int8/qdq.js';

export type { CalibrationMethod, QuantTarget, Exclusions, Int8Format, CpuSpeed };

export interface QuantizeInt8Options {
  /** Samples for calibration: an (async) iterable of feeds, or a directory of .npy files. */
  calibration: AsyncIterable<Feeds> | Iterable<Feeds> | string;
  /**
   * How activation ranges are chosen from the histograms. Default 'auto': each method is tried on
   * calibration samples held back from the histograms and the one whose model stays closest to the
   * float model wins.
   */
  method?: CalibrationMethod | 'auto';
  /** Percentile for method 'percentile' (default 99.99). */
  percentile?: number;
  /** 'tensorrt' (default): symmetric int8 activations; 'cpu': asymmetric uint8 for ONNX Runtime's integer kernels. */
  target?: QuantTarget;
  /**
   * How the INT8 model is written. 'qdq': QuantizeLinear/DequantizeLinear around float ops (what
   * TensorRT reads); 'qoperator' ('cpu' target only): QLinearConv/QLinearMatMul where they fit.
   * Default 'auto': 'qdq' for TensorRT; for the CPU both are timed against the float model on ONNX
   * Runtime and the faster is kept (the report says whether INT8 pays at all on this CPU).
   */
  format?: Int8Format | 'auto';
  /** 'cpu' target: interleaved timing rounds over the timing samples (default 3). */
  timingRounds?: number;
  exclude?: Exclusions;
  /**
   * 7-bit weights ([-63, 63]). x86 CPUs without VNNI multiply u8 x s8 pairs into saturating int16 sums,
   * which full-range weights can overflow in ONNX Runtime's integer kernels. Default: false.
   */
  reduceRange?: boolean;
  /** Correct each layer's bias for the mean output shift its rounded weights cause (default true). */
  biasCorrection?: boolean;
  /**
   * Sensitivity analysis: quantize each layer alone, measure how far the outputs move on the first
   * `sensitivitySamples` calibration samples (default 4), and keep the `keepFloatLayers` worst in float,
   * skipping layers whose weights would take the float share past `floatWeightBudget`.
   * Default 'auto': the count is chosen on the held-back samples (more layers while the outputs get
   * closer to the float model's, within the budget). 0 turns the analysis off.
   */
  keepFloatLayers?: number | 'auto';
  sensitivitySamples?: number;
  /** At most this many calibration samples (every 4th) are held back from the histograms to judge the automatic choices (default 8; 0: judge on calibration samples). */
  heldBackSamples?: number;
  /** Largest share of the Conv/Gemm/MatMul weight elements the sensitivity analysis may keep in float (default 0.1). */
  floatWeightBudget?: number;
  /** Use at most this many calibration samples. */
  maxSamples?: number;
  signal?: AbortSignal;
  onProgress?: (progress: CalibrationProgress) => void;
  /** Compare the INT8 model with the original on these held-out inputs (keep them apart from the calibration set). */
  evaluation?: EvaluationOptions;
}

/** What the automatic choices tried and chose. */
export interface Int8Choices {
  /** Samples the choices were judged on, and whether they were held back from the histograms. */
  judgedOn: { samples: number; heldBack: boolean };
  method: { chosen: CalibrationMethod; automatic: boolean; trials: Trial<CalibrationMethod>[] };
  floatLayers: { chosen: number; automatic: boolean; trials: Trial<number>[] };
}

export interface Int8Report {
  target: QuantTarget;
  method: CalibrationMethod;
  /** The form the model is written in. */
  format: Int8Format;
  /** 'cpu' target: float vs INT8 times on this CPU, per form, and the form chosen. */
  cpu?: CpuSpeed;
  /** The automatic choices (method, float layers): candidates, their errors and the winners. */
  choices: Int8Choices;
  calibrationSamples: number;
  /** Conv/ConvTranspose/Gemm/MatMul nodes in the model, and how many were quantized. */
  quantizableNodes: number;
  quantizedNodes: number;
  /** Share of the Conv/ConvTranspose/Gemm/MatMul weight elements stored as int8. */
  quantizedWeightFraction: number;
  activationQdqPairs: number;
  /** Nodes left in float (exclusions and sensitivity analysis). */
  excludedNodes: string[];
  /** Nodes the sensitivity analysis kept in float, most sensitive first. */
  keptFloat: string[];
  /** Per-layer sensitivity (1 - output cosine with only that layer quantized), most sensitive first; empty when off. */
  sensitivity: SensitivityEntry[];
  inputBytes: number;
  outputBytes: number;
  sizeRatio: number;
  /** The quality report on `options.evaluation`, when given. */
  quality?: QualityReport;
}

export interface QuantizeInt8Result {
  model: Uint8Array;
  report: Int8Report;
}

function normalise(
  options: unknown,
): Required<Pick<QuantizeInt8Options, 'method' | 'target' | 'keepFloatLayers' | 'format'>> & QuantizeInt8Options {
  if (!isPlainObject(options)) throw invalidArgument('an options object with a calibration source', 'options', options);
  if (options.calibration === undefined)
    throw invalidArgument('an AsyncIterable or Iterable of feeds, or a directory of .npy files', 'options.calibration', undefined);
  const exclude = options.exclude;
  if (exclude !== undefined) {
    if (!isPlainObject(exclude)) throw invalidArgument('an object { nodes?, opTypes? }', 'options.exclude', exclude);
    for (const key of ['nodes', 'opTypes'] as const) {
      const list = exclude[key];
      if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === 'string')))
        throw invalidArgument('an array of strings', `options.exclude.${key}`, list);
    }
  }
  const percentile = options.percentile;
  if (percentile !== undefined && !(typeof percentile === 'number' && percentile > 50 && percentile <= 100))
    throw invalidArgument('a number in (50, 100]', 'options.percentile', percentile);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw invalidArgument('a function', 'options.onProgress', options.onProgress);
  const evaluation = options.evaluation;
  if (evaluation !== undefined) {
    const feeds = isPlainObject(evaluation)
      ? (evaluation.feeds as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | undefined)
      : undefined;
    if (!feeds || (typeof feeds[Symbol.iterator] !== 'function' && typeof feeds[Symbol.asyncIterator] !== 'function')) {
      throw invalidArgument('an iterable of feeds', 'options.evaluation.feeds', feeds);
    }
  }
  const target = validateEnum(options.target, QUANT_TARGETS, 'options.target') ?? 'tensorrt';
  const format = validateEnum(options.format, [...INT8_FORMATS, 'auto'] as const, 'options.format') ?? 'auto';
  // TensorRT's explicit quantization reads Q/DQ pairs only.
  if (target === 'tensorrt' && format === 'qoperator')
    throw invalidArgument(
      "'qdq' or 'auto' with target 'tensorrt' (TensorRT reads only QuantizeLinear/DequantizeLinear)",
      'options.format',
      format,
    );
  return {
    ...(options as unknown as QuantizeInt8Options),
    method: validateEnum(options.method, [...CALIBRATION_METHODS, 'auto'] as const, 'options.method') ?? 'auto',
    target,
    format,
    timingRounds: validatePositiveInteger(options.timingRounds, 'options.timingRounds'),
    maxSamples: validatePositiveInteger(options.maxSamples, 'options.maxSamples'),
    keepFloatLayers:
      options.keepFloatLayers === 'auto'
        ? 'auto'
        : (validatePositiveInteger(options.keepFloatLayers, 'options.keepFloatLayers', { allowZero: true }) ?? 'auto'),
    heldBackSamples: validatePositiveInteger(options.heldBackSamples, 'options.heldBackSamples', { allowZero: true }),
    sensitivitySamples: validatePositiveInteger(options.sensitivitySamples, 'options.sensitivitySamples'),
    floatWeightBudget: checkFraction(options.floatWeightBudget, 'options.floatWeightBudget'),
    signal: validateSignal(options.signal),
  };
}

function checkFraction(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalidArgument('a number in [0, 1]', name, value);
  return value;
}

async function modelFrom(source: unknown): Promise<{ model: ModelProto; original: Uint8Array }> {
  if (typeof source === 'string') {
    const model = await loadModel(source, { externalData: 'inline' });
    // Self-contained bytes of the input (external data included), to size and compare against.
    return { model, original: encodeModel(model) };
  }
  if (source instanceof Uint8Array) return { model: decodeModel(source), original: source };
  throw invalidArgument('a model path or ONNX bytes (Uint8Array)', 'model', source);
}

/** Calibration samples the 'cpu' target times the float and INT8 models on. */
const TIMING_SAMPLES = 2;

/** Float weight elements of each Conv/ConvTranspose/Gemm/MatMul node, by node key. */
function weightElements(model: ModelProto): Map<string, number> {
  const counts = new Map<string, number>();
  const graph = model.graph;
  if (!graph) return counts;
  const inits = initializerMap(graph);
  for (const node of graph.node) {
    if (!QUANTIZABLE_OPS.includes(node.opType)) continue;
    const weight = inits.get(node.input[1]);
    counts.set(nodeKey(node), weight && weight.dataType === 1 ? readTensor(weight).data.length : 0);
  }
  return counts;
}

/** The most sensitive layers, up to `count`, whose weights together stay within `budget` elements. */
function chooseFloatLayers(
  ranking: readonly SensitivityEntry[],
  count: number,
  weights: ReadonlyMap<string, number>,
  budget: number,
): Set<string> {
  const chosen = new Set<string>();
  let used = 0;
  for (const { node } of ranking) {
    if (chosen.size >= count) break;
    const size = weights.get(node) ?? 0;
    if (used + size > budget) continue;
    chosen.add(node);
    used += size;
  }
  return chosen;
}

/**
 * Quantizes `model` (path or bytes) to INT8. Calibration runs the float model on the CPU backend.
 * Errors: ERR_MODEL_LOAD (no graph), ERR_UNSUPPORTED (opset), calibration errors (see collectHistograms).
 */
export async function quantizeInt8(model: string | Uint8Array, options: QuantizeInt8Options): Promise<QuantizeInt8Result> {
  const opts = normalise(options);
  const { model: proto, original } = await modelFrom(model);
  const inputBytes = original.byteLength;
  const graph = proto.graph;
  if (!graph || graph.node.length === 0)
    throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, 'Expected an ONNX model with a graph of nodes but it has none');
  if (graphInputs(graph).length === 0)
    throw new TensorRTNodeError(ErrorCode.UNSUPPORTED, 'Expected a model with at least one input to calibrate on but it has none');

  checkSourceOpset(proto);
  constantsToInitializers(graph);
  foldBatchNorms(graph);
  dropUnusedInitializers(graph);
  const weightsByNode = weightElements(proto);
  const totalWeights = [...weightsByNode.values()].reduce((a, b) => a + b, 0);

  const placement = findPlacement(graph, opts.target, opts.exclude);
  const quantizable = graph.node.filter((node) => QUANTIZABLE_OPS.includes(node.opType));
  const softmaxInputs = graph.node
    .filter((node) => ['Softmax', 'LogSoftmax', 'Hardmax'].includes(node.opType))
    .map((node) => node.input[0]);
  const observed = observedTensors(placement);
  // Bias correction needs the per-channel mean of each weighted node's input (channels: axis 1 for
  // convolutions, the last axis for Gemm/MatMul).
  const channelMeans = new Map<string, number>();
  if (opts.biasCorrection !== false) {
    for (const { node, weight } of placement.nodes)
      if (weight && node.input[0]) channelMeans.set(node.input[0], node.opType === 'Conv' || node.opType === 'ConvTranspose' ? 1 : -1);
  }
  const autoMethod = opts.method === 'auto';
  const autoFloat = opts.keepFloatLayers === 'auto';
  const sensitivityOn = autoFloat || (opts.keepFloatLayers as number) > 0;
  const heldBackMax = opts.heldBackSamples ?? 8;
  const calibration = await collectHistograms(
    proto,
    [...new Set([...observed, ...softmaxInputs, ...channelMeans.keys()])],
    opts.calibration,
    {
      channelMeans,
      keepSamples: Math.max(
        sensitivityOn || autoMethod ? Math.max(opts.sensitivitySamples ?? 4, autoMethod || autoFloat ? 4 : 0) : 0,
        opts.target === 'cpu' ? TIMING_SAMPLES : 0,
      ),
      holdBack: (autoMethod || autoFloat) && heldBackMax > 0 ? { every: 4, max: heldBackMax } : undefined,
      signal: opts.signal,
      onProgress: opts.onProgress,
      maxSamples: opts.maxSamples,
    },
  );

  upgradeToQdqOpset(proto, { rankOf: (name) => calibration.ranks.get(name) });
  const paramsFor = (method: CalibrationMethod) => {
    const params = new Map<string, ActivationParams>();
    for (const name of observed) {
      const histogram = calibration.histograms.get(name);
      if (!histogram) continue;
      const rangeOptions = { method, percentile: opts.percentile };
      if (opts.target === 'tensorrt') params.set(name, symmetricParams(symmetricRange(histogram, rangeOptions)));
      else {
        const [lo, hi] = asymmetricRange(histogram, rangeOptions);
        params.set(name, asymmetricParams(lo, hi));
      }
    }
    return params;
  };
  const prepared = encodeModel(proto);
  const buildWith = (params: ReadonlyMap<string, ActivationParams>, keepFloat: ReadonlySet<string>, only?: ReadonlySet<string>) => {
    const copy = decodeModel(prepared);
    const copyGraph = copy.graph as GraphProto;
    const stats = insertQdq(
      copyGraph,
      findPlacement(copyGraph, opts.target, opts.exclude, keepFloat, only),
      params as Map<string, ActivationParams>,
      opts.target,
      calibration.means,
      opts.reduceRange ? 63 : 127,
    );
    return { bytes: encodeModel(copy), stats };
  };

  // The automatic choices are judged on the held-back samples (or, with too few samples to hold any
  // back, on the first calibration samples).
  const judgeSamples = calibration.heldBack.length > 0 ? calibration.heldBack : calibration.kept;
  const reference = autoMethod || autoFloat ? await outputsOf(prepared, judgeSamples) : [];
  let method: CalibrationMethod = autoMethod ? 'percentile' : (opts.method as CalibrationMethod);
  let methodTrials: Trial<CalibrationMethod>[] = [];
  // Without quantized activations every method gives the same model.
  if (autoMethod && [...observed].length > 0) {
    opts.onProgress?.({ phase: 'method', done: 0, total: CALIBRATION_METHODS.length });
    ({ chosen: method, trials: methodTrials } = await chooseByError(
      CALIBRATION_METHODS,
      (candidate) => buildWith(paramsFor(candidate), new Set()).bytes,
      reference,
      judgeSamples,
      opts.signal,
      (done) => opts.onProgress?.({ phase: 'method', done, total: CALIBRATION_METHODS.length }),
    ));
  }
  const params = paramsFor(method);
  const build = (keepFloat: ReadonlySet<string>, only?: ReadonlySet<string>) => buildWith(params, keepFloat, only);

  let keepFloat = new Set<string>();
  let sensitivity: SensitivityEntry[] = [];
  let floatTrials: Trial<number>[] = [];
  if (sensitivityOn) {
    const rankingSamples = judgeSamples.slice(0, opts.sensitivitySamples ?? 4);
    sensitivity = await rankSensitivity(
      prepared,
      placement.nodes.map(({ node }) => nodeKey(node)),
      rankingSamples,
      (only) => build(new Set(), only).bytes,
      opts.signal,
      (done, total) => opts.onProgress?.({ phase: 'sensitivity', done, total }),
    );
    const budget = (opts.floatWeightBudget ?? 0.1) * totalWeights;
    let count = opts.keepFloatLayers as number;
    if (autoFloat) {
      opts.onProgress?.({ phase: 'float layers', done: 0, total: undefined });
      ({ chosen: count, trials: floatTrials } = await chooseFloatLayerCount(
        (n) => chooseFloatLayers(sensitivity, n, weightsByNode, budget),
        (layers) => build(layers).bytes,
        reference,
        judgeSamples,
        opts.signal,
        (done) => opts.onProgress?.({ phase: 'float layers', done, total: undefined }),
      ));
    }
    keepFloat = chooseFloatLayers(sensitivity, count, weightsByNode, budget);
  }
  const { bytes: qdqBytes, stats } = build(keepFloat);
  let bytes = qdqBytes;
  let cpu: CpuSpeed | undefined;
  if (opts.target === 'cpu') {
    const timingSamples = (calibration.heldBack.length > 0 ? calibration.heldBack : calibration.kept).slice(0, TIMING_SAMPLES);
    opts.onProgress?.({ phase: 'cpu format', done: 0, total: 1 });
    ({ model: bytes, speed: cpu } = await chooseCpuFormat(original, qdqBytes, timingSamples, {
      format: opts.format,
      rounds: opts.timingRounds ?? 3,
      signal: opts.signal,
    }));
    opts.onProgress?.({ phase: 'cpu format', done: 1, total: 1 });
  }
  const quantizedNames = new Set(stats.quantizedNodes);
  const quality = opts.evaluation ? await compareModels(original, bytes, { ...opts.evaluation, signal: opts.signal }) : undefined;
  return {
    model: bytes,
    report: {
      target: opts.target,
      method,
      format: cpu?.chosen ?? 'qdq',
      ...(cpu ? { cpu } : {}),
      choices: {
        judgedOn: { samples: judgeSamples.length, heldBack: calibration.heldBack.length > 0 },
        method: { chosen: method, automatic: autoMethod, trials: methodTrials },
        floatLayers: { chosen: keepFloat.size, automatic: autoFloat, trials: floatTrials },
      },
      calibrationSamples: calibration.samples,
      quantizableNodes: quantizable.length,
      quantizedNodes: stats.quantizedNodes.length,
      quantizedWeightFraction: totalWeights === 0 ? 0 : stats.quantizedWeightElements / totalWeights,
      activationQdqPairs: stats.activationPairs,
      keptFloat: [...keepFloat],
      sensitivity,
      excludedNodes: quantizable.map((node) => node.name || node.output[0]).filter((name) => !quantizedNames.has(name)),
      inputBytes,
      outputBytes: bytes.byteLength,
      sizeRatio: bytes.byteLength / inputBytes,
      ...(quality ? { quality } : {}),
    },
  };
}
