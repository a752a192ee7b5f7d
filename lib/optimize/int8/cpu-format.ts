/**
 * The 'cpu' target's last step: whether INT8 pays on this CPU, and in which form. The float model,
 * the QDQ model and its operator-level rewrite (QLinearConv / QLinearMatMul) run interleaved on the
 * same samples through ONNX Runtime; the faster INT8 form is kept unless the caller fixed one. Which
 * form wins depends on the model and the CPU (ONNX Runtime fuses QDQ groups itself, but not always
 * into the same kernels), so it is measured, not assumed.
 */
import { decodeModel, encodeModel } from '../../onnx/model-io.js';
import type { GraphProto } from '../../onnx/types.js';
import { interleavedMedians } from '../latency.js';
import type { Feeds } from '../feeds.js';
import { OrtRunner } from '../ort-runner.js';
import { type QOperatorStats, qdqToQOperator } from './qoperator.js';

export const INT8_FORMATS = ['qdq', 'qoperator'] as const;
export type Int8Format = (typeof INT8_FORMATS)[number];

export interface FormatTiming {
  format: Int8Format;
  /** Median milliseconds per run. */
  ms: number;
  /** ms / the float model's ms: below 1, INT8 in this form is faster than float here. */
  ratio: number;
}

export interface CpuSpeed {
  /** ONNX Runtime intra-op threads the models were timed with. */
  threads: number;
  samples: number;
  runsPerModel: number;
  floatMs: number;
  /** Every form timed (only the fixed one when the caller chose a format). */
  formats: FormatTiming[];
  chosen: Int8Format;
  automatic: boolean;
  /** The chosen form's time / the float model's. */
  ratio: number;
  /** Whether the chosen INT8 form ran faster than the float model. */
  int8Pays: boolean;
  /** Nodes the operator-level rewrite fused, by operator, and those it left in QDQ form. */
  qoperator?: QOperatorStats;
}

/** The operator-level form of a QDQ model, and what the rewrite did. */
export function toQOperator(qdqModel: Uint8Array): { model: Uint8Array; stats: QOperatorStats } {
  const proto = decodeModel(qdqModel);
  const stats = qdqToQOperator(proto.graph as GraphProto);
  return { model: encodeModel(proto), stats };
}

/**
 * Times the float model against the INT8 form(s) and returns the model in the chosen form.
 * `format` 'auto' times both forms and keeps the faster (QDQ when the rewrite fused nothing).
 */
export async function chooseCpuFormat(
  floatModel: Uint8Array,
  qdqModel: Uint8Array,
  samples: readonly Feeds[],
  options: { format: Int8Format | 'auto'; rounds: number; threads?: number; signal?: AbortSignal },
): Promise<{ model: Uint8Array; speed: CpuSpeed }> {
  const threads = options.threads ?? 1;
  const candidates: { format: Int8Format; model: Uint8Array }[] = [];
  let qoperator: QOperatorStats | undefined;
  if (options.format !== 'qoperator') candidates.push({ format: 'qdq', model: qdqModel });
  if (options.format !== 'qdq') {
    const rewritten = toQOperator(qdqModel);
    qoperator = rewritten.stats;
    const fused = Object.values(rewritten.stats.converted).reduce((a, b) => a + b, 0);
    if (fused > 0 || options.format === 'qoperator') candidates.push({ format: 'qoperator', model: rewritten.model });
  }
  const runners: OrtRunner[] = [];
  try {
    for (const model of [floatModel, ...candidates.map((candidate) => candidate.model)])
      runners.push(await OrtRunner.create(model, { threads }));
    const { medians, runsPerModel } = await interleavedMedians(runners, samples, options.rounds, options.signal);
    const [floatMs, ...formatMs] = medians;
    const formats = candidates.map(({ format }, index) => ({ format, ms: formatMs[index], ratio: formatMs[index] / floatMs }));
    const best = formats.reduce((a, b) => (b.ms < a.ms ? b : a));
    return {
      model: candidates[formats.indexOf(best)].model,
      speed: {
        threads,
        samples: samples.length,
        runsPerModel,
        floatMs,
        formats,
        chosen: best.format,
        automatic: options.format === 'auto',
        ratio: best.ratio,
        int8Pays: best.ratio < 1,
        ...(qoperator ? { qoperator } : {}),
      },
    };
  } finally {
    await Promise.all(runners.map((runner) => runner.dispose()));
  }
}

/** One line for the CLI and the bench. */
export function formatCpuSpeed(speed: CpuSpeed): string {
  const timed = speed.formats.map((f) => `${f.format} ${f.ms.toFixed(2)} ms (${f.ratio.toFixed(3)}x)`).join(', ');
  const fused = speed.qoperator
    ? `; qoperator fuses ${
        Object.entries(speed.qoperator.converted)
          .map(([op, n]) => `${n} ${op}`)
          .join(', ') || 'nothing'
      }`
    : '';
  return (
    `int8 on this CPU (ONNX Runtime, ${speed.threads} thread${speed.threads === 1 ? '' : 's'}, median of ${speed.runsPerModel} interleaved runs): ` +
    `float ${speed.floatMs.toFixed(2)} ms, ${timed}; format ${speed.chosen}${speed.automatic ? ' (auto: the faster; --format to override)' : ''} at ${speed.ratio.toFixed(3)}x of float: ` +
    `${speed.int8Pays ? `int8 pays (${(1 / speed.ratio).toFixed(2)}x faster)` : `int8 does not pay here (${speed.ratio.toFixed(2)}x slower)`}${fused}`
  );
}
