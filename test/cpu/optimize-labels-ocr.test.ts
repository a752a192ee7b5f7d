/** `optimize --eval dir --labels labels.json` on the real PP-OCR models: task accuracy of both models against ground truth. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { encodeModel, loadModel } from '../../lib/onnx/model-io.js';
import { OrtRunner } from '../../lib/optimize/ort-runner.js';
import { SPLIT_SEEDS, ocrFeeds, sampleText, writeOcrNpyDirectory } from '../data/ocr-inputs.js';
import { ctcDecode } from '../data/ocr-metrics.js';
import { captureStdout, optimizeCli } from '../fixtures/optimize-cli.js';
import { realModels } from '../fixtures/real-models.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-labels-ocr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stdout = captureStdout();
const cli = optimizeCli();
const name = (i: number) => String(i).padStart(4, '0');

function accuracyLine(text: string): { original: number; optimized: number; samples: number } {
  const match = /accuracy[^:]* against the labels: original ([\d.]+)%, optimized ([\d.]+)% \((\d+) samples/.exec(text);
  expect(match, text).not.toBeNull();
  return { original: Number(match![1]) / 100, optimized: Number(match![2]) / 100, samples: Number(match![3]) };
}

test('cls: top-1 accuracy against upside-down labels; one wrong label costs exactly one sample', async () => {
  const evalDir = join(dir, 'cls');
  await writeOcrNpyDirectory('cls', { split: 'evaluation', count: 8 }, evalDir);
  // Odd seeds are rendered upside down: class 1 ("180") of the classifier.
  const truth = Object.fromEntries([...Array(8).keys()].map((i) => [name(i), (SPLIT_SEEDS.evaluation + i) % 2]));
  writeFileSync(join(dir, 'cls.json'), JSON.stringify(truth));
  writeFileSync(join(dir, 'cls-wrong.json'), JSON.stringify({ ...truth, '0003': 1 - truth['0003'] }));
  await cli(
    'optimize',
    realModels.ocrCls,
    '--fp16',
    '-o',
    join(dir, 'cls.fp16.onnx'),
    '--eval',
    evalDir,
    '--labels',
    join(dir, 'cls.json'),
    '--latency-rounds',
    '0',
  );
  const right = accuracyLine(stdout());
  expect(stdout()).toMatch(/top-1 accuracy against the labels/);
  await cli(
    'optimize',
    realModels.ocrCls,
    '--fp16',
    '-o',
    join(dir, 'cls2.fp16.onnx'),
    '--eval',
    evalDir,
    '--labels',
    join(dir, 'cls-wrong.json'),
    '--latency-rounds',
    '0',
  );
  const wrong = accuracyLine(stdout().slice(stdout().indexOf('cls2.fp16.onnx')));
  expect(right.samples).toBe(8);
  expect(right.original).toBeGreaterThanOrEqual(0.75);
  expect(Math.abs(right.original - wrong.original)).toBeCloseTo(1 / 8, 4);
});

test('rec: text accuracy through the keys file matches decoding the FP32 outputs independently', async () => {
  const evalDir = join(dir, 'rec');
  const count = 4;
  await writeOcrNpyDirectory('rec', { split: 'evaluation', count }, evalDir);
  const texts = [...Array(count).keys()].map((i) => sampleText(SPLIT_SEEDS.evaluation + i));
  writeFileSync(join(dir, 'rec.json'), JSON.stringify(Object.fromEntries(texts.map((text, i) => [name(i), text]))));
  await cli(
    'optimize',
    realModels.ocrRec,
    '--fp16',
    '-o',
    join(dir, 'rec.fp16.onnx'),
    '--eval',
    evalDir,
    '--labels',
    join(dir, 'rec.json'),
    '--keys',
    realModels.ocrKeys,
    '--latency-rounds',
    '0',
  );
  expect(stdout()).toMatch(/text accuracy \(CTC, whitespace ignored\) against the labels/);
  const reported = accuracyLine(stdout());
  const runner = await OrtRunner.create(encodeModel(await loadModel(realModels.ocrRec)));
  let right = 0;
  for (const [i, feed] of (await ocrFeeds('rec', { split: 'evaluation', count })).entries()) {
    if (ctcDecode(Object.values(await runner.run(feed))[0]).replace(/\s+/g, '') === texts[i].replace(/\s+/g, '')) right++;
  }
  await runner.dispose();
  expect(reported.original).toBeCloseTo(right / count, 4);
});

test('text labels without --keys, and --labels without --eval, are refused before any work', async () => {
  writeFileSync(join(dir, 'text.json'), JSON.stringify({ '0000': 'abc' }));
  const evalDir = join(dir, 'one');
  await writeOcrNpyDirectory('cls', { split: 'evaluation', count: 1 }, evalDir);
  await expect(
    cli('optimize', realModels.ocrCls, '--fp16', '-o', join(dir, 'x.onnx'), '--eval', evalDir, '--labels', join(dir, 'text.json')),
  ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/keys/) });
  await expect(
    cli('optimize', realModels.ocrCls, '--fp16', '-o', join(dir, 'x.onnx'), '--labels', join(dir, 'text.json')),
  ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/Expected --eval <dir> with --labels/) });
});
