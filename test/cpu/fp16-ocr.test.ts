/**
 * FP16 versions of the real PP-OCRv4 models (det, rec) and the PP-OCR mobile classifier run on
 * ONNX Runtime's CPU provider, on rendered text (evaluation split), and stay within the targets:
 * cosine >= 0.9999 against FP32 and a file of at most 0.52x.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { convertToFloat16 } from '../../lib/optimize/convert-fp16.js';
import { OrtRunner } from '../../lib/optimize/ort-runner.js';
import { type OcrModelKind, ocrFeeds } from '../data/ocr-inputs.js';
import { binaryMapIoU, ctcDecode } from '../data/ocr-metrics.js';
import { realModels } from '../fixtures/real-models.js';
import { unlikeOcrSamples } from '../data/ocr-unlike-inputs.js';
import { compareModels } from '../../lib/optimize/report.js';
import { encodeModel, loadModel } from '../../lib/onnx/model-io.js';

const cases: { kind: OcrModelKind; path: string; samples: number }[] = [
  { kind: 'det', path: realModels.ocrDet, samples: 2 },
  { kind: 'rec', path: realModels.ocrRec, samples: 4 },
  { kind: 'cls', path: realModels.ocrCls, samples: 6 },
];

describe.each(cases)('PP-OCR $kind in FP16', ({ kind, path, samples }) => {
  let fp16: Uint8Array;
  let report: Awaited<ReturnType<typeof convertToFloat16>>['report'];
  beforeAll(async () => {
    const feeds = await ocrFeeds(kind, { split: 'evaluation', count: samples });
    ({ model: fp16, report } = await convertToFloat16(path, { evaluation: { feeds, latencyRounds: 0, threads: 2 } }));
  });

  test('is at most 0.52x the size', () => {
    expect(report.sizeRatio).toBeLessThanOrEqual(0.52);
    expect(report.optimizedBytes).toBe(fp16.byteLength);
    expect(report.originalBytes).toBe(readFileSync(path).byteLength);
  });

  test('reaches cosine >= 0.9999 against FP32 on rendered text', () => {
    const quality = report.quality!;
    expect(quality.samples).toBe(samples);
    for (const output of quality.outputs) {
      expect(output.cosine.min).toBeGreaterThanOrEqual(0.9999);
      if (output.top1Agreement !== undefined) expect(output.top1Agreement).toBeGreaterThanOrEqual(0.99);
    }
    expect(quality.outputs.map((o) => o.top1Agreement !== undefined)).toEqual([kind !== 'det']);
  });

  test('gives the same task-level answer as FP32', async () => {
    const feeds = await ocrFeeds(kind, { split: 'evaluation', count: 2, offset: 100 });
    const reference = await OrtRunner.create(encodeModel(await loadModel(path)), { threads: 2 });
    const candidate = await OrtRunner.create(fp16, { threads: 2 });
    try {
      for (const feed of feeds) {
        const [a] = Object.values(await reference.run(feed));
        const [b] = Object.values(await candidate.run(feed));
        if (kind === 'det') expect(binaryMapIoU(a, b, 0.3)).toBeGreaterThan(0.99);
        if (kind === 'rec') expect(ctcDecode(b)).toBe(ctcDecode(a));
        if (kind === 'cls')
          expect(Math.sign((b.data[1] as number) - (b.data[0] as number))).toBe(Math.sign((a.data[1] as number) - (a.data[0] as number)));
      }
    } finally {
      await Promise.all([reference.dispose(), candidate.dispose()]);
    }
  });
});

describe('PP-OCR rec in FP16 on held-out text unlike the usual renderings', () => {
  test('keeping the first two layers in float32 (the default) at least nearly halves the cosine distance to FP32', async () => {
    const { feeds } = await unlikeOcrSamples('rec', { count: 16 });
    const reference = encodeModel(await loadModel(realModels.ocrRec));
    const distance = async (float32LeadingLayers?: number) => {
      const { model, report } = await convertToFloat16(realModels.ocrRec, { float32LeadingLayers });
      const quality = await compareModels(reference, model, { feeds, latencyRounds: 0, threads: 2 });
      return { distance: 1 - quality.outputs[0].cosine.mean, kept: report.conversion.leadingLayersKeptFloat32, size: report.sizeRatio };
    };
    const byDefault = await distance();
    const none = await distance(0);
    expect(byDefault.kept).toEqual(['p2o.Conv.0', 'p2o.Conv.1']);
    expect(none.kept).toEqual([]);
    expect(byDefault.distance).toBeLessThan(1e-4);
    expect(byDefault.distance).toBeLessThan(0.6 * none.distance);
    expect(byDefault.size).toBeLessThanOrEqual(0.52);
  });
});
