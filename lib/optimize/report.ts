/**
 * Quality report of an optimized model against its original: both run on ONNX Runtime's CPU
 * provider over the same held-out feeds; per output cosine similarity, absolute errors and, for
 * outputs that look like class scores, top-1 agreement; the file size ratio; and the CPU latency
 * ratio, measured with the two models interleaved in one run so that machine load hits both alike.
 */
import { ErrorCode, TensorRTNodeError, abortError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Feeds } from './feeds.js';
import { interleavedMedians } from './latency.js';
import { OrtRunner } from './ort-runner.js';
import { type TaskAccuracy, TaskAccumulator, type TaskOptions, checkTaskOptions } from './task-accuracy.js';

export interface OutputQuality {
  name: string;
  cosine: { mean: number; min: number };
  maxAbsError: number;
  meanAbsError: number;
  /** Fraction of rows (positions along all but the last axis) whose arg-max agrees; only for class-score outputs. */
  top1Agreement?: number;
}

export interface LatencyComparison {
  /** Median milliseconds per run. */
  originalMs: number;
  optimizedMs: number;
  /** optimized / original: below 1 means the optimized model is faster. */
  ratio: number;
  runsPerModel: number;
  threads: number | 'default';
}

export interface QualityReport {
  samples: number;
  outputs: OutputQuality[];
  originalBytes: number;
  optimizedBytes: number;
  /** optimized / original file size. */
  sizeRatio: number;
  latency?: LatencyComparison;
  /** Both models' task accuracy against the labels, when `task` was given. */
  task?: TaskAccuracy;
}

export interface CompareOptions {
  /** Held-out inputs (not the calibration set). */
  feeds: Iterable<Feeds> | AsyncIterable<Feeds>;
  /** Interleaved timing rounds over the feeds after the quality pass; 0 skips latency (default 3). */
  latencyRounds?: number;
  /** ONNX Runtime intra-op threads for both models (default 1: steadier ratios). */
  threads?: number;
  /** Labels for the feeds (one per feed, in order): the report gives both models' task accuracy. */
  task?: TaskOptions;
  signal?: AbortSignal;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal, 'The quality report');
}

/** Running statistics of one output over all samples. */
class OutputAccumulator {
  private cosineSum = 0;
  private cosineMin = Infinity;
  private maxAbs = 0;
  private sawNaN = false;
  private absSum = 0;
  private count = 0;
  private samples = 0;
  private agreeing = 0;
  private rows = 0;
  private classScores: boolean | undefined;

  constructor(readonly name: string) {}

  add(reference: Tensor, candidate: Tensor): void {
    const a = reference.data as Float32Array;
    const b = candidate.data as Float32Array;
    if (a.length !== b.length) {
      throw new TensorRTNodeError(
        ErrorCode.SHAPE_MISMATCH,
        `Expected output "${this.name}" of the optimized model to have ${a.length} elements like the original but received ${b.length}`,
      );
    }
    let dot = 0,
      normA = 0,
      normB = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i],
        y = b[i];
      dot += x * y;
      normA += x * x;
      normB += y * y;
      const error = Math.abs(x - y);
      this.absSum += error;
      if (Number.isNaN(error)) this.sawNaN = true;
      else if (error > this.maxAbs) this.maxAbs = error;
    }
    this.count += a.length;
    const cosine = normA === 0 && normB === 0 ? 1 : normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
    this.cosineSum += cosine;
    this.cosineMin = Math.min(this.cosineMin, Number.isNaN(cosine) ? -Infinity : cosine);
    this.samples++;
    this.classScores ??= looksLikeClassScores(reference);
    if (this.classScores) {
      const classes = reference.dims[reference.dims.length - 1];
      for (let row = 0; row < a.length / classes; row++) {
        this.rows++;
        if (argMax(a, row * classes, classes) === argMax(b, row * classes, classes)) this.agreeing++;
      }
    }
  }

  result(): OutputQuality {
    return {
      name: this.name,
      cosine: { mean: this.cosineSum / this.samples, min: this.cosineMin },
      maxAbsError: this.sawNaN ? NaN : this.maxAbs,
      meanAbsError: this.absSum / Math.max(1, this.count),
      ...(this.classScores ? { top1Agreement: this.agreeing / Math.max(1, this.rows) } : {}),
    };
  }
}

function argMax(values: Float32Array, start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i] > values[start + best]) best = i;
  return best;
}

/**
 * Class scores: a float output whose last axis has at least two entries and either is a [batch,
 * classes] matrix or holds probability rows (non-negative, summing to 1) such as a softmax over a
 * sequence. A sigmoid map [1, 1, H, W] is neither.
 */
