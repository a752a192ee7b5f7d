import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeModel } from '../../../lib/onnx/model-io.js';
import { DataType } from '../../../lib/onnx/types.js';
import { Tensor } from '../../../lib/tensor.js';
import { encodeNpy as serializeNpy } from '../../../lib/npy.js';
import { tensorElementType } from '../../../lib/optimize/type-inference.js';
import { tinyMlp } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';
import { captureStdout, optimizeCli } from '../../fixtures/optimize-cli.js';
import { expectCode } from '../../shared/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-cli-optimize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'mlp.onnx');
writeFileSync(input, tinyMlp());

const stdout = captureStdout();
const cli = optimizeCli();

describe('tensorrt-node optimize', () => {
  test('--fp16 writes model.fp16.onnx next to the input, keeps float32 I/O and prints a summary', async () => {
    await cli('optimize', input, '--fp16');
    const output = join(dir, 'mlp.fp16.onnx');
    const model = decodeModel(readFileSync(output));
    expect(tensorElementType(model.graph!.input[0].type)).toBe(DataType.FLOAT);
    expect(tensorElementType(model.graph!.output[0].type)).toBe(DataType.FLOAT);
    expect(stdout()).toMatch(/fp16: float32 inputs and outputs/);
    expect(stdout()).toMatch(/wrote .*mlp\.fp16\.onnx/);
    expect(stdout()).toMatch(/fp16: float32 inputs and outputs, 4 initializers/);
    expect(stdout()).toMatch(/size: \d+ \/ \d+ bytes = \d\.\d+x/);
  });

  test('--fp16-io: float16 inputs and outputs; with --keep-io-types it is refused', async () => {
    const output = join(dir, 'half-io.onnx');
    await cli('optimize', input, '--fp16', '--fp16-io', '-o', output);
    const model = decodeModel(readFileSync(output));
    expect(tensorElementType(model.graph!.input[0].type)).toBe(DataType.FLOAT16);
    expect(tensorElementType(model.graph!.output[0].type)).toBe(DataType.FLOAT16);
    expect(stdout()).toMatch(/fp16: float16 inputs and outputs/);
    await expectCode(
      cli('optimize', input, '--fp16', '--fp16-io', '--keep-io-types', '-o', join(dir, 'both.onnx')),
      'ERR_INVALID_ARGUMENT',
      'Expected one of --fp16-io and --keep-io-types for tensorrt-node optimize --fp16 but received both',
    );
    expect(existsSync(join(dir, 'both.onnx'))).toBe(false);
  });

  test('-o, --keep-io-types and --block-ops (comma or space separated)', async () => {
    const output = join(dir, 'kept.onnx');
    await cli('optimize', input, '--fp16', '--keep-io-types', '--block-ops', 'Softmax,Relu', '-o', output);
    const model = decodeModel(readFileSync(output));
    expect(tensorElementType(model.graph!.input[0].type)).toBe(DataType.FLOAT);
    expect(stdout()).toMatch(/kept in float32: Relu x1, Softmax x1/);
  });

  test('--eval prints the quality report from a directory of .npy inputs', async () => {
    const evalDir = join(dir, 'eval');
    for (let i = 0; i < 3; i++) {
      mkdirSync(join(evalDir, `sample${i}`), { recursive: true });
      writeFileSync(join(evalDir, `sample${i}`, 'x.npy'), serializeNpy(new Tensor('float32', randomFloats(8, 40 + i), [2, 4])));
    }
    await cli('optimize', input, '--fp16', '-o', join(dir, 'evaluated.onnx'), '--eval', evalDir, '--latency-rounds', '1');
    expect(stdout()).toMatch(/quality on 3 held-out inputs/);
    expect(stdout()).toMatch(/probabilities: cosine mean (0\.99\d+|1\.000000)/);
    expect(stdout()).toMatch(/top-1 agreement/);
    expect(stdout()).toMatch(/CPU latency/);
  });

  test('refuses -o equal to the input and leaves it untouched', async () => {
    const before = readFileSync(input);
    await expectCode(
      cli('optimize', input, '--fp16', '-o', input),
      'ERR_INVALID_ARGUMENT',
      /^Expected an output path different from the input/,
    );
    expect(Buffer.compare(readFileSync(input), before)).toBe(0);
  });

  test('refuses a bad number of threads before doing any work', async () => {
    await expectCode(
      cli('optimize', input, '--fp16', '-o', join(dir, 'threads.onnx'), '--eval-threads', 'many'),
      'ERR_INVALID_ARGUMENT',
      'Expected an integer >= 1 for --eval-threads but received "many"',
    );
    expect(existsSync(join(dir, 'threads.onnx'))).toBe(false);
  });

  test('needs exactly one mode', async () => {
    await expectCode(
      cli('optimize', input, '-o', join(dir, 'none.onnx')),
      'ERR_INVALID_ARGUMENT',
      'Expected exactly one of --fp16 for tensorrt-node optimize but received none',
    );
    expect(existsSync(join(dir, 'none.onnx'))).toBe(false);
  });
});
