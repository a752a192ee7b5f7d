import { describe, expect, test } from 'vitest';
import {
  FLOAT16_MAX,
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float32ToFloat16Bits,
} from '../../../lib/onnx/float16.js';

describe('float32 -> float16 bits', () => {
  test('exact values', () => {
    expect(float32ToFloat16Bits(0)).toBe(0x0000);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(0.5)).toBe(0x3800);
    expect(float32ToFloat16Bits(FLOAT16_MAX)).toBe(0x7bff);
    expect(float32ToFloat16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
  });

  test('round to nearest, ties to even', () => {
    // 1 + 2^-11 lies exactly between 1 (even mantissa) and 1 + 2^-10: ties go to 1.
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3 * 2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even): goes up.
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    // just above a tie rounds up
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    // subnormal ties: 1.5 * 2^-24 -> 2 * 2^-24 (even), 2.5 * 2^-24 -> 2 * 2^-24
    expect(float32ToFloat16Bits(1.5 * 2 ** -24)).toBe(0x0002);
    expect(float32ToFloat16Bits(2.5 * 2 ** -24)).toBe(0x0002);
    // half of the smallest subnormal ties to zero, anything above goes to the smallest subnormal
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000);
    expect(float32ToFloat16Bits(2 ** -25 * 1.0001)).toBe(0x0001);
    // rounding up out of the subnormals into the normals
    expect(float32ToFloat16Bits(1023.5 * 2 ** -24 + 2 ** -40)).toBe(0x0400);
  });

  test('overflow, infinities and NaN', () => {
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff); // below the midpoint to 65536
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // the tie rounds to even: Infinity
    expect(float32ToFloat16Bits(1e10)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    const nan = float32ToFloat16Bits(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
  });

  test('every float16 value survives float16 -> float32 -> float16', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const back = float32ArrayToFloat16(float16ArrayToFloat32(bits));
    for (let i = 0; i < 65536; i++) {
      const isNaN16 = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (isNaN16) expect(Number.isNaN(float16BitsToFloat32(back[i]))).toBe(true);
      else if (back[i] !== i) throw new Error(`0x${i.toString(16)} came back as 0x${back[i].toString(16)}`);
    }
  });

  test('matches a reference nearest-value search on random floats', () => {
    // Reference: the float16 value with the smallest distance, ties to the even bit pattern.
    const finite = new Float64Array(0x7c00);
    for (let i = 0; i < 0x7c00; i++) finite[i] = float16BitsToFloat32(i);
    let seed = 12345;
    for (let n = 0; n < 2000; n++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const magnitude = Math.fround((seed / 2 ** 32) * 2 ** (((seed >>> 7) % 40) - 26));
      let lo = 0;
      let hi = 0x7bff;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (finite[mid] <= magnitude) lo = mid;
        else hi = mid - 1;
      }
      let expected = lo;
      if (lo < 0x7bff) {
        const below = magnitude - finite[lo];
        const above = finite[lo + 1] - magnitude;
        if (above < below || (above === below && (lo & 1) === 1)) expected = lo + 1;
      } else if (magnitude >= 65520) expected = 0x7c00;
      expect(float32ToFloat16Bits(magnitude)).toBe(expected);
    }
  });

  test('arrays', () => {
    const values = new Float32Array([1, -1, 0.1, 3.14159, 65504]);
    const back = float16ArrayToFloat32(float32ArrayToFloat16(values));
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11);
    expect(float32ArrayToFloat16([0.5, 2])).toEqual(new Uint16Array([0x3800, 0x4000]));
  });
});
