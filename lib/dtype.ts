/**
 * The one table that maps element types between tensorrt-node, ONNX (TensorProto.DataType),
 * TensorRT (nvinfer1::DataType names), ONNX Runtime (Tensor type strings), the KServe v2 / Triton
 * protocol (datatype strings) and TypedArrays.
 * float16 has no TypedArray on Node 20, so its bits live in a Uint16Array.
 */
export type DType =
  'float32' | 'float16' | 'bfloat16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float64' | 'bool';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** Maps each dtype to the TypedArray that holds its elements. */
export interface DTypeArrayMap {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  float64: Float64Array;
  bool: Uint8Array;
}

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

export interface DTypeInfo {
  dtype: DType;
  /** TensorProto.DataType value. */
  onnx: number;
  /** nvinfer1::DataType enumerator name, when TensorRT has the type. */
  tensorrt: string | undefined;
  /** onnxruntime-common Tensor.Type string. */
  ort: string;
  /** KServe v2 / Triton datatype string (BYTES, for strings, has no dtype here). */
  kserve: string;
  arrayType: TypedArrayConstructor;
  bytesPerElement: number;
}

const table: readonly DTypeInfo[] = [
  { dtype: 'float32', onnx: 1, tensorrt: 'kFLOAT', ort: 'float32', kserve: 'FP32', arrayType: Float32Array, bytesPerElement: 4 },
  { dtype: 'uint8', onnx: 2, tensorrt: 'kUINT8', ort: 'uint8', kserve: 'UINT8', arrayType: Uint8Array, bytesPerElement: 1 },
  { dtype: 'int8', onnx: 3, tensorrt: 'kINT8', ort: 'int8', kserve: 'INT8', arrayType: Int8Array, bytesPerElement: 1 },
  { dtype: 'uint16', onnx: 4, tensorrt: undefined, ort: 'uint16', kserve: 'UINT16', arrayType: Uint16Array, bytesPerElement: 2 },
  { dtype: 'int16', onnx: 5, tensorrt: undefined, ort: 'int16', kserve: 'INT16', arrayType: Int16Array, bytesPerElement: 2 },
  { dtype: 'int32', onnx: 6, tensorrt: 'kINT32', ort: 'int32', kserve: 'INT32', arrayType: Int32Array, bytesPerElement: 4 },
  { dtype: 'int64', onnx: 7, tensorrt: 'kINT64', ort: 'int64', kserve: 'INT64', arrayType: BigInt64Array, bytesPerElement: 8 },
  { dtype: 'bool', onnx: 9, tensorrt: 'kBOOL', ort: 'bool', kserve: 'BOOL', arrayType: Uint8Array, bytesPerElement: 1 },
  { dtype: 'float16', onnx: 10, tensorrt: 'kHALF', ort: 'float16', kserve: 'FP16', arrayType: Uint16Array, bytesPerElement: 2 },
  { dtype: 'float64', onnx: 11, tensorrt: undefined, ort: 'float64', kserve: 'FP64', arrayType: Float64Array, bytesPerElement: 8 },
  { dtype: 'uint32', onnx: 12, tensorrt: undefined, ort: 'uint32', kserve: 'UINT32', arrayType: Uint32Array, bytesPerElement: 4 },
  { dtype: 'uint64', onnx: 13, tensorrt: undefined, ort: 'uint64', kserve: 'UINT64', arrayType: BigUint64Array, bytesPerElement: 8 },
  { dtype: 'bfloat16', onnx: 16, tensorrt: 'kBF16', ort: 'bfloat16', kserve: 'BF16', arrayType: Uint16Array, bytesPerElement: 2 },
];

const byDType = new Map(table.map((info) => [info.dtype, info]));
const byOnnx = new Map(table.map((info) => [info.onnx, info]));
const byOrt = new Map(table.map((info) => [info.ort, info]));
const byKServe = new Map(table.map((info) => [info.kserve, info]));
const byTensorRT = new Map(table.filter((info) => info.tensorrt).map((info) => [info.tensorrt as string, info]));

export const DTYPES: readonly DType[] = table.map((info) => info.dtype);

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && byDType.has(value as DType);
}

export function dtypeInfo(dtype: DType): DTypeInfo {
  const info = byDType.get(dtype);
  if (!info) throw new RangeError(`unknown dtype ${dtype}`);
  return info;
}

export function dtypeFromOnnx(onnxType: number): DType | undefined {
  return byOnnx.get(onnxType)?.dtype;
}

export function dtypeFromOrt(ortType: string): DType | undefined {
  return byOrt.get(ortType)?.dtype;
}

export function dtypeFromKServe(datatype: string): DType | undefined {
  return byKServe.get(datatype)?.dtype;
}

export function dtypeFromTensorRT(name: string): DType | undefined {
  return byTensorRT.get(name)?.dtype;
}

/** The dtypes a TypedArray can carry; the first is the one inferred when none is given. */
export function dtypesForArray(data: TypedArray): DType[] {
  return table.filter((info) => data instanceof info.arrayType).map((info) => info.dtype);
}

export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}
