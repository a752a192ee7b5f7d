import { describe, expect, test } from 'vitest';
import { buildModel } from '../../../lib/onnx/builder.js';
import { compareModels, formatReport, looksLikeClassScores } from '../../../lib/optimize/report.js';
import { InferenceSession } from '../../../lib/session.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyMlp } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';
import { expectCode } from '../../shared/rejection.js';

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

/** The probabilities ([2, 3] per feed) the model gives for each feed. */
async function outputsOf(model: Uint8Array): Promise<Float32Array[]> {
  const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' });
  try {
    const out: Float32Array[] = [];
    for (const feed of feeds) out.push((await session.run(feed)).probabilities!.as('float32').data);
    return out;
  } finally {
    await session.dispose();
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** The class with the highest score in row `row` of a [rows, 3] matrix. */
function argmax(scores: Float32Array, row: number): number {
  const slice = Array.from(scores.subarray(row * 3, row * 3 + 3));
  return slice.indexOf(Math.max(...slice));
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
    expect(report).toMatchObject({ originalBytes: model.byteLength, optimizedBytes: model.byteLength });
    // Times are not asserted, only what the report makes of them: medians of 2 rounds x 3 feeds, one thread.
    const latency = report.latency!;
    expect(latency).toMatchObject({ runsPerModel: 6, threads: 1 });
    expect(latency.ratio).toBe(latency.optimizedMs / latency.originalMs);
    expect(formatReport(report)).toMatch(
      /probabilities: cosine mean 1\.000000 min 1\.000000, max \|error\| 0\.00e\+0, top-1 agreement 100\.00%/,
    );
  });

  test('a model that disagrees shows it in every measure', async () => {
    const report = await compareModels(shiftedMlp(0), shiftedMlp(3), { feeds, latencyRounds: 0 });
    const [output] = report.outputs;
    // The same measures computed here from both models' outputs on ONNX Runtime, row by row.
    const [reference, shifted] = await Promise.all([outputsOf(shiftedMlp(0)), outputsOf(shiftedMlp(3))]);
    const cosines = reference.map((a, i) => cosine(a, shifted[i]));
    const errors = reference.flatMap((a, i) => Array.from(a, (value, j) => Math.abs(value - shifted[i][j])));
    const rows = reference.flatMap((a, i) => [0, 1].map((row) => argmax(a, row) === argmax(shifted[i], row)));
    expect(output.cosine.min).toBeCloseTo(Math.min(...cosines), 12);
    expect(output.cosine.mean).toBeCloseTo(cosines.reduce((sum, c) => sum + c, 0) / cosines.length, 12);
    expect(output.maxAbsError).toBeCloseTo(Math.max(...errors), 12);
    expect(output.meanAbsError).toBeCloseTo(errors.reduce((sum, e) => sum + e, 0) / errors.length, 12);
    expect(output.top1Agreement).toBe(rows.filter(Boolean).length / rows.length);
    // A shift of 3 on the logits moves every measure well away from agreement.
    expect(output.cosine.min).toBeLessThan(0.99);
    expect(output.top1Agreement).toBeLessThan(1);
    expect(report.latency).toBeUndefined();
  });

  test('no feeds is an error; so is an abort', async () => {
    await expect(compareModels(tinyMlp(), tinyMlp(), { feeds: [] })).rejects.toThrow(/Expected at least one feed/);
    await expectCode(
      compareModels(tinyMlp(), tinyMlp(), { feeds, signal: AbortSignal.abort(new Error('stop')) }),
      'ERR_ABORTED',
      'The quality report was aborted: stop',
    );
  });

  test('class scores: [batch, classes] matrices and probability rows, not sigmoid maps', () => {
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([0.2, -1, 3, 0.5]), [2, 2]))).toBe(true);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([0.25, 0.75, 0.5, 0.5, 1, 0]), [1, 3, 2]))).toBe(true);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([0.9, 0.8, 0.1, 0.7]), [1, 1, 2, 2]))).toBe(false);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([1, 2, 3]), [3]))).toBe(false);
    expect(looksLikeClassScores(new Tensor('float32', new Float32Array([1, 2]), [2, 1]))).toBe(false);
  });
});
