/**
 * One tensor on the KServe v2 wire, either way: as a JSON "data" array (row-major, flat or nested)
 * or as binary bytes (Triton's binary tensor data extension: little-endian, row-major, no padding,
 * BOOL one byte each). The datatype strings come from the one dtype table (lib/dtype.ts).
 *
 * Decoders throw ERR_INVALID_ARGUMENT in the form `Expected <what> for <name> but received <value>`:
 * the server answers that as 400; the client wraps it in ERR_REMOTE (the server sent it).
 */
import { endianness } from 'node:os';
import { type DType, type DTypeArrayMap, dtypeFromKServe, dtypeInfo } from '../../dtype.js';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../../errors.js';
import { Tensor, allocateTensorData, elementCount } from '../../tensor.js';

/** A JSON tensor "data" value: flat or nested arrays of numbers or booleans. */
export type JsonTensorData = (number | boolean | null | JsonTensorData)[];

const littleEndian = endianness() === 'LE';

export function kserveDatatype(dtype: DType): string {
  return dtypeInfo(dtype).kserve;
}

/** The dtype of a KServe datatype string; BYTES (string tensors) is refused with its own code. */
export function dtypeOfDatatype(datatype: unknown, name: string): DType {
  if (datatype === 'BYTES') {
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected a numeric or BOOL datatype for ${name} but received "BYTES": string tensors are not supported by tensorrt-node`,
    );
  }
  const dtype = typeof datatype === 'string' ? dtypeFromKServe(datatype) : undefined;
  if (dtype === undefined)
    throw invalidArgument('a KServe v2 datatype (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BF16)', name, datatype);
  return dtype;
}

/** A tensor shape from the wire: an array of non-negative safe integers. */
export function checkShape(shape: unknown, name: string): number[] {
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)) {
    throw invalidArgument('a shape of non-negative integers', name, shape);
  }
  return shape as number[];
}

/**
 * Whether this tensor can travel as JSON without loss: JSON numbers are doubles, so FP16/BF16 have no
 * agreed JSON form (the protocol says so), 64-bit integers beyond 2^53, non-finite floats and -0 have none.
 */
export function jsonSafe(tensor: Tensor): boolean {
  const data = tensor.data;
  switch (tensor.dtype) {
    case 'float16':
    case 'bfloat16':
      return false;
    case 'int64':
    case 'uint64':
      for (const value of data as BigInt64Array)
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) return false;
      return true;
    case 'float32':
    case 'float64':
      // JSON.stringify writes -0 as 0.
      for (const value of data as Float32Array) if (!Number.isFinite(value) || Object.is(value, -0)) return false;
      return true;
    default:
      return true;
  }
}

/** The tensor's elements as a flat JSON array; refuses what JSON cannot carry exactly (see jsonSafe). */
export function tensorToJson(tensor: Tensor, name: string): JsonTensorData {
  if (!jsonSafe(tensor)) {
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected a tensor JSON can carry exactly for ${name} but received ${tensor.dtype} data that needs binary transfer; request it with binary_data`,
    );
  }
  if (tensor.dtype === 'bool') return Array.from(tensor.data as Uint8Array, (value) => value !== 0);
  if (tensor.data instanceof BigInt64Array || tensor.data instanceof BigUint64Array)
    return Array.from(tensor.data, (value) => Number(value));
  if (tensor.dtype === 'float32') return Array.from(tensor.data as Float32Array, shortestFloat32);
  return Array.from(tensor.data as ArrayLike<number>);
}

/**
 * The shortest decimal that reads back as this float32: 1.1f prints as 1.1, not as the double it
 * widens to (1.100000023841858). Nine significant digits always suffice for a float32, and the double
 * itself reads back exactly too, so it stands in for nine. -0 never gets here (jsonSafe).
 */
