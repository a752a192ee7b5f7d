/** Finding NaN and +-Infinity in float tensors (float16 and bfloat16 are held as their bit patterns). */
import { float16BitsToFloat32 } from '../onnx/float16.js';
import type { Tensor } from '../tensor.js';

/** The first element of `tensor` that is NaN or infinite, with its index; undefined when all are finite or it is not float. */
export function firstNonFinite(tensor: Tensor): { index: number; value: number } | undefined {
  const data = tensor.data;
  if (tensor.dtype === 'float32' || tensor.dtype === 'float64') {
    const values = data as Float32Array | Float64Array;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return { index: i, value: values[i] };
    return undefined;
  }
  if (tensor.dtype === 'float16' || tensor.dtype === 'bfloat16') {
    // Both keep their exponent in the bits under the sign; all ones there is Infinity or NaN.
    const exponent = tensor.dtype === 'float16' ? 0x7c00 : 0x7f80;
    const bits = data as Uint16Array;
    for (let i = 0; i < bits.length; i++) {
      if ((bits[i] & exponent) === exponent) {
        const value =
          tensor.dtype === 'float16' ? float16BitsToFloat32(bits[i]) : new Float32Array(new Uint32Array([bits[i] << 16]).buffer)[0];
        return { index: i, value };
      }
    }
  }
  return undefined;
}
