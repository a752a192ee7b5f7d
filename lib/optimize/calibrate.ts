/**
 * Calibration: runs the float model on the CPU backend over the user's samples with the tensors to be
 * quantized added as extra outputs, and folds each batch into a streaming histogram per tensor, so memory
 * does not grow with the number of samples.
 */
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import { makeValueInfo } from '../onnx/builder.js';
import { encodeModel } from '../onnx/model-io.js';
import type { ModelProto } from '../onnx/types.js';
import { InferenceSession } from '../session.js';
import type { Tensor } from '../tensor.js';
import { validateFeeds, validateSignal } from '../validate.js';
import { countFeedsDirectory, readNamedFeedsDirectory } from './feeds-dir.js';
import { firstNonFinite } from './non-finite.js';
import { StreamingHistogram } from './int8/histogram.js';

export type Feeds = Record<string, Tensor>;

/** Samples to calibrate on: feeds (sync or async iterable), or a directory of .npy files (see readFeedsDirectory). */
export type CalibrationSource = AsyncIterable<Feeds> | Iterable<Feeds> | string;

export interface CalibrationProgress {
  /**
   * calibration: samples; method: calibration methods tried; sensitivity: layers; float layers:
   * float-layer counts tried; cpu format: timing the float and INT8 forms on this CPU.
   */
  phase: 'calibration' | 'method' | 'sensitivity' | 'float layers' | 'cpu format';
  /** Samples (or layers) done so far. */
  done: number;
  /** The total, when known in advance (a directory or an array of samples), else undefined. */
  total: number | undefined;
}

export interface CalibrateOptions {
  signal?: AbortSignal;
  onProgress?: (progress: CalibrationProgress) => void;
  /** Stop after this many samples (default: all). */
  maxSamples?: number;
  /** Keep up to this many samples in memory for later checks (sensitivity analysis). Default 0. */
  keepSamples?: number;
  /**
   * Hold back every \`every\`-th sample (up to \`max\`) from the histograms, to judge choices on data the
   * ranges were not taken from. They come back in \`heldBack\`.
   */
  holdBack?: { every: number; max: number };
  /** CPU threads for ONNX Runtime. */
  threads?: number;
  /** Tensors whose per-channel mean to measure, with the channel axis (negative counts from the end). */
  channelMeans?: ReadonlyMap<string, number>;
}

export interface CalibrationResult {
  histograms: Map<string, StreamingHistogram>;
  /** Rank of each observed tensor (from the first sample). */
  ranks: Map<string, number>;
  samples: number;
  kept: Feeds[];
  /** Samples held back from the histograms (see holdBack). */
  heldBack: Feeds[];
  /** Per-channel means of the tensors asked for in `channelMeans`. */
  means: Map<string, Float64Array>;
}

/** Adds each channel's sum along `axis` into `sums` (sized on first use); returns the per-channel element count added. */
function accumulateChannelSums(tensor: Tensor, axis: number, sums: Map<string, { sum: Float64Array; count: number }>, name: string): void {
  const dims = tensor.dims;
  const a = axis < 0 ? dims.length + axis : axis;
  if (a < 0 || a >= dims.length) return;
  const channels = dims[a];
  const inner = dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const outer = dims.slice(0, a).reduce((x, y) => x * y, 1);
  let entry = sums.get(name);
  if (!entry) sums.set(name, (entry = { sum: new Float64Array(channels), count: 0 }));
  if (entry.sum.length !== channels) return;
  const data = tensor.data as Float32Array;
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let s = 0;
      for (let i = 0; i < inner; i++) s += data[base + i];
      entry.sum[c] += s;
    }
  entry.count += outer * inner;
}

function isIterable(value: unknown): value is Iterable<Feeds> | AsyncIterable<Feeds> {
  return typeof value === 'object' && value !== null && (Symbol.asyncIterator in value || Symbol.iterator in value);
}

/** A sample and, when it came from a directory, its path (for messages). */
export interface CalibrationSample {
  feeds: Feeds;
  path?: string;
}

/** Checks the source's kind and turns it into an async iterator of samples. */
export function calibrationSamples(
  source: unknown,
  inputNames: readonly string[],
): { samples: AsyncIterable<CalibrationSample>; total: Promise<number | undefined> } {
  if (typeof source === 'string') {
    const samples = (async function* () {
      for await (const { name, feeds } of readNamedFeedsDirectory(source, inputNames)) yield { feeds, path: name };
    })();
    return { samples, total: countFeedsDirectory(source).catch(() => undefined) };
  }
  if (!isIterable(source) || typeof source === 'string') {
    throw invalidArgument('an AsyncIterable or Iterable of feeds, or a directory of .npy files', 'options.calibration', source);
  }
  const total = Array.isArray(source) ? source.length : undefined;
  const samples = (async function* () {
    for await (const feeds of source as AsyncIterable<Feeds>) yield { feeds };
  })();
  return { samples, total: Promise.resolve(total) };
}

