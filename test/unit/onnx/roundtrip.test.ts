import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { decodeModel, encodeModel } from '../../../lib/onnx/model-io.js';
import { fixtureModels } from '../../fixtures/onnx-models.js';
import { realModels } from '../../fixtures/real-models.js';

function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  // Buffer.compare keeps the failure message short for megabyte models.
  expect(Buffer.compare(Buffer.from(actual), Buffer.from(expected))).toBe(0);
}

describe('decode -> encode gives back the same bytes', () => {
  const real = {
    'PP-OCRv4 det': realModels.ocrDet,
    'PP-OCRv4 rec': realModels.ocrRec,
    'PP-OCR mobile cls': realModels.ocrCls,
    'silero VAD': realModels.sileroVad,
  };
  for (const [name, path] of Object.entries(real)) {
    test(name, () => {
      const bytes = readFileSync(path);
      const model = decodeModel(bytes);
      expect(model.graph?.node.length).toBeGreaterThan(0);
      expectSameBytes(encodeModel(model), bytes);
    });
  }
  // Any .onnx file a test suite keeps on disk joins the round trip.
  const testRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const onDisk = (readdirSync(testRoot, { recursive: true }) as string[])
    .filter((path) => path.endsWith('.onnx'))
    .map((path) => join(testRoot, path));
  for (const path of onDisk) {
    test(`test file ${relative(testRoot, path)}`, () => {
      const bytes = readFileSync(path);
      expectSameBytes(encodeModel(decodeModel(bytes)), bytes);
    });
  }
  for (const [name, build] of Object.entries(fixtureModels)) {
    test(`fixture ${name}`, () => {
      const bytes = build();
      expectSameBytes(encodeModel(decodeModel(bytes)), bytes);
    });
  }
});
