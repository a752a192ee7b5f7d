import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkTaskOptions, ctcGreedyDecode, readCtcKeys, readLabelsFile, topOneClass } from '../../../lib/optimize/task-accuracy.js';
import { compareModels } from '../../../lib/optimize/report.js';
import { convertToFloat16 } from '../../../lib/optimize/convert-fp16.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyMlp } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-task-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A [1, steps, classes] one-hot sequence of the given classes. */
function steps(classes: number, path: number[]): Tensor {
  const data = new Float32Array(path.length * classes);
  path.forEach((c, t) => (data[t * classes + c] = 1));
  return new Tensor('float32', data, [1, path.length, classes]);
}

describe('task accuracy', () => {
  test('greedy CTC: repeats merge, blanks split them and drop out; one class past the keys is a space', () => {
    const keys = ['a', 'b', 'c'];
    expect(ctcGreedyDecode(steps(4, [1, 1, 0, 1, 2, 2, 0, 0, 3]), keys)).toBe('aabc');
    expect(ctcGreedyDecode(steps(5, [1, 4, 2]), keys)).toBe('a b');
    expect(() => ctcGreedyDecode(steps(7, [1]), keys)).toThrow(/Expected 4 or 5 classes .* but received 7/);
  });

  test('top-1 of one row; labels.json in sample order; keys files', async () => {
    expect(topOneClass(new Tensor('float32', new Float32Array([0.1, 0.7, 0.2]), [1, 3]))).toBe(1);
    expect(() => topOneClass(new Tensor('float32', new Float32Array(6), [2, 3]))).toThrow(/one row of class scores/);
    const labels = join(dir, 'labels.json');
    writeFileSync(labels, JSON.stringify({ b: 'text', a: 2, c: 1.5 }));
    expect(await readLabelsFile(labels, ['a', 'b'])).toEqual([2, 'text']);
    await expect(readLabelsFile(labels, ['a', 'missing'])).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/the label of sample "missing"/),
    });
    await expect(readLabelsFile(labels, ['c'])).rejects.toMatchObject({
      message: expect.stringMatching(/class index .* but received 1.5/),
    });
    await expect(readLabelsFile(join(dir, 'none.json'), ['a'])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const keys = join(dir, 'keys.txt');
    writeFileSync(keys, 'x\ny\n');
    expect(await readCtcKeys(keys)).toEqual(['x', 'y']);
    expect(() => checkTaskOptions({ labels: ['a', 1] }, 2)).toThrow(/all class indices or all texts/);
    expect(() => checkTaskOptions({ labels: ['a'] }, 1)).toThrow(/keys/);
    expect(() => checkTaskOptions({ labels: [1] }, 2)).toThrow(/one label per sample \(2\)/);
  });

  test("compareModels gives both models' top-1 accuracy against the labels, and how often they agree", async () => {
    const original = tinyMlp();
    const { model } = await convertToFloat16(original);
    const feeds = [0, 1, 2, 3].map((seed) => ({ x: new Tensor('float32', randomFloats(4, 40 + seed), [1, 4]) }));
    const plain = await compareModels(original, original, { feeds, latencyRounds: 0 });
    expect(plain.task).toBeUndefined();
    // The original's own answers as labels, with the last one made wrong on purpose.
    const answers: number[] = [];
    const { OrtRunner } = await import('../../../lib/optimize/ort-runner.js');
    const runner = await OrtRunner.create(original);
    for (const feed of feeds) answers.push(topOneClass(Object.values(await runner.run(feed))[0]));
    await runner.dispose();
    const labels = [...answers.slice(0, 3), (answers[3] + 1) % 3];
    const report = await compareModels(original, model, { feeds, latencyRounds: 0, task: { labels } });
    expect(report.task).toEqual({ kind: 'top-1', output: 'probabilities', samples: 4, original: 0.75, optimized: 0.75, agreement: 1 });
    await expect(compareModels(original, model, { feeds, latencyRounds: 0, task: { labels, output: 'nope' } })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_TENSOR',
    });
  });
});
