/** `tensorrt-node optimize --int8`: calibration from a .npy directory, progress, report, and refusals. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { int8Mode } from '../../../lib/cli/optimize-int8.js';
import { fp16Mode } from '../../../lib/cli/optimize.js';
import { decodeModel } from '../../../lib/onnx/model-io.js';
import { Tensor } from '../../../lib/tensor.js';
import { encodeNpy as serializeNpy } from '../../../lib/npy.js';
import { tinyConvNet } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';
import { captureStdout, optimizeCli } from '../../fixtures/optimize-cli.js';
import { expectCode } from '../../shared/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-cli-int8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'convnet.onnx');
writeFileSync(input, tinyConvNet({ batch: 1 }));
const calibration = join(dir, 'calibration');
const evaluation = join(dir, 'evaluation');
for (const [folder, seed] of [
  [calibration, 100],
  [evaluation, 900],
] as const) {
  mkdirSync(folder);
  for (let i = 0; i < 4; i++)
    writeFileSync(join(folder, `${i}.npy`), serializeNpy(new Tensor('float32', randomFloats(3 * 8 * 8, seed + i), [1, 3, 8, 8])));
}

const stdout = captureStdout();
const cli = optimizeCli([fp16Mode, int8Mode]);

describe('tensorrt-node optimize --int8', () => {
  test('with no other flags the method and the float-layer count are chosen on a held-back sample and printed', async () => {
    const output = join(dir, 'auto.onnx');
    await cli('optimize', input, '--int8', '--calibration', calibration, '--float-budget', '1', '-o', output);
    // 4 samples: the 4th is held back, 3 calibrate.
    expect(stdout()).toMatch(
      /int8: target tensorrt, method (minmax|percentile|entropy|mse) \(auto on 1 held-back samples: minmax [\d.e+-]+, percentile [\d.e+-]+, entropy [\d.e+-]+, mse [\d.e+-]+; --method to override\), 3 calibration samples/,
    );
    expect(stdout()).toMatch(
      /int8: \d+ layer\(s\) kept in float \(auto on 1 held-back samples: 0 -> [\d.e+-]+.*; --keep-float to override\)/,
    );
    expect(existsSync(output)).toBe(true);
  });

  test('calibrates from a .npy directory, writes model.int8.onnx and prints the int8 summary and quality report', async () => {
    await cli(
      'optimize',
      input,
      '--int8',
      '--calibration',
      calibration,
      '--method',
      'entropy',
      '--keep-float',
      '0',
      '--eval',
      evaluation,
      '--latency-rounds',
      '1',
    );
    const output = join(dir, 'convnet.int8.onnx');
    const graph = decodeModel(readFileSync(output)).graph!;
    expect(graph.node.filter((node) => node.opType === 'QuantizeLinear').length).toBe(3);
    expect(stdout()).toMatch(/wrote .*convnet\.int8\.onnx/);
    expect(stdout()).toMatch(/int8: target tensorrt, method entropy, 4 calibration samples/);
    expect(stdout()).toMatch(/int8: 3 of 3 Conv\/ConvTranspose\/Gemm\/MatMul nodes quantized, 100\.0% of their weights int8/);
    expect(stdout()).toMatch(/quality on 4 held-out inputs/);
  });

  test('--target cpu, --exclude-ops and --keep-float', async () => {
    const output = join(dir, 'cpu.onnx');
    await cli(
      'optimize',
      input,
      '--int8',
      '--calibration',
      calibration,
      '--target',
      'cpu',
      '--method',
      'percentile',
      '--exclude-ops',
      'Gemm',
      '--keep-float',
      '1',
      '--float-budget',
      '1',
      '-o',
      output,
    );
    expect(stdout()).toMatch(/int8: target cpu, method percentile, /);
    expect(stdout()).toMatch(/int8: 1 of 3 .* nodes quantized/);
    expect(stdout()).toMatch(/int8: kept in float by sensitivity: /);
    expect(existsSync(output)).toBe(true);
  });

  test('--target cpu times float against both INT8 forms and prints the choice; --format fixes it, and qoperator is refused for tensorrt', async () => {
    const auto = join(dir, 'cpu-auto.onnx');
    await cli(
      'optimize',
      input,
      '--int8',
      '--calibration',
      calibration,
      '--target',
      'cpu',
      '--keep-float',
      '0',
      '--method',
      'minmax',
      '-o',
      auto,
    );
    const line =
      /int8 on this CPU \(ONNX Runtime, 1 thread, median of \d+ interleaved runs\): float [\d.]+ ms, qdq [\d.]+ ms \([\d.]+x\), qoperator [\d.]+ ms \([\d.]+x\); format (qdq|qoperator) \(auto: the faster; --format to override\) at [\d.]+x of float: int8 (pays|does not pay here).*; qoperator fuses 2 QLinearConv/;
    const chosen = line.exec(stdout())?.[1];
    expect(chosen).toBeDefined();
    expect(decodeModel(readFileSync(auto)).graph!.node.some((node) => node.opType === 'QLinearConv')).toBe(chosen === 'qoperator');
    const fixed = join(dir, 'cpu-qoperator.onnx');
    await cli(
      'optimize',
      input,
      '--int8',
      '--calibration',
      calibration,
      '--target',
      'cpu',
      '--format',
      'qoperator',
      '--keep-float',
      '0',
      '-o',
      fixed,
    );
    expect(stdout()).toMatch(/float [\d.]+ ms, qoperator [\d.]+ ms \([\d.]+x\); format qoperator at /);
    expect(decodeModel(readFileSync(fixed)).graph!.node.filter((node) => node.opType === 'QLinearConv')).toHaveLength(2);
    const refused = join(dir, 'trt-qoperator.onnx');
    await expectCode(
      cli('optimize', input, '--int8', '--calibration', calibration, '--format', 'qoperator', '-o', refused),
      'ERR_INVALID_ARGUMENT',
      /for options\.format but received "qoperator"/,
    );
    expect(existsSync(refused)).toBe(false);
  });

  test('refuses -o equal to the input and leaves it untouched', async () => {
    const before = readFileSync(input);
    await expectCode(
      cli('optimize', input, '--int8', '--calibration', calibration, '-o', input),
      'ERR_INVALID_ARGUMENT',
      /^Expected an output path different from the input/,
    );
    expect(Buffer.compare(readFileSync(input), before)).toBe(0);
  });

  test("another mode's flags are refused, not ignored: int8 flags with --fp16, fp16 flags with --int8", async () => {
    const output = join(dir, 'mixed.onnx');
    await expectCode(
      cli('optimize', input, '--fp16', '--calibration', calibration, '--method', 'entropy', '-o', output),
      'ERR_INVALID_ARGUMENT',
      'Expected --int8 with --calibration, --method but received --fp16',
    );
    await expectCode(
      cli('optimize', input, '--fp16', '--keep-float', '0', '-o', output),
      'ERR_INVALID_ARGUMENT',
      'Expected --int8 with --keep-float but received --fp16',
    );
    await expectCode(
      cli('optimize', input, '--int8', '--calibration', calibration, '--fp16-io', '-o', output),
      'ERR_INVALID_ARGUMENT',
      'Expected --fp16 with --fp16-io but received --int8',
    );
    expect(existsSync(output)).toBe(false);
  });

  test('needs --calibration; an empty or bad calibration set writes nothing', async () => {
    const output = join(dir, 'never.onnx');
    await expectCode(
      cli('optimize', input, '--int8', '-o', output),
      'ERR_INVALID_ARGUMENT',
      'Expected --calibration <dir> with --int8 but received none',
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expectCode(
      cli('optimize', input, '--int8', '--calibration', empty, '-o', output),
      'ERR_INVALID_ARGUMENT',
      /^Expected \.npy files or sample subdirectories/,
    );
    const wrongShape = join(dir, 'wrong-shape');
    mkdirSync(wrongShape);
    writeFileSync(join(wrongShape, '0.npy'), serializeNpy(new Tensor('float32', new Float32Array(3 * 4 * 4), [1, 3, 4, 4])));
    await expectCode(
      cli('optimize', input, '--int8', '--calibration', wrongShape, '-o', output),
      'ERR_SHAPE_MISMATCH',
      /calibration sample 0/,
    );
    await expectCode(
      cli('optimize', input, '--int8', '--calibration', calibration, '--method', 'kl', '-o', output),
      'ERR_INVALID_ARGUMENT',
      'Expected one of auto, minmax, percentile, entropy, mse for --method but received "kl"',
    );
    await expectCode(
      cli('optimize', input, '--int8', '--calibration', calibration, '--float-budget', '1.5', '-o', output),
      'ERR_INVALID_ARGUMENT',
      'Expected a number from 0 to 1 for --float-budget but received "1.5"',
    );
    expect(existsSync(output)).toBe(false);
  });
});
