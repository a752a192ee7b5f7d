/**
 * Triton's element types (model_config.proto's DataType) for tensorrt-node's dtypes. Keyed by every
 * DType, so a dtype added to lib/dtype.ts's table does not compile until it is given its Triton type.
 */
import { type DType, dtypeFromOnnx } from '../dtype.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { DataType as OnnxDataType } from '../onnx/types.js';

export type TritonDataType =
  | 'TYPE_BOOL'
  | 'TYPE_UINT8'
  | 'TYPE_UINT16'
  | 'TYPE_UINT32'
  | 'TYPE_UINT64'
  | 'TYPE_INT8'
  | 'TYPE_INT16'
  | 'TYPE_INT32'
  | 'TYPE_INT64'
  | 'TYPE_FP16'
  | 'TYPE_FP32'
  | 'TYPE_FP64'
  | 'TYPE_STRING'
  | 'TYPE_BF16';

const BY_DTYPE: Readonly<Record<DType, TritonDataType>> = {
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  float16: 'TYPE_FP16',
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
  bfloat16: 'TYPE_BF16',
};

/** Every Triton type an export can write: what the schema check holds against the real enum. */
export const TRITON_DATA_TYPES: readonly TritonDataType[] = [...Object.values(BY_DTYPE), 'TYPE_STRING'];

export function tritonDataType(dtype: DType): TritonDataType {
  return BY_DTYPE[dtype];
}

const onnxTypeNames = new Map<number, string>(Object.entries(OnnxDataType).map(([name, value]) => [value, name.toLowerCase()]));

/**
 * The Triton type of an ONNX tensor element type. Strings are served by Triton's ONNX Runtime backend
 * (TYPE_STRING) though tensorrt-node has no dtype for them; complex, float8 and 4-bit types have no
 * Triton type at all.
 */
export function tritonDataTypeFromOnnx(onnxType: number, tensor: string): TritonDataType {
  if (onnxType === OnnxDataType.STRING) return 'TYPE_STRING';
  const dtype = dtypeFromOnnx(onnxType);
  if (dtype !== undefined) return BY_DTYPE[dtype];
  const name = onnxTypeNames.get(onnxType) ?? `number ${onnxType}`;
  throw new TensorRTNodeError(
    ErrorCode.UNSUPPORTED,
    `Expected an element type that Triton serves (one of its TYPE_* data types) for ${tensor} but received ONNX type ${name}`,
  );
}