function shortestFloat32(value: number): number {
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 24) return value;
  // More digits never read back worse, so the fewest that read back exactly can be bisected.
  let low = 1;
  let high = 9;
  while (low < high) {
    const digits = (low + high) >> 1;
    if (Math.fround(Number(value.toPrecision(digits))) === value) high = digits;
    else low = digits + 1;
  }
  return high === 9 ? value : Number(value.toPrecision(high));
}

function flatten(data: JsonTensorData, into: (number | boolean | null)[], name: string, depth: number): void {
  if (depth > 64) throw invalidArgument('tensor data nested at most 64 deep', name, data);
  for (const value of data) {
    if (Array.isArray(value)) flatten(value, into, name, depth + 1);
    else into.push(value);
  }
}

/** A tensor from a JSON "data" array (flat or nested), checked against the shape and datatype. */
export function jsonToTensor(data: unknown, dtype: DType, shape: number[], name: string): Tensor {
  if (!Array.isArray(data)) throw invalidArgument('a "data" array', name, data);
  if (dtype === 'float16' || dtype === 'bfloat16') {
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected binary data for ${name} but received JSON data: ${dtype} has no JSON form in KServe v2; send it with binary_data_size`,
    );
  }
  const values: (number | boolean | null)[] = [];
  flatten(data as JsonTensorData, values, name, 0);
  const count = elementCount(shape);
  if (values.length !== count) {
    throw new TensorRTNodeError(
      ErrorCode.SHAPE_MISMATCH,
      `Expected ${count} elements (shape [${shape.join(', ')}]) for ${name} but received ${values.length}`,
    );
  }
  const array = allocateTensorData(dtype, shape, name);
  const integer = dtype !== 'float32' && dtype !== 'float64' && dtype !== 'bool';
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (dtype === 'bool') {
      if (value !== true && value !== false && value !== 0 && value !== 1)
        throw invalidArgument('true, false, 0 or 1', `${name}[${i}]`, value);
      (array as Uint8Array)[i] = value === true || value === 1 ? 1 : 0;
    } else if (typeof value !== 'number' || (integer && !Number.isInteger(value))) {
      throw invalidArgument(`${integer ? 'an integer' : 'a number'} (${dtype})`, `${name}[${i}]`, value);
    } else if (array instanceof BigInt64Array || array instanceof BigUint64Array) {
      array[i] = BigInt(value);
    } else {
      (array as Float64Array)[i] = value;
    }
  }
  return new Tensor(dtype, array as DTypeArrayMap[DType], shape, { name });
}

function requireLittleEndian(): void {
  if (!littleEndian) throw new TensorRTNodeError(ErrorCode.UNSUPPORTED, 'Binary tensor data is little-endian; this host is big-endian');
}

/** The tensor's bytes as they go on the wire: a view, no copy (the caller must not change the data until sent). */
export function tensorToBytes(tensor: Tensor): Uint8Array {
  requireLittleEndian();
  const data = tensor.data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A tensor from binary bytes. The bytes are copied into a fresh array: they may sit at an offset
 * the element type cannot be read at, and they belong to a body buffer that is reused.
 */
export function bytesToTensor(bytes: Uint8Array, dtype: DType, shape: number[], name: string): Tensor {
  requireLittleEndian();
  const { bytesPerElement } = dtypeInfo(dtype);
  const expected = elementCount(shape) * bytesPerElement;
  if (bytes.length !== expected) {
    throw new TensorRTNodeError(
      ErrorCode.SHAPE_MISMATCH,
      `Expected ${expected} bytes of ${dtype} data (shape [${shape.join(', ')}]) for ${name} but received ${bytes.length}`,
    );
  }
  const array = allocateTensorData(dtype, shape, name);
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
  if (dtype === 'bool')
    for (let i = 0; i < array.length; i++)
      if ((array as Uint8Array)[i] > 1) throw invalidArgument('BOOL bytes of 0 or 1', `${name}[${i}]`, (array as Uint8Array)[i]);
  return new Tensor(dtype, array as DTypeArrayMap[DType], shape, { name });
}
