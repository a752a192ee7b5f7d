/**
 * FP32 vs optimized PP-OCR models on ONNX Runtime's CPU provider, in one run: quality (output
 * cosine, task metric), file size ratio and latency ratio (both models interleaved on the same
 * inputs). Held-out inputs: by default test/data/ocr-unlike-inputs.ts (other words, faces, sizes,
 * colours, tilt, blur, noise, JPEG: unlike the calibration renderings), with ground truth, so rec and
 * cls report task accuracy against it; `--held-out rendered` uses the evaluation split of
 * test/data/ocr-inputs.ts instead.
 *
 *   npm run bench:optimize -- [--threads N] [--rounds N] [--det N] [--rec N] [--cls N] [--det-size 640] [--only fp16,fp16-io,fp16-all,int8-default,int8-cpu-default,int8-trt,int8-cpu] [--held-out unlike|rendered] [--eval-offset N] [--json out.json]
 *
 * Variants are listed in `variants`; each turns a model path into optimized bytes.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodeModel, loadModel } from '../lib/onnx/model-io.js';
import { convertToFloat16 } from '../lib/optimize/convert-fp16.js';
import type { Feeds } from '../lib/optimize/feeds.js';
import { OrtRunner } from '../lib/optimize/ort-runner.js';
import { type QualityReport, compareModels } from '../lib/optimize/report.js';
import { type OcrModelKind, ocrFeeds } from '../test/data/ocr-inputs.js';
import { binaryMapIoU, ctcDecode } from '../test/data/ocr-metrics.js';
import { realModels } from '../test/fixtures/real-models.js';
import { readCtcKeys } from '../lib/optimize/task-accuracy.js';
import { unlikeOcrSamples } from '../test/data/ocr-unlike-inputs.js';
import { int8CpuDefaultVariant, int8DefaultVariant, int8Variants } from './int8-variants.js';

interface Variant {
  name: string;
  make: (
    path: string,
    kind: OcrModelKind,
    options: { calibration?: number; detSize?: { width: number; height: number } },
  ) => Promise<Uint8Array>;
}

export const variants: Variant[] = [
  { name: 'fp16', make: async (path) => (await convertToFloat16(path)).model },
  // float16 inputs and outputs too (the feeds are rounded to float16 on the way in)
  { name: 'fp16-io', make: async (path) => (await convertToFloat16(path, { float16Io: true })).model },
  // every layer in float16, the first two weighted layers too (what the default keeps in float32)
  { name: 'fp16-all', make: async (path) => (await convertToFloat16(path, { float32LeadingLayers: 0 })).model },
  int8DefaultVariant,
  int8CpuDefaultVariant,
  ...int8Variants,
];

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    det: { type: 'string', default: '6' },
    rec: { type: 'string', default: '24' },
    cls: { type: 'string', default: '32' },
    'det-size': { type: 'string', default: '640' },
    // Calibration samples for int8-default (the tuned variants keep their own counts).
    calibration: { type: 'string', default: '64' },
    'held-out': { type: 'string', default: 'unlike' },
    json: { type: 'string' },
    only: { type: 'string' },
    // Evaluate on samples further into the evaluation split (e.g. ones no setting was chosen on).
    'eval-offset': { type: 'string', default: '0' },
  },
});

const models: { kind: OcrModelKind; path: string; metric: string }[] = [
  { kind: 'det', path: realModels.ocrDet, metric: 'binarized-map IoU (0.3), mean' },
  { kind: 'rec', path: realModels.ocrRec, metric: 'decoded string equal to FP32' },
  { kind: 'cls', path: realModels.ocrCls, metric: 'top-1 agreement' },
];

/** The task-level agreement of two models' answers on the same inputs. */
/** Returns [agreement, rec agreement ignoring leading/trailing spaces (the crop margins' borderline blanks) or the same, the worst sample's]. */
async function taskAgreement(
  kind: OcrModelKind,
  original: Uint8Array,
  optimized: Uint8Array,
  feeds: Feeds[],
  threads: number,
): Promise<[number, number, number]> {
  const a = await OrtRunner.create(original, { threads });
  const b = await OrtRunner.create(optimized, { threads });
  try {
    let total = 0;
    let trimmed = 0;
    let worst = Infinity;
    for (const feed of feeds) {
      const [x] = Object.values(await a.run(feed));
      const [y] = Object.values(await b.run(feed));
      if (kind === 'det') {
        const iou = binaryMapIoU(x, y, 0.3);
        total += iou;
        worst = Math.min(worst, iou);
      } else if (kind === 'rec') {
        total += ctcDecode(x) === ctcDecode(y) ? 1 : 0;
        trimmed += ctcDecode(x).trim() === ctcDecode(y).trim() ? 1 : 0;
      } else total += (x.data[1] as number) > (x.data[0] as number) === (y.data[1] as number) > (y.data[0] as number) ? 1 : 0;
    }
    return [total / feeds.length, (kind === 'rec' ? trimmed : total) / feeds.length, kind === 'det' ? worst : NaN];
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
}

interface Row {
  model: OcrModelKind;
  variant: string;
  samples: number;
  cosineMean: number;
  cosineMin: number;
  maxAbsError: number;
  task: number;
  /** rec/cls with ground truth: accuracy of FP32 and of the variant. */
  accuracy?: { fp32: number; optimized: number };
  /** rec: agreement ignoring leading/trailing spaces; others: same as task. */
  taskTrimmed: number;
  /** det: the lowest IoU of any sample. */
  taskMin?: number;
  taskMetric: string;
  sizeRatio: number;
  latencyRatio: number;
  fp32Ms: number;
  optimizedMs: number;
}

async function main(): Promise<void> {
  const threads = Number(args.threads);
  const rounds = Number(args.rounds);
  const rows: Row[] = [];
  console.log(
    `ONNX Runtime CPU, ${threads} thread(s), ${rounds} interleaved latency rounds; inputs: ${args['held-out'] === 'unlike' ? 'held-out text unlike the calibration renderings' : 'rendered text (evaluation split)'}`,
  );
  for (const { kind, path, metric } of models) {
    const count = Number(args[kind]);
    if (count === 0) continue; // --det 0 and friends skip a model
    const detSize = { width: Number(args['det-size']), height: Number(args['det-size']) };
    const unlike = args['held-out'] === 'unlike';
    const { feeds, labels } = unlike
      ? await unlikeOcrSamples(kind, { count, offset: Number(args['eval-offset']), detSize })
      : { feeds: await ocrFeeds(kind, { split: 'evaluation', count, offset: Number(args['eval-offset']), detSize }), labels: [] };
    const labelTask =
      unlike && kind !== 'det' ? { labels, ...(kind === 'rec' ? { keys: await readCtcKeys(realModels.ocrKeys) } : {}) } : undefined;
    const original = encodeModel(await loadModel(path, { externalData: 'inline' }));
    const only = args.only?.split(',');
    for (const variant of variants.filter((v) => !only || only.includes(v.name))) {
      const optimized = await variant.make(path, kind, { calibration: Number(args.calibration), detSize });
      const report: QualityReport = await compareModels(original, optimized, {
        feeds,
        threads,
        latencyRounds: rounds,
        ...(labelTask ? { task: labelTask } : {}),
      });
      const [task, taskTrimmed, taskMin] = await taskAgreement(kind, original, optimized, feeds, threads);
      const [output] = report.outputs;
      const row: Row = {
        model: kind,
        variant: variant.name,
        samples: count,
        cosineMean: output.cosine.mean,
        cosineMin: output.cosine.min,
        maxAbsError: output.maxAbsError,
        task,
        taskTrimmed,
        ...(kind === 'det' ? { taskMin } : {}),
        taskMetric: metric,
        ...(report.task ? { accuracy: { fp32: report.task.original, optimized: report.task.optimized } } : {}),
        sizeRatio: report.sizeRatio,
        latencyRatio: report.latency!.ratio,
        fp32Ms: report.latency!.originalMs,
        optimizedMs: report.latency!.optimizedMs,
      };
      rows.push(row);
      console.log(
        `${kind.padEnd(3)} ${variant.name.padEnd(8)} n=${String(count).padEnd(3)} cosine mean ${row.cosineMean.toFixed(6)} min ${row.cosineMin.toFixed(6)} | ${metric}: ${row.task.toFixed(4)}${row.taskMin === undefined ? '' : ` (min ${row.taskMin.toFixed(4)})`}${kind === 'rec' ? ` (${row.taskTrimmed.toFixed(4)} ignoring leading/trailing spaces)` : ''} ${row.accuracy ? ` | accuracy vs ground truth: FP32 ${row.accuracy.fp32.toFixed(4)}, optimized ${row.accuracy.optimized.toFixed(4)}` : ''} | size ${row.sizeRatio.toFixed(3)}x | latency ${row.optimizedMs.toFixed(2)} ms vs ${row.fp32Ms.toFixed(2)} ms = ${row.latencyRatio.toFixed(3)}x`,
      );
    }
  }
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ threads, rounds, rows }, null, 2)}\n`);
}

await main();
