/**
 * The JSON the example server speaks on POST /infer (one item per request):
 *   request   {"inputs": {"x": {"dims": [1, 128], "data": [...]}}}       (dtype: the model's)
 *   response  {"model_version": 2, "outputs": {"y": {"dtype": "float32", "dims": [1, 16], "data": [...]}}}
 * A protocol is only these two functions; KServe v2 (kserve.ts) sits beside it with its own routes.
 */
import { type DType, type DTypeArrayMap, type TensorInfo, Tensor, TensorRTNodeError, ErrorCode } from '../../lib/index.js';
import { dtypeInfo } from '../../lib/dtype.js';

export function decodeInferRequest(body: unknown, inputs: readonly TensorInfo[]): Record<string, Tensor> {
  const given = (body as { inputs?: unknown } | null)?.inputs;
  if (given === null || typeof given !== 'object')
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      'Expected a JSON body {"inputs": {name: {dims, data}}} for POST /infer but received none',
    );
  const feeds: Record<string, Tensor> = {};
  for (const info of inputs) {
    const value = (given as Record<string, { dims?: unknown; data?: unknown }>)[info.name];
    if (value === undefined)
      throw new TensorRTNodeError(ErrorCode.MISSING_INPUT, `Expected input "${info.name}" in the request but received none`);
    if (!Array.isArray(value.data) || (value.dims !== undefined && !Array.isArray(value.dims))) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected {dims, data} arrays for input "${info.name}" but received something else`,
      );
    }
    const { arrayType } = dtypeInfo(info.dtype);
    const big = arrayType === BigInt64Array || arrayType === BigUint64Array;
    const data = new (arrayType as new (length: number) => DTypeArrayMap[DType])(value.data.length);
    try {
      (data as unknown as { set(values: ArrayLike<number | bigint>): void }).set(
        big ? value.data.map((v) => BigInt(v as number)) : (value.data as number[]),
      );
    } catch {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected ${info.dtype} numbers in the data of input "${info.name}" but received other values`,
      );
    }
    feeds[info.name] = new Tensor(info.dtype, data, value.dims as number[] | undefined, { name: info.name });
  }
  return feeds;
}

export function encodeInferResponse(outputs: Record<string, Tensor>, version: number): unknown {
  const encoded: Record<string, { dtype: string; dims: number[]; data: (number | string)[] }> = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    const data =
      tensor.data instanceof BigInt64Array || tensor.data instanceof BigUint64Array
        ? Array.from(tensor.data, (v) => v.toString())
        : Array.from(tensor.data as ArrayLike<number>);
    encoded[name] = { dtype: tensor.dtype, dims: [...tensor.dims], data };
  }
  return { model_version: version, outputs: encoded };
}
