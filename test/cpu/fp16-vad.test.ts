/**
 * Silero VAD keeps its 16 kHz and 8 kHz networks in the branches of an If, with LSTM state in and
 * out: the FP16 conversion of real subgraphs, run frame after frame with the state fed back.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { convertToFloat16 } from '../../lib/optimize/convert-fp16.js';
import { getAttribute } from '../../lib/onnx/graph.js';
import { decodeModel } from '../../lib/onnx/model-io.js';
import { DataType } from '../../lib/onnx/types.js';
import { OrtRunner } from '../../lib/optimize/ort-runner.js';
import { Tensor } from '../../lib/tensor.js';
import { realModels } from '../fixtures/real-models.js';
import { seededRandom } from '../fixtures/random.js';

/** A tone that starts after silence, with a little noise: speech-like enough to move the detector. */
function audio(rate: number, samples: number): Float32Array {
  const next = seededRandom(rate);
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const voiced =
      i > samples / 3 ? 0.5 * Math.sin((2 * Math.PI * 220 * i) / rate) * (1 + 0.3 * Math.sin((2 * Math.PI * 3 * i) / rate)) : 0;
    out[i] = voiced + (next() - 0.5) * 0.02;
  }
  return out;
}

describe('silero VAD in FP16', () => {
  test('both If branches are converted, and probabilities track FP32 frame by frame', async () => {
    const original = readFileSync(realModels.sileroVad);
    const { model, report } = await convertToFloat16(original);
    expect(report.sizeRatio).toBeLessThan(0.52);
    const ifNode = decodeModel(model).graph!.node.find((node) => node.opType === 'If')!;
    for (const branch of ['then_branch', 'else_branch']) {
      const graph = getAttribute(ifNode, branch)!.g!;
      expect(
        graph.initializer.some((tensor) => tensor.dataType === DataType.FLOAT16) || graph.node.some((node) => node.opType === 'Cast'),
      ).toBe(true);
    }
    const reference = await OrtRunner.create(original);
    const candidate = await OrtRunner.create(model);
    try {
      for (const [rate, frame] of [
        [16000, 512],
        [8000, 256],
      ]) {
        const signal = audio(rate, frame * 12);
        let stateA: Record<'h' | 'c', Tensor> = {
          h: new Tensor('float32', new Float32Array(128), [2, 1, 64]),
          c: new Tensor('float32', new Float32Array(128), [2, 1, 64]),
        };
        let stateB = stateA;
        let maxDifference = 0;
        let sawSpeech = false;
        for (let start = 0; start < signal.length; start += frame) {
          const input = new Tensor('float32', signal.slice(start, start + frame), [1, frame]);
          const sr = new Tensor('int64', new BigInt64Array([BigInt(rate)]), []);
          const a = await reference.run({ input, sr, ...stateA });
          const b = await candidate.run({ input, sr, ...stateB });
          const pa = (a.output.data as Float32Array)[0];
          const pb = (b.output.data as Float32Array)[0];
          sawSpeech ||= pa > 0.5;
          maxDifference = Math.max(maxDifference, Math.abs(pa - pb));
          stateA = { h: a.hn, c: a.cn };
          stateB = { h: b.hn, c: b.cn };
        }
        expect(sawSpeech, `${rate} Hz: the tone must be detected for the comparison to mean something`).toBe(true);
        expect(maxDifference, `${rate} Hz`).toBeLessThan(0.01); // measured: 0.0007 (16 kHz), 0.0011 (8 kHz)
      }
    } finally {
      await Promise.all([reference.dispose(), candidate.dispose()]);
    }
  });
});
