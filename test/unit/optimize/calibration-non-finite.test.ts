/**
 * Calibration samples holding NaN or Infinity are refused with the sample and the input named: one
 * such value turns an activation range into NaN and the quantized model then outputs NaN for every
 * input, which nothing downstream would report.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isTensorRTNodeError } from '../../../lib/errors.js';
import { encodeNpy } from '../../../lib/npy.js';
import { firstNonFinite } from '../../../lib/optimize/non-finite.js';
import { quantizeInt8 } from '../../../lib/optimize/quantize.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyConvNet } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';
import { rejection } from '../../shared/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-calibration-nan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(seed: number, poison?: { index: number; value: number }): Tensor {
  const data = randomFloats(192, seed);
  if (poison) data[poison.index] = poison.value;
  return new Tensor('float32', data, [1, 3, 8, 8]);
}

describe('non-finite calibration data', () => {
  test.each([
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ])('%s in a sample given as an array is refused, naming the sample and the input', async (value, text) => {
    const calibration = [{ image: image(1) }, { image: image(2, { index: 37, value }) }, { image: image(3) }];
    const error = await rejection(quantizeInt8(tinyConvNet(), { calibration }));
    expect(isTensorRTNodeError(error, 'ERR_INVALID_ARGUMENT'), String(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Expected finite values for input "image" of calibration sample 1 but received ${text} at element 37`,
    );
  });

  test('a sample from a directory is named by its path', async () => {
    const calibration = join(dir, 'calibration');
    mkdirSync(calibration);
    writeFileSync(join(calibration, 'a.npy'), encodeNpy(image(1)));
    writeFileSync(join(calibration, 'b.npy'), encodeNpy(image(2, { index: 0, value: Number.NaN })));
    const error = await rejection(quantizeInt8(tinyConvNet(), { calibration }));
    expect(isTensorRTNodeError(error, 'ERR_INVALID_ARGUMENT'), String(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Expected finite values for input "image" of calibration sample 1: ${join(calibration, 'b.npy')} but received NaN at element 0`,
    );
  });

  test('float16 and bfloat16 bit patterns are checked too; integers never are', () => {
    expect(firstNonFinite(new Tensor('float16', new Uint16Array([0x3c00, 0x7c00]), [2]))).toEqual({
      index: 1,
      value: Number.POSITIVE_INFINITY,
    });
    expect(firstNonFinite(new Tensor('float16', new Uint16Array([0xfe00]), [1]))?.value).toBeNaN();
    expect(firstNonFinite(new Tensor('bfloat16', new Uint16Array([0x3f80, 0xff80]), [2]))).toEqual({
      index: 1,
      value: Number.NEGATIVE_INFINITY,
    });
    expect(firstNonFinite(new Tensor('float16', new Uint16Array([0x3c00, 0x7bff]), [2]))).toBeUndefined();
    expect(firstNonFinite(new Tensor('int32', new Int32Array([2147483647]), [1]))).toBeUndefined();
  });
});
