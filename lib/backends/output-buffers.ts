/**
 * Caller-allocated outputs for backends whose runtime hands back its own arrays (ONNX Runtime on the
 * CPU, on either thread): each result is copied into the caller's tensor, in its first elements when
 * the tensor is larger (sized for the largest shape), as the TensorRT backend writes them in place.
 */
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { Tensor, formatDims } from '../tensor.js';
import { setEntry } from '../util/records.js';

export function copyIntoOutputBuffers(results: Record<string, Tensor>, buffers: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  for (const name of Object.keys(buffers)) {
    const result = results[name];
    const given = buffers[name];
    if (result === undefined || given === undefined) continue;
    const count = result.data.length;
    if (count > given.data.length) {
      throw new TensorRTNodeError(
        ErrorCode.SHAPE_MISMATCH,
        `Expected an output tensor of at least ${count} elements for output "${name}" (dims ${formatDims(result.dims)}) but received ${given.data.length}`,
      );
    }
    // Same dtype (checked by the session), so the same TypedArray class on both sides.
    (given.data as { set(source: ArrayLike<unknown>): void }).set(result.data as ArrayLike<unknown>);
    const data = given.data.length === count ? given.data : (given.data.subarray(0, count) as typeof given.data);
    setEntry(results, name, new Tensor(given.dtype, data, result.dims, { name }));
  }
  return results;
}