/** The model with `tensors` added as float outputs, so one run yields them all. */
export function withObservedOutputs(model: ModelProto, tensors: readonly string[]): Uint8Array {
  const graph = model.graph;
  if (!graph) throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, 'Expected a model with a graph but it has none');
  const saved = graph.output;
  const existing = new Set(saved.map((output) => output.name));
  graph.output = [...saved, ...tensors.filter((name) => !existing.has(name)).map((name) => makeValueInfo({ name, dtype: 'float32' }))];
  try {
    return encodeModel(model);
  } finally {
    graph.output = saved;
  }
}

function sampleLabel(index: number, path: string | undefined): string {
  return `calibration sample ${index}${path === undefined ? '' : `: ${path}`}`;
}

function withSampleIndex(error: unknown, index: number, path: string | undefined): unknown {
  if (error instanceof TensorRTNodeError)
    return new TensorRTNodeError(error.code, `${error.message} (${sampleLabel(index, path)})`, { cause: error, details: error.details });
  return error;
}

/**
 * Refuses a sample holding NaN or +-Infinity: one such value makes a min/max range or histogram
 * infinite or NaN, and the quantized model then outputs NaN for every input. Refusing (rather
 * than skipping) keeps calibration on exactly the samples the user gave.
 */
function checkFinite(feeds: Feeds, index: number, path: string | undefined): void {
  for (const [name, tensor] of Object.entries(feeds)) {
    const found = firstNonFinite(tensor);
    if (found) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected finite values for input "${name}" of ${sampleLabel(index, path)} but received ${found.value} at element ${found.index}`,
      );
    }
  }
}

/**
 * Runs `model` over the calibration samples and returns a histogram of every tensor in `tensors`.
 * Errors: ERR_UNKNOWN_TENSOR / ERR_SHAPE_MISMATCH / ERR_DTYPE_MISMATCH / ERR_MISSING_INPUT for a bad
 * sample (its index in the message), ERR_INVALID_ARGUMENT for a sample holding NaN or Infinity
 * (index, path and input named) or an empty set, ERR_ABORTED on abort.
 */
export async function collectHistograms(
  model: ModelProto,
  tensors: readonly string[],
  source: unknown,
  options: CalibrateOptions = {},
): Promise<CalibrationResult> {
  const signal = validateSignal(options.signal);
  if (signal?.aborted) throw abortError(signal);
  const session = await InferenceSession.create(withObservedOutputs(model, tensors), {
    backend: 'cpu',
    runOn: 'main',
    threads: options.threads ? { intraOp: options.threads } : undefined,
  });
  try {
    const inputNames = session.inputs.map((input) => input.name);
    const { samples, total } = calibrationSamples(source, inputNames);
    const knownTotal = await total;
    const limit = options.maxSamples ?? Infinity;
    const histograms = new Map(tensors.map((name) => [name, new StreamingHistogram()]));
    const ranks = new Map<string, number>();
    const kept: Feeds[] = [];
    const heldBack: Feeds[] = [];
    const sums = new Map<string, { sum: Float64Array; count: number }>();
    let done = 0;
    options.onProgress?.({ phase: 'calibration', done, total: knownTotal === undefined ? undefined : Math.min(knownTotal, limit) });
    for await (const { feeds, path } of samples) {
      if (done >= limit) break;
      if (signal?.aborted) throw abortError(signal);
      let checked: Feeds;
      try {
        checked = validateFeeds(session.inputs, feeds);
      } catch (error) {
        throw withSampleIndex(error, done, path);
      }
      checkFinite(checked, done, path);
      const hold = options.holdBack;
      if (hold && done % hold.every === hold.every - 1 && heldBack.length < hold.max) {
        heldBack.push(checked);
        done++;
        options.onProgress?.({ phase: 'calibration', done, total: knownTotal === undefined ? undefined : Math.min(knownTotal, limit) });
        continue;
      }
      let outputs: Record<string, Tensor>;
      try {
        outputs = await session.run(checked, tensors.length > 0 ? { outputs: tensors, signal } : { signal });
      } catch (error) {
        throw withSampleIndex(error, done, path);
      }
      for (const name of tensors) {
        const tensor = outputs[name];
        if (!ranks.has(name)) ranks.set(name, tensor.dims.length);
        if (tensor.dtype === 'float32') histograms.get(name)?.add(tensor.data as Float32Array);
        const axis = options.channelMeans?.get(name);
        if (axis !== undefined && tensor.dtype === 'float32') accumulateChannelSums(tensor, axis, sums, name);
      }
      if (kept.length < (options.keepSamples ?? 0)) kept.push(checked);
      done++;
      options.onProgress?.({ phase: 'calibration', done, total: knownTotal === undefined ? undefined : Math.min(knownTotal, limit) });
    }
    if (done === 0) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected at least one calibration sample for options.calibration but received an empty set${typeof source === 'string' ? ` (no .npy files in ${source})` : ''}`,
      );
    }
    const means = new Map([...sums].map(([name, { sum, count }]) => [name, sum.map((v) => v / Math.max(1, count))]));
    return { histograms, ranks, samples: done - heldBack.length, kept, heldBack, means };
  } finally {
    await session.dispose();
  }
}
