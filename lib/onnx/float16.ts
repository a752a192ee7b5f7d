/**
 * IEEE 754 binary16 <-> binary32 conversion. float16 has no TypedArray on Node 20, so half values
 * travel as their bit patterns in Uint16Array. Rounding is round-to-nearest-even, subnormals are
 * produced and read exactly, values beyond the float16 range become +-Infinity (callers that must
 * not overflow clamp first), and NaN stays NaN.
 */

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Largest finite float16 value. */
export const FLOAT16_MAX = 65504;
/** Smallest positive subnormal float16 value (2^-24). */
export const FLOAT16_MIN_SUBNORMAL = 2 ** -24;
/** Smallest positive normal float16 value (2^-14). */
export const FLOAT16_MIN_NORMAL = 2 ** -14;

/** The float16 bit pattern nearest to `value` (first rounded to float32, as ONNX tensors are). */
export function float32ToFloat16Bits(value: number): number {
  scratch[0] = value;
  return float32BitsToFloat16Bits(scratchBits[0]);
}

function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Infinity keeps its sign; NaN stays a quiet NaN and keeps its top payload bits.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }
  const halfExponent = exponent - 112; // rebias 127 -> 15
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal (or zero) in float16: value = significand * 2^-24.
    if (halfExponent < -10) return sign; // below half of the smallest subnormal: rounds to zero
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent; // 14..24
    let half = significand >>> shift;
    const rest = significand & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and may reach Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

let halfTable: Float32Array | undefined;

function buildHalfTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >>> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    if (exponent === 0) table[bits] = sign * mantissa * FLOAT16_MIN_SUBNORMAL;
    else if (exponent === 0x1f) table[bits] = mantissa === 0 ? sign * Infinity : NaN;
    else table[bits] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}

/** The value of a float16 bit pattern. */
export function float16BitsToFloat32(bits: number): number {
  halfTable ??= buildHalfTable();
  return halfTable[bits & 0xffff];
}

/** Converts a whole array; `out` may be given to avoid an allocation. */
export function float32ArrayToFloat16(values: Float32Array | readonly number[], out = new Uint16Array(values.length)): Uint16Array {
  if (values instanceof Float32Array) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]);
  } else {
    for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  }
  return out;
}

export function float16ArrayToFloat32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  halfTable ??= buildHalfTable();
  for (let i = 0; i < bits.length; i++) out[i] = halfTable[bits[i]];
  return out;
}
