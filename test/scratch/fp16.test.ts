import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'vitest';
import * as ort from 'onnxruntime-node';
import { decodeModel, encodeModel } from '../../lib/onnx/model-io.js';
import { convertModelProtoToFloat16 } from '../../lib/optimize/fp16.js';
import { realModels } from '../fixtures/real-models.js';
import { tinyMlp, tinyConvNet } from '../fixtures/onnx-models.js';
test('convert', async () => {
  const cases: [string, Uint8Array][] = [['mlp', tinyMlp()], ['conv', tinyConvNet()], ...Object.entries(realModels).filter(([, p]) => p.endsWith('.onnx')).map(([n, p]) => [n, readFileSync(p)] as [string, Uint8Array])];
  for (const [name, bytes] of cases) {
    for (const keepIoTypes of [false, true]) {
      const model = decodeModel(bytes);
      const stats = convertModelProtoToFloat16(model, { keepIoTypes });
      const out = encodeModel(model);
      writeFileSync(`/tmp/fp16-${name}-${keepIoTypes}.onnx`, out);
      try {
        const s = await ort.InferenceSession.create(out);
        console.log(name, keepIoTypes, out.length / bytes.length, JSON.stringify({ ...stats, warnings: stats.warnings.length }), s.inputNames, s.outputNames);
      } catch (e) {
        console.log(name, keepIoTypes, 'FAILED', String(e).slice(0, 500));
      }
    }
  }
});
