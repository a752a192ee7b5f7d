/**
 * float32 tensor data to float16, with the two ways half precision loses values counted:
 * magnitudes above 65504 are clamped to +-65504 (Infinity would poison every result downstream),
 * and non-zero magnitudes below half the smallest subnormal become zero.
 */
import { FLOAT16_MAX, float32ArrayToFloat16 } from '../onnx/float16.js';

export interface Float16ConversionCounts {
  /** Finite values beyond +-65504, clamped to it. */
  clamped: number;
  /** Non-zero values that became (signed) zero. */
  flushedToZero: number;
}

const FLUSH_LIMIT = 2 ** -25;

export function toFloat16Counting(values: Float32Array, counts: Float16ConversionCounts): Uint16Array {
  let source = values;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const magnitude = Math.abs(value);
    if (magnitude > FLOAT16_MAX && magnitude !== Infinity) {
      if (source === values) source = values.slice();
      source[i] = value > 0 ? FLOAT16_MAX : -FLOAT16_MAX;
      counts.clamped++;
    } else if (magnitude !== 0 && magnitude <= FLUSH_LIMIT) {
      counts.flushedToZero++;
    }
  }
  return float32ArrayToFloat16(source);
}
