import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'vitest';
import sharp from 'sharp';
import { decodeModel, encodeModel } from '../../lib/onnx/model-io.js';
import { convertModelProtoToFloat16 } from '../../lib/optimize/fp16.js';
import { compareModels, formatReport } from '../../lib/optimize/report.js';
import { OrtRunner } from '../../lib/optimize/ort-runner.js';
import { realModels } from '../fixtures/real-models.js';
import { ocrFeeds, renderPage, renderTextLine, sampleText, SPLIT_SEEDS } from '../data/ocr-inputs.js';
import { binaryMapIoU, ctcDecode } from '../data/ocr-metrics.js';
test('quality', async () => {
  const page = await renderPage(SPLIT_SEEDS.evaluation, 640, 640);
  await sharp(page.data, { raw: { width: 640, height: 640, channels: 3 } }).png().toFile('/tmp/page.png');
  const line = await renderTextLine(SPLIT_SEEDS.evaluation);
  await sharp(line.data, { raw: { width: line.width, height: line.height, channels: 3 } }).png().toFile('/tmp/line.png');
  const fp32 = readFileSync(realModels.ocrRec);
  const r = await OrtRunner.create(fp32, { threads: 2 });
  const feeds = await ocrFeeds('rec', { split: 'evaluation', count: 6 });
  for (let i = 0; i < 6; i++) console.log(JSON.stringify(sampleText(SPLIT_SEEDS.evaluation + i)), '->', JSON.stringify(ctcDecode((await r.run(feeds[i]))['softmax_11.tmp_0'])));
  const cls = await OrtRunner.create(readFileSync(realModels.ocrCls));
  for (const f of await ocrFeeds('cls', { split: 'evaluation', count: 4 })) console.log('cls', Array.from((await cls.run(f))['softmax_0.tmp_0'].data as Float32Array));
  for (const [kind, path, n] of [['cls', realModels.ocrCls, 8], ['rec', realModels.ocrRec, 6], ['det', realModels.ocrDet, 3]] as const) {
    const bytes = readFileSync(path);
    const m = decodeModel(bytes);
    convertModelProtoToFloat16(m, { keepIoTypes: true });
    const out = encodeModel(m);
    const f = await ocrFeeds(kind, { split: 'evaluation', count: n });
    const rep = await compareModels(bytes, out, { feeds: f, latencyRounds: 1, threads: 2 });
    console.log(kind, formatReport(rep));
    if (kind === 'det') {
      const a = await OrtRunner.create(bytes); const b = await OrtRunner.create(out);
      for (const x of f) { const ya = (await a.run(x))['sigmoid_0.tmp_0']; const yb = (await b.run(x))['sigmoid_0.tmp_0']; let on = 0; for (const v of ya.data as Float32Array) if (v > 0.3) on++; console.log('det iou', binaryMapIoU(ya, yb), 'on', on / ya.data.length); }
    }
  }
}, 600000);