export function looksLikeClassScores(output: Tensor): boolean {
  if (output.dtype !== 'float32' || output.dims.length < 2) return false;
  const classes = output.dims[output.dims.length - 1];
  if (classes < 2 || output.data.length === 0) return false;
  if (output.dims.length === 2) return true;
  const data = output.data as Float32Array;
  const rows = Math.min(data.length / classes, 16);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let i = 0; i < classes; i++) {
      const value = data[row * classes + i];
      if (value < 0) return false;
      sum += value;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

async function collect(feeds: Iterable<Feeds> | AsyncIterable<Feeds>): Promise<Feeds[]> {
  const list: Feeds[] = [];
  for await (const feed of feeds) list.push(feed);
  return list;
}

export async function compareModels(original: Uint8Array, optimized: Uint8Array, options: CompareOptions): Promise<QualityReport> {
  const feeds = await collect(options.feeds);
  if (feeds.length === 0)
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, 'Expected at least one feed for the quality report but received none');
  const kind = options.task ? checkTaskOptions(options.task, feeds.length) : undefined;
  const threads = options.threads ?? 1;
  const reference = await OrtRunner.create(original, { threads });
  const candidate = await OrtRunner.create(optimized, { threads }).catch(async (error: unknown) => {
    await reference.dispose();
    throw error;
  });
  try {
    const accumulators = new Map(reference.outputNames.map((name) => [name, new OutputAccumulator(name)]));
    const taskOutput = options.task?.output ?? reference.outputNames[0];
    if (options.task && !reference.outputNames.includes(taskOutput)) {
      throw new TensorRTNodeError(
        ErrorCode.UNKNOWN_TENSOR,
        `Expected one of the model outputs (${reference.outputNames.join(', ')}) for task.output but received "${taskOutput}"`,
      );
    }
    const task = options.task && kind ? new TaskAccumulator(kind, taskOutput, options.task) : undefined;
    for (const [index, feed] of feeds.entries()) {
      checkAborted(options.signal);
      const expected = await reference.run(feed);
      const actual = await candidate.run(feed);
      for (const [name, accumulator] of accumulators) {
        if (!actual[name])
          throw new TensorRTNodeError(
            ErrorCode.UNKNOWN_TENSOR,
            `Expected the optimized model to produce output "${name}" like the original but it does not`,
          );
        accumulator.add(expected[name], actual[name]);
      }
      task?.add(index, expected[taskOutput], actual[taskOutput]);
    }
    const report: QualityReport = {
      samples: feeds.length,
      outputs: [...accumulators.values()].map((accumulator) => accumulator.result()),
      originalBytes: original.byteLength,
      optimizedBytes: optimized.byteLength,
      sizeRatio: optimized.byteLength / original.byteLength,
      ...(task ? { task: task.result() } : {}),
    };
    const rounds = options.latencyRounds ?? 3;
    if (rounds > 0) report.latency = await measureLatency(reference, candidate, feeds, rounds, threads, options.signal);
    return report;
  } finally {
    await Promise.all([reference.dispose(), candidate.dispose()]);
  }
}

/** Both models timed interleaved on the same feeds (see interleavedMedians). */
async function measureLatency(
  reference: OrtRunner,
  candidate: OrtRunner,
  feeds: Feeds[],
  rounds: number,
  threads: number,
  signal: AbortSignal | undefined,
): Promise<LatencyComparison> {
  const {
    medians: [originalMs, optimizedMs],
    runsPerModel,
  } = await interleavedMedians([reference, candidate], feeds, rounds, signal);
  return { originalMs, optimizedMs, ratio: optimizedMs / originalMs, runsPerModel, threads };
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/** A few human-readable lines for the CLI and the bench. */
export function formatReport(report: QualityReport): string {
  const lines = [`quality on ${report.samples} held-out input${report.samples === 1 ? '' : 's'}:`];
  for (const output of report.outputs) {
    const top1 = output.top1Agreement === undefined ? '' : `, top-1 agreement ${fixed(output.top1Agreement * 100, 2)}%`;
    lines.push(
      `  ${output.name}: cosine mean ${fixed(output.cosine.mean, 6)} min ${fixed(output.cosine.min, 6)}, max |error| ${output.maxAbsError.toExponential(2)}${top1}`,
    );
  }
  if (report.task) {
    const t = report.task;
    const what = t.kind === 'text' ? 'text accuracy (CTC, whitespace ignored)' : 'top-1 accuracy';
    lines.push(
      `  ${t.output}: ${what} against the labels: original ${fixed(t.original * 100, 2)}%, optimized ${fixed(t.optimized * 100, 2)}% (${t.samples} samples; same answer on ${fixed(t.agreement * 100, 2)}%)`,
    );
  }
  lines.push(`size: ${report.optimizedBytes} / ${report.originalBytes} bytes = ${fixed(report.sizeRatio, 3)}x`);
  if (report.latency) {
    const l = report.latency;
    const verdict = l.ratio < 1 ? `${fixed(1 / l.ratio, 2)}x faster` : `${fixed(l.ratio, 2)}x slower`;
    lines.push(
      `CPU latency (ONNX Runtime, ${l.threads} thread${l.threads === 1 ? '' : 's'}, median of ${l.runsPerModel} interleaved runs): ${fixed(l.optimizedMs, 2)} ms vs ${fixed(l.originalMs, 2)} ms = ${fixed(l.ratio, 3)}x (${verdict})`,
    );
  }
  return lines.join('\n');
}
