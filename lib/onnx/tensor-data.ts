/**
 * TensorProto <-> TypedArray. ONNX stores tensor elements either little-endian in raw_data or in a
 * typed repeated field chosen by the element type; external data lives in a file next to the model.
 */
import { create } from '@bufbuild/protobuf';
import { type DType, type DTypeArrayMap, type TypedArray, dtypeFromOnnx, dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { elementCount } from '../tensor.js';
import { readExternalDataSync } from './external-data.js';
import { DataLocation, DataType, type TensorProto, TensorProtoSchema } from './types.js';

export interface TensorValue<T extends DType = DType> {
  dtype: T;
  dims: number[];
  data: DTypeArrayMap[T];
}

function unsupported(tensor: TensorProto, why: string): TensorRTNodeError {
  return new TensorRTNodeError(ErrorCode.UNSUPPORTED, `Tensor "${tensor.name}" ${why}`);
}

export function tensorDType(tensor: TensorProto): DType {
  const dtype = dtypeFromOnnx(tensor.dataType);
  if (!dtype) throw unsupported(tensor, `has ONNX data type ${tensor.dataType}, which has no TypedArray in tensorrt-node`);
  return dtype;
}

/** A tensor's dims as numbers; negative dims, or more elements than 2^53, are refused. */
export function tensorDims(tensor: TensorProto): number[] {
  const dims = tensor.dims.map(Number);
  if (!dims.every((dim) => Number.isSafeInteger(dim) && dim >= 0) || !Number.isSafeInteger(elementCount(dims))) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected non-negative dims of fewer than 2^53 elements for tensor "${tensor.name}" but received [${tensor.dims.join(', ')}]`,
    );
  }
  return dims;
}

export function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === DataLocation.EXTERNAL;
}

/** Copies little-endian bytes into a new, aligned TypedArray of `dtype`. */
function fromBytes(dtype: DType, bytes: Uint8Array, count: number, tensor: TensorProto): TypedArray {
  const info = dtypeInfo(dtype);
  if (bytes.byteLength !== count * info.bytesPerElement) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected ${count * info.bytesPerElement} bytes of data for tensor "${tensor.name}" (${dtype}, ${count} elements) but received ${bytes.byteLength}`,
    );
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new info.arrayType(copy.buffer, 0, count);
}

/**
 * The elements of a tensor as a fresh TypedArray (float16 and bfloat16 as Uint16Array bits).
 * External data is read from `baseDir` (the model's directory).
 */
export function readTensor(tensor: TensorProto, options: { baseDir?: string } = {}): TensorValue {
  const dtype = tensorDType(tensor);
  const dims = tensorDims(tensor);
  const count = elementCount(dims);
  if (isExternal(tensor)) {
    if (options.baseDir === undefined) throw unsupported(tensor, 'keeps its data in an external file; pass the model directory as baseDir');
    return { dtype, dims, data: fromBytes(dtype, readExternalDataSync(tensor, options.baseDir), count, tensor) } as TensorValue;
  }
  if (tensor.rawData.byteLength > 0 || count === 0) {
    return { dtype, dims, data: fromBytes(dtype, tensor.rawData, count, tensor) } as TensorValue;
  }
  const info = dtypeInfo(dtype);
  let source: readonly (number | bigint)[];
  switch (tensor.dataType) {
    case DataType.FLOAT:
      source = tensor.floatData;
      break;
    case DataType.DOUBLE:
      source = tensor.doubleData;
      break;
    case DataType.INT64:
      source = tensor.int64Data;
      break;
    case DataType.UINT32:
      source = tensor.uint64Data.map(Number);
      break;
    case DataType.UINT64:
      source = tensor.uint64Data;
      break;
    // int32_data carries every type of 32 bits or fewer, float16/bfloat16 as their bit patterns.
    default:
      source = tensor.int32Data;
      break;
  }
  if (source.length !== count) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected ${count} elements for tensor "${tensor.name}" but received ${source.length}`,
    );
  }
  // Allocated only now: the element count comes from the model's dims, the elements from its bytes.
  const data = new info.arrayType(count);
  for (let i = 0; i < count; i++) (data as unknown as (number | bigint)[])[i] = source[i];
  return { dtype, dims, data } as TensorValue;
}

function toBytes(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Replaces a tensor's elements in place (raw_data, little-endian), clearing the typed fields and any
 * external reference; other fields (name, doc_string, metadata) stay.
 */
export function setTensorData(tensor: TensorProto, dtype: DType, dims: readonly number[], data: TypedArray): void {
  const info = dtypeInfo(dtype);
  if (!(data instanceof info.arrayType) || data.length !== elementCount(dims)) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a ${info.arrayType.name} of ${elementCount(dims)} elements for tensor "${tensor.name}" but received ${data.constructor.name}(${data.length})`,
    );
  }
  tensor.dataType = info.onnx;
  tensor.dims = dims.map((dim) => BigInt(dim));
  tensor.rawData = toBytes(data).slice();
  tensor.floatData = [];
  tensor.int32Data = [];
  tensor.int64Data = [];
  tensor.doubleData = [];
  tensor.uint64Data = [];
  tensor.stringData = [];
  tensor.externalData = [];
  if (tensor.dataLocation !== DataLocation.DEFAULT) tensor.dataLocation = DataLocation.DEFAULT;
}

/** A new TensorProto holding `data` in raw_data. */
export function makeTensor<T extends DType>(name: string, dtype: T, dims: readonly number[], data: DTypeArrayMap[T]): TensorProto {
  const tensor = create(TensorProtoSchema, { name });
  setTensorData(tensor, dtype, dims, data);
  return tensor;
}
