import { describe, expect, test } from 'vitest';
import { buildModel } from '../../../lib/onnx/builder.js';
import { compareModels, formatReport, looksLikeClassScores } from '../../../lib/optimize/report.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyMlp } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';

const feeds = [0, 1, 2].map((i) => ({ x: new Tensor('float32', randomFloats(8, 50 + i, 2), [2, 4]) }));

/** The tiny MLP with its second bias shifted: a model that disagrees with the original by a known amount. */
function shiftedMlp(shift: number): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', dims: ['batch', 4] }],
    outputs: [{ name: 'probabilities', dtype: 'float32', dims: ['batch', 3] }],
    initializers: [
      { name: 'shift', dtype: 'float32', dims: [3], data: [shift, 0, -shift] },
      { name: 'w', dtype: 'float32', dims: [4, 3], data: randomFloats(12, 3) },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
      { op: 'Add', inputs: ['h', 'shift'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attributes: { axis: -1 } },
    ],
  });
}

describe('quality report', () => {
  test('a model against itself: cosine 1, no error, full agreement, size ratio 1', async () => {
    const model = tinyMlp();
    const report = await compareModels(model, model, { feeds, latencyRounds: 2 });
    expect(report.samples).toBe(3);
    expect(report.sizeRatio).toBe(1);
    const [output] = report.outputs;
    expect(output.name).toBe('probabilities');
    expect(output.cosine.min).toBeCloseTo(1, 12);
    expect(output.maxAbsError).toBe(0);
    expect(output.top1Agreement).toBe(1);
    expect(report.latency!.runsPerModel).toBe(6);
    expect(report.latency!.ratio).toBeGreaterThan(0);
    expect(formatReport(report)).toMatch(
      /probabilities: cosine mean 1\.000000 min 1\.000000, max \|error\| 0\.00e\+0, top-1 agreement 100\.00%/,
    );
  });

  test('a model that disagrees shows it in every measure', async () => {
    const report = await compareModels(shiftedMlp(0), shiftedMlp(3), { feeds, latencyRounds: 0 });
    const [output] = report.outputs;
    expect(output.cosine.min).toBeLessThan(0.99);
    expect(output.maxAbsError).toBeGreaterThan(0.1);
    expect(output.top1Agreement).toBeLessThan(1);
    expect(report.latency).toBeUndefined();
  });

  test('no feeds is an error; so is an abort', async () => {
    await expect(compareModels(tinyMlp(), tinyMlp(), { feeds: [] })).rejects.toThrow(/Expected at least one feed/);
    await expect(compareModels(tinyMlp(), tinyMlp(), { feeds, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
  });

  test('class scores: [batch, classes] matrices and probability rows, not sigmoid maps', () => {
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([0.2, -1, 3, 0.5]), [2, 2]))).toBe(true);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([0.25, 0.75, 0.5, 0.5, 1, 0]), [1, 3, 2]))).toBe(true);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([0.9, 0.8, 0.1, 0.7]), [1, 1, 2, 2]))).toBe(false);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([1, 2, 3]), [3]))).toBe(false);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([1, 2]), [2, 1]))).toBe(false);
  });
});
