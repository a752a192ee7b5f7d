/** `tensorrt-node optimize` end to end on a real model, with a quality report from .npy inputs on disk. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { writeOcrNpyDirectory } from '../data/ocr-inputs.js';
import { captureStdout, optimizeCli } from '../fixtures/optimize-cli.js';
import { realModels } from '../fixtures/real-models.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-cli-ocr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stdout = captureStdout();
const cli = optimizeCli();

test('optimize PP-OCR cls --fp16 --eval <npy dir> prints a report with top-1 agreement and writes a 0.52x model', async () => {
  const evalDir = join(dir, 'eval');
  expect((await writeOcrNpyDirectory('cls', { split: 'evaluation', count: 8 }, evalDir)).length).toBe(8);
  const output = join(dir, 'cls.fp16.onnx');
  await cli('optimize', realModels.ocrCls, '--fp16', '-o', output, '--eval', evalDir, '--latency-rounds', '1');
  expect(readFileSync(output).byteLength / readFileSync(realModels.ocrCls).byteLength).toBeLessThanOrEqual(0.52);
  expect(stdout()).toMatch(/quality on 8 held-out inputs/);
  expect(stdout()).toMatch(/softmax_0\.tmp_0: cosine mean (1\.000000|0\.9999\d+) .* top-1 agreement 100\.00%/);
  expect(stdout()).toMatch(/size: \d+ \/ 578966 bytes = 0\.5[0-2]\dx/);
});
