import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildModel } from '../../../lib/onnx/builder.js';
import { initializerMap } from '../../../lib/onnx/graph.js';
import { decodeModel } from '../../../lib/onnx/model-io.js';
import { readTensor } from '../../../lib/onnx/tensor-data.js';
import { pruneStructured } from '../../../lib/optimize/prune.js';
import { pruneMode } from '../../../lib/cli/optimize-prune.js';
import { fp16Mode } from '../../../lib/cli/optimize.js';
import { Tensor } from '../../../lib/tensor.js';
import { randomFloats } from '../../fixtures/random.js';
import { captureStdout, optimizeCli } from '../../fixtures/optimize-cli.js';

/**
 * Five weighted layers: a dense Conv (8 input channels), a depthwise Conv, a Conv with 6 input
 * channels, a Gemm with transB (8 inputs) and a MatMul (8 inputs).
 */
function mixedModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', dims: [1, 8, 4, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1, 5] }],
    initializers: [
      { name: 'dense.w', dtype: 'float32', dims: [6, 8, 3, 3], data: randomFloats(6 * 8 * 9, 1) },
      { name: 'depthwise.w', dtype: 'float32', dims: [6, 1, 3, 3], data: randomFloats(54, 2) },
      { name: 'six.w', dtype: 'float32', dims: [8, 6, 1, 1], data: randomFloats(48, 3) },
      { name: 'fc.w', dtype: 'float32', dims: [8, 8], data: randomFloats(64, 4) },
      { name: 'head.w', dtype: 'float32', dims: [8, 5], data: randomFloats(40, 5) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'dense.w'], outputs: ['a'], name: 'dense', attributes: { pads: { type: 'ints', value: [1, 1, 1, 1] } } },
      {
        op: 'Conv',
        inputs: ['a', 'depthwise.w'],
        outputs: ['b'],
        name: 'depthwise',
        attributes: { group: { type: 'int', value: 6 }, pads: { type: 'ints', value: [1, 1, 1, 1] } },
      },
      { op: 'Conv', inputs: ['b', 'six.w'], outputs: ['c'], name: 'six' },
      { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc.w'], outputs: ['g'], name: 'fc', attributes: { transB: { type: 'int', value: 1 } } },
      { op: 'MatMul', inputs: ['g', 'head.w'], outputs: ['y'], name: 'head' },
    ],
  });
}

function weights(bytes: Uint8Array): Map<string, Float32Array> {
  const inits = initializerMap(decodeModel(bytes).graph!);
  return new Map([...inits].map(([name, tensor]) => [name, readTensor(tensor).data as Float32Array]));
}

/**
 * Checks the 2:4 pattern independently of the pruner: for each group of four values along the input
 * channel axis (element index = (outer * channels + c) * inner + inner index), at most two are
 * non-zero, and those kept are the two largest magnitudes of the original group.
 */
function expectTwoFour(original: Float32Array, pruned: Float32Array, outer: number, channels: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c += 4) {
      for (let i = 0; i < inner; i++) {
        const at = [0, 1, 2, 3].map((k) => (o * channels + c + k) * inner + i);
        const kept = at.filter((index) => pruned[index] !== 0);
        expect(kept.length).toBeLessThanOrEqual(2);
        const largest = [...at].sort((p, q) => Math.abs(original[q]) - Math.abs(original[p])).slice(0, 2);
        expect(new Set(kept)).toEqual(new Set(largest.filter((index) => original[index] !== 0)));
        for (const index of kept) expect(pruned[index]).toBe(original[index]);
      }
    }
  }
}

