/**
 * What optimize and the .npy reader accept as files: only regular files are read (a FIFO would wait
 * for a writer, /dev/zero never ends), -o names a regular file or a new one, and a failed --eval
 * exits with an error without leaving an output behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isTensorRTNodeError } from '../../../lib/errors.js';
import { encodeNpy, loadNpy } from '../../../lib/npy.js';
import { loadModel } from '../../../lib/onnx/model-io.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyMlp } from '../../fixtures/onnx-models.js';
import { captureStdout, optimizeCli } from '../../fixtures/optimize-cli.js';
import { randomFloats } from '../../fixtures/random.js';
import { rejection } from '../../shared/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-optimize-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'mlp.onnx');
writeFileSync(input, tinyMlp());
captureStdout();
const cli = optimizeCli();

function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('readers take regular files only', () => {
  test('a FIFO as the model or a .npy file is refused at once', { timeout: 10_000 }, async () => {
    const model = fifo('model.onnx');
    const modelError = await rejection(loadModel(model));
    expect(isTensorRTNodeError(modelError, 'ERR_MODEL_LOAD'), String(modelError)).toBe(true);
    expect((modelError as Error).message).toBe(`Expected a regular model file at ${model} but received a FIFO`);
    const cliError = await rejection(cli('optimize', model, '--fp16', '-o', join(dir, 'from-fifo.onnx')));
    expect(isTensorRTNodeError(cliError, 'ERR_MODEL_LOAD'), String(cliError)).toBe(true);

    const npy = fifo('x.npy');
    const npyError = await rejection(loadNpy(npy));
    expect(isTensorRTNodeError(npyError, 'ERR_IO'), String(npyError)).toBe(true);
    expect((npyError as Error).message).toBe(`Expected a regular .npy file at ${npy} but received a FIFO`);
  });

  test('/dev/zero is refused instead of read without end', { timeout: 10_000 }, async () => {
    expect(await rejection(loadModel('/dev/zero'))).toMatchObject({
      code: 'ERR_MODEL_LOAD',
      message: 'Expected a regular model file at /dev/zero but received a character device',
    });
    expect(await rejection(loadNpy('/dev/zero'))).toMatchObject({
      code: 'ERR_IO',
      message: 'Expected a regular .npy file at /dev/zero but received a character device',
    });
  });

  test('a FIFO among the --eval samples is refused', { timeout: 10_000 }, async () => {
    const evalDir = join(dir, 'eval-fifo');
    mkdirSync(evalDir);
    execFileSync('mkfifo', [join(evalDir, 's0.npy')]);
    const output = join(dir, 'eval-fifo.onnx');
    const error = await rejection(cli('optimize', input, '--fp16', '-o', output, '--eval', evalDir, '--latency-rounds', '0'));
    expect(isTensorRTNodeError(error, 'ERR_IO'), String(error)).toBe(true);
    expect(existsSync(output)).toBe(false);
  });
});

describe('optimize -o', () => {
  test('onto a FIFO is refused before any work, and the FIFO stays', { timeout: 10_000 }, async () => {
    const output = fifo('out.onnx');
    const error = await rejection(cli('optimize', input, '--fp16', '-o', output));
    expect(isTensorRTNodeError(error, 'ERR_INVALID_ARGUMENT'), String(error)).toBe(true);
    expect((error as Error).message).toBe(`Expected a regular file or a new file name for the output ${output} but received a FIFO`);
    expect(lstatSync(output).isFIFO()).toBe(true);
  });

  test('a failed --eval leaves no output behind', async () => {
    const evalDir = join(dir, 'eval-bad');
    mkdirSync(evalDir);
    // The model takes x[batch, 4]; this sample has 5 columns, so the evaluation fails.
    writeFileSync(join(evalDir, 's0.npy'), encodeNpy(new Tensor('float32', randomFloats(10, 3), [2, 5])));
    const output = join(dir, 'eval-bad.onnx');
    const error = await rejection(cli('optimize', input, '--fp16', '-o', output, '--eval', evalDir, '--latency-rounds', '0'));
    expect(isTensorRTNodeError(error), String(error)).toBe(true);
    expect(existsSync(output)).toBe(false);
  });
});
