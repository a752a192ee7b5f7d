import { readFileSync } from 'node:fs';
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
  for (const [name, build] of Object.entries(fixtureModels)) {
    test(`fixture ${name}`, () => {
      const bytes = build();
      expectSameBytes(encodeModel(decodeModel(bytes)), bytes);
    });
  }
});