describe('2:4 structured pruning', () => {
  test('qualifying weights are 2:4 along the input channels in every group; the others are untouched', async () => {
    const original = mixedModel();
    const { model, report } = await pruneStructured(original);
    const before = weights(original);
    const after = weights(model);
    expectTwoFour(before.get('dense.w')!, after.get('dense.w')!, 6, 8, 9);
    expectTwoFour(before.get('fc.w')!, after.get('fc.w')!, 8, 8, 1); // Gemm transB: [out, in]
    expectTwoFour(before.get('head.w')!, after.get('head.w')!, 1, 8, 5); // MatMul: [in, out]
    expect(after.get('depthwise.w')).toEqual(before.get('depthwise.w'));
    expect(after.get('six.w')).toEqual(before.get('six.w'));

    expect(report.pattern).toBe('2:4');
    expect(report.weightedLayers).toBe(5);
    expect(report.prunedLayers).toEqual(['dense', 'fc', 'head']);
    expect(report.skipped).toEqual([
      { node: 'depthwise', opType: 'Conv', reason: 'depthwise convolution (one input channel per group)' },
      { node: 'six', opType: 'Conv', reason: '6 input channels per group is not a multiple of 4' },
    ]);
    expect(report.denseGroups).toBe(0);
    const total = 432 + 54 + 48 + 64 + 40;
    expect(report.weightElements).toBe(total);
    expect(report.prunedLayerElements).toBe(432 + 64 + 40);
    expect(report.zeroElements).toBe((432 + 64 + 40) / 2);
    expect(report.sparsity).toBeCloseTo((432 + 64 + 40) / 2 / total, 12);
    expect(report.keptDense).toEqual([]);
    expect(report.quality).toBeUndefined();
  });

  test('exclusions by name or op type, and a quality report on evaluation inputs', async () => {
    const feeds = [0, 1, 2].map((seed) => ({ x: new Tensor('float32', randomFloats(128, 10 + seed), [1, 8, 4, 4]) }));
    const { model, report } = await pruneStructured(mixedModel(), {
      exclude: { nodes: ['fc'], opTypes: ['MatMul'] },
      evaluation: { feeds, latencyRounds: 0 },
    });
    expect(report.prunedLayers).toEqual(['dense']);
    expect(report.excluded).toEqual(['fc', 'head']);
    expect(weights(model).get('fc.w')).toEqual(weights(mixedModel()).get('fc.w'));
    expect(report.quality!.samples).toBe(3);
    expect(report.quality!.outputs[0].cosine.mean).toBeLessThan(1);
  });

  test('sensitivity: the layer whose pruning moves the outputs most stays dense', async () => {
    const samples = [0, 1, 2, 3].map((seed) => ({ x: new Tensor('float32', randomFloats(128, 20 + seed), [1, 8, 4, 4]) }));
    const { model, report } = await pruneStructured(mixedModel(), { keepDenseLayers: 1, samples });
    expect(report.sensitivity.map((entry) => entry.node).sort()).toEqual(['dense', 'fc', 'head']);
    const errors = report.sensitivity.map((entry) => entry.error);
    expect(errors).toEqual([...errors].sort((a, b) => b - a));
    expect(errors[0]).toBeGreaterThan(0);
    const worst = report.sensitivity[0].node;
    expect(report.keptDense).toEqual([worst]);
    expect(report.prunedLayers).toEqual(['dense', 'fc', 'head'].filter((name) => name !== worst));
    const weightOf = { dense: 'dense.w', fc: 'fc.w', head: 'head.w' } as Record<string, string>;
    expect(weights(model).get(weightOf[worst])).toEqual(weights(mixedModel()).get(weightOf[worst]));
  });

  test('bad options are refused', async () => {
    await expect(pruneStructured(mixedModel(), { pattern: '1:4' as '2:4' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/options.pattern/),
    });
    await expect(pruneStructured(mixedModel(), { keepDenseLayers: 2 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/Expected samples .* with keepDenseLayers for options.samples but received undefined/),
    });
    await expect(pruneStructured(mixedModel(), { keepDenseLayers: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('tensorrt-node optimize --prune', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trtn-prune-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'mixed.onnx');
  writeFileSync(input, mixedModel());
  const stdout = captureStdout();
  const cli = optimizeCli([fp16Mode, pruneMode]);

  test('--prune 2:4 writes model.prune.onnx with a summary of what was pruned and skipped', async () => {
    await cli('optimize', input, '--prune', '2:4');
    const after = weights(readFileSync(join(dir, 'mixed.prune.onnx')));
    expectTwoFour(weights(mixedModel()).get('dense.w')!, after.get('dense.w')!, 6, 8, 9);
    expect(stdout()).toMatch(
      /prune: 2:4 on 3 of 5 Conv\/ConvTranspose\/Gemm\/MatMul layers \(84\.0% of their weights\); 42\.0% of all their weights are now zero/,
    );
    expect(stdout()).toMatch(/prune: skipped 1 \(depthwise convolution \(one input channel per group\)\): depthwise/);
    expect(stdout()).toMatch(/without retraining, pruning costs accuracy/);
  });

  test('an unknown pattern, and --keep-dense without --samples, are refused before writing', async () => {
    await expect(cli('optimize', input, '--prune', '4:8', '-o', join(dir, 'bad.onnx'))).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/Expected one of 2:4 for --prune but received "4:8"/),
    });
    await expect(cli('optimize', input, '--prune', '2:4', '--keep-dense', '2', '-o', join(dir, 'bad.onnx'))).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/Expected --samples <dir> with --keep-dense 2 but received none/),
    });
    expect(() => readFileSync(join(dir, 'bad.onnx'))).toThrow();
  });
});
