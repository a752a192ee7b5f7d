import { kMaxLength } from 'node:buffer';
import { DTYPES, type DType, type DTypeArrayMap, type TypedArray, dtypeInfo, dtypesForArray, isDType, isTypedArray } from './dtype.js';
import { ErrorCode, TensorRTNodeError, describeValue, invalidArgument } from './errors.js';

/**
 * Where a tensor's bytes live. 'cpu' is ordinary JS memory; 'cpu-pinned' is page-locked host memory
 * allocated by the native addon (still a TypedArray, but DMA-able); 'cuda' is device memory.
 */
export type TensorLocation = 'cpu' | 'cpu-pinned' | 'cuda';

export type Dims = readonly number[];

/** Number of elements in a tensor of these dims (1 for a scalar). */
export function elementCount(dims: Dims): number {
  let count = 1;
  for (const dim of dims) count *= dim;
  return count;
}

/** A tensor's dims as given, e.g. `[2, 3]`. */
export function formatDims(dims: readonly number[]): string {
  return dims.length === 0 ? '[] (scalar)' : `[${dims.join(', ')}]`;
}

/**
 * A model's declared shape: a named dynamic dim by its name (`[batch, 4]`), an unnamed one as `?`
 * whichever way the backend spells it (ONNX Runtime: '', TensorRT: -1, an ONNX file: no value).
 */
export function formatShape(shape: readonly (number | string)[]): string {
  return shape.length === 0 ? '[] (scalar)' : `[${shape.map(formatDim).join(', ')}]`;
}

/** One dim of a model's declared shape, as formatShape prints it. */
export function formatDim(dim: number | string): string {
  return dim === '' || (typeof dim === 'number' && dim < 0) ? '?' : String(dim);
}

function checkDims(dims: unknown, name: string): number[] {
  if (!Array.isArray(dims) || !dims.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw invalidArgument('an array of non-negative integers', `the dims of ${name}`, dims);
  }
  return dims.slice();
}

/** The most bytes one TypedArray can hold here (V8's limit; 4 GiB on Node 20, more on later versions). */
const MAX_ARRAY_BYTES = kMaxLength;

/**
 * A zero-filled TypedArray for a tensor of `dtype` and `dims`. Dims too large for one array get
 * ERR_INVALID_ARGUMENT before anything is allocated; an allocation the machine cannot satisfy gets
 * ERR_OUT_OF_MEMORY (V8 reports both as a bare RangeError).
 */
export function allocateTensorData<D extends DType>(dtype: D, dims: Dims, name: string): DTypeArrayMap[D] {
  const { arrayType, bytesPerElement } = dtypeInfo(dtype);
  const bytes = elementCount(dims) * bytesPerElement;
  if (bytes > MAX_ARRAY_BYTES) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected dims whose ${dtype} data fits in one array (at most ${formatBytes(MAX_ARRAY_BYTES)}) for ${name} ` +
        `but received ${formatDims(dims)} (${formatBytes(bytes)}); use smaller dims`,
    );
  }
  try {
    return new arrayType(elementCount(dims)) as DTypeArrayMap[D];
  } catch (error) {
    throw new TensorRTNodeError(
      ErrorCode.OUT_OF_MEMORY,
      `Could not allocate ${formatBytes(bytes)} for ${name} ${formatDims(dims)}: the process is out of memory; use smaller dims`,
      { cause: error },
    );
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toPrecision(3)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toPrecision(3)} MiB`;
  return `${bytes} bytes`;
}

/**
 * A typed n-dimensional array. It wraps the caller's TypedArray without copying: `data` is the very
 * object passed in, byteOffset and all, so writes through either are seen by both.
 */
export class Tensor<T extends DType = DType> {
  readonly dtype: T;
  readonly dims: Dims;
  readonly data: DTypeArrayMap[T];
  readonly location: TensorLocation;

  /**
   * @param dtype element type; `data` must be the TypedArray that dtype uses (float16: Uint16Array of bits)
   * @param data the elements, row-major; used in place
   * @param dims shape; defaults to a 1-D tensor of data.length
   */
  constructor(dtype: T, data: DTypeArrayMap[T], dims?: Dims, options: { name?: string; location?: TensorLocation } = {}) {
    const name = options.name ? `tensor "${options.name}"` : 'the tensor';
    if (!isDType(dtype)) throw invalidArgument(`a dtype (one of ${DTYPES.join(', ')})`, `the dtype of ${name}`, dtype);
    if (!isTypedArray(data)) throw invalidArgument('a TypedArray', `the data of ${name}`, data, ErrorCode.INVALID_ARGUMENT);
    const info = dtypeInfo(dtype);
    if (!(data instanceof info.arrayType)) {
      throw new TensorRTNodeError(
        ErrorCode.DTYPE_MISMATCH,
        `Expected a ${info.arrayType.name} for the data of ${name} (dtype ${dtype}) but received ${describeValue(data)}`,
      );
    }
    const shape = dims === undefined ? [data.length] : checkDims(dims, name);
    const count = elementCount(shape);
    if (count !== data.length) {
      throw new TensorRTNodeError(
        ErrorCode.SHAPE_MISMATCH,
        `Expected ${count} elements for the data of ${name} (dims ${formatDims(shape)}) but received ${data.length}`,
      );
    }
    this.dtype = dtype;
    this.data = data;
    this.dims = Object.freeze(shape);
    this.location = options.location ?? 'cpu';
  }

  /** A tensor over `data`, with the dtype its TypedArray implies (Uint16Array: float16, Uint8Array: uint8). */
  static from(data: TypedArray, dims?: Dims): Tensor {
    if (!isTypedArray(data)) throw invalidArgument('a TypedArray', 'data', data);
    const dtype = data instanceof Uint16Array ? 'float16' : dtypesForArray(data)[0];
    return new Tensor(dtype, data as DTypeArrayMap[typeof dtype], dims);
  }

  /** A zero-filled tensor. */
  static zeros<D extends DType>(dtype: D, dims: Dims): Tensor<D> {
    if (!isDType(dtype)) throw invalidArgument(`a dtype (one of ${DTYPES.join(', ')})`, 'the dtype of Tensor.zeros', dtype);
    const shape = checkDims(dims, 'Tensor.zeros');
    return new Tensor(dtype, allocateTensorData(dtype, shape, 'Tensor.zeros'), shape);
  }

  /** The dtype, under the name onnxruntime-node's Tensor uses. */
  get type(): T {
    return this.dtype;
  }

  /**
   * This tensor typed as `dtype`, so `data` is that dtype's TypedArray; ERR_DTYPE_MISMATCH when it
   * holds another. Results come back as `Tensor` (any dtype): this narrows one without a cast.
   */
  as<D extends DType>(dtype: D): Tensor<D> {
    if ((this.dtype as DType) !== dtype) {
      throw new TensorRTNodeError(ErrorCode.DTYPE_MISMATCH, `Expected a ${dtype} tensor for as() but received a ${this.dtype} tensor`);
    }
    return this as unknown as Tensor<D>;
  }

  get size(): number {
    return this.data.length;
  }

  get byteLength(): number {
    return this.data.byteLength;
  }

  /** A view of the same bytes with other dims (no copy). */
  reshape(dims: Dims): Tensor<T> {
    return new Tensor(this.dtype, this.data, dims, { location: this.location });
  }

  toString(): string {
    return `Tensor<${this.dtype}>${formatDims(this.dims)}`;
  }
}
