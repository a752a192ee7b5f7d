/**
 * Argument checks shared by every backend: the session validates feeds and options once, here, so
 * backends (and native code under them) can trust what they are given.
 */
import { availableParallelism } from 'node:os';
import { dtypeInfo, isDType } from './dtype.js';
import { ErrorCode, TensorRTNodeError, describeValue, invalidArgument } from './errors.js';
import type { TensorInfo } from './backends/backend.js';
import { Tensor, elementCount, formatDims, formatShape } from './tensor.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when `feeds` holds exactly the model's inputs, each a Tensor of the right dtype, rank and fixed
 * dims. It allocates nothing: a tiny model's run takes ~10 us, so the check that runs on every call
 * must cost well under one. Anything it does not accept goes through the full check for its error.
 */
function feedsMatchExactly(inputs: readonly TensorInfo[], feeds: unknown): boolean {
  if (!isPlainObject(feeds)) return false;
  let count = 0;
  for (const _ in feeds) count++;
  if (count !== inputs.length) return false;
  for (let i = 0; i < inputs.length; i++) {
    const info = inputs[i];
    // Own properties only: an input may be named "__proto__" or "constructor".
    const value = Object.hasOwn(feeds, info.name) ? feeds[info.name] : undefined;
    if (!(value instanceof Tensor) || value.dtype !== info.dtype || value.dims.length !== info.shape.length) return false;
    for (let axis = 0; axis < info.shape.length; axis++) {
      const expected = info.shape[axis];
      if (typeof expected === 'number' && expected >= 0 && value.dims[axis] !== expected) return false;
    }
    // The data may have changed since the Tensor was made: a transferred (detached) or shrunk buffer, another array.
    if (value.data.length !== elementCount(value.dims) || !(value.data instanceof dtypeInfo(info.dtype).arrayType)) return false;
  }
  return true;
}

/**
 * A Tensor checks its data when it is made, but the data can change afterwards: its ArrayBuffer
 * transferred to a worker (detached, length 0), a resizable buffer shrunk, or a field overwritten.
 * Backends would otherwise fail deep inside ONNX Runtime or postMessage with a bare TypeError.
 */
function checkTensorIntact(value: Tensor, name: string): void {
  const dims: unknown = value.dims;
  if (!Array.isArray(dims) || !dims.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw invalidArgument('dims that are an array of non-negative integers', `input "${name}"`, dims);
  }
  const info = dtypeInfo(value.dtype);
  if (!(value.data instanceof info.arrayType)) {
    throw new TensorRTNodeError(
      ErrorCode.DTYPE_MISMATCH,
      `Expected a ${info.arrayType.name} for the data of input "${name}" (dtype ${value.dtype}) but received ${describeValue(value.data)}; make a new Tensor instead of changing one`,
    );
  }
  const count = elementCount(dims);
  if (value.data.length !== count) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected ${count} elements (dims ${formatDims(dims)}) in the data of input "${name}" but received ${describeValue(value.data)}: ` +
        'its ArrayBuffer was transferred (detached), resized or replaced after the Tensor was made; keep the buffer intact until run() returns, or make a new Tensor',
    );
  }
}

/**
 * Checks each feed against the model's inputs: known name, a Tensor, the dtype, the rank and every fixed dim.
 * Valid feeds are returned as given (backends only read them, synchronously, when the run starts).
 */
export function validateFeeds(inputs: readonly TensorInfo[], feeds: unknown): Record<string, Tensor> {
  if (feedsMatchExactly(inputs, feeds)) return feeds as Record<string, Tensor>;
  if (!isPlainObject(feeds)) throw invalidArgument('an object mapping input names to Tensors', 'feeds', feeds);
  const byName = new Map(inputs.map((info) => [info.name, info]));
  // No prototype: assigning an input named "__proto__" must add an entry, not change the prototype.
  const checked: Record<string, Tensor> = Object.create(null);
  for (const [name, value] of Object.entries(feeds)) {
    const info = byName.get(name);
    if (!info) {
      throw new TensorRTNodeError(
        ErrorCode.UNKNOWN_TENSOR,
        `Expected one of the model's inputs (${inputs.map((i) => JSON.stringify(i.name)).join(', ')}) but received an unknown input "${name}"`,
      );
    }
    if (!(value instanceof Tensor)) throw invalidArgument('a Tensor', `input "${name}"`, value);
    if (!isDType(value.dtype)) throw invalidArgument('a dtype', `input "${name}"`, value.dtype);
    checkTensorIntact(value, name);
    if (value.dtype !== info.dtype) {
      throw new TensorRTNodeError(ErrorCode.DTYPE_MISMATCH, `Expected dtype ${info.dtype} for input "${name}" but received ${value.dtype}`);
    }
    if (value.dims.length !== info.shape.length) {
      throw new TensorRTNodeError(
        ErrorCode.SHAPE_MISMATCH,
        `Expected rank ${info.shape.length} (shape ${formatShape(info.shape)}) for input "${name}" but received dims ${formatDims(value.dims)}`,
      );
    }
    info.shape.forEach((expected, axis) => {
      if (typeof expected === 'number' && expected >= 0 && value.dims[axis] !== expected) {
        throw new TensorRTNodeError(
          ErrorCode.SHAPE_MISMATCH,
          `Expected ${expected} at axis ${axis} (shape ${formatShape(info.shape)}) for input "${name}" but received dims ${formatDims(value.dims)}`,
        );
      }
    });
    checked[name] = value;
  }
  const missing = inputs.filter((info) => !(info.name in checked));
  if (missing.length > 0) {
    const first = missing[0];
    throw new TensorRTNodeError(
      ErrorCode.MISSING_INPUT,
      `Expected a Tensor for input "${first.name}" (${first.dtype} ${formatShape(first.shape)}) but received none` +
        (missing.length > 1
          ? ` (also missing: ${missing
              .slice(1)
              .map((i) => `"${i.name}"`)
              .join(', ')})`
          : ''),
    );
  }
  return checked;
}

/** Output names default to all outputs; asked-for names must exist and not repeat. */
export function validateOutputNames(outputs: readonly TensorInfo[], names: unknown): string[] {
  if (names === undefined) return outputs.map((info) => info.name);
  if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string')) {
    throw invalidArgument('a non-empty array of output names', 'options.outputs', names);
  }
  const known = new Set(outputs.map((info) => info.name));
  for (const name of names) {
    if (!known.has(name)) {
      throw new TensorRTNodeError(
        ErrorCode.UNKNOWN_TENSOR,
        `Expected one of the model's outputs (${[...known].map((n) => JSON.stringify(n)).join(', ')}) but received an unknown output "${name}"`,
      );
    }
  }
  if (new Set(names).size !== names.length) throw invalidArgument('output names without repeats', 'options.outputs', names);
  return names;
}

/**
 * `options.outputs`: output names (compute these), or output name -> a caller's tensor to write that
 * output into (compute these, into these). Each tensor has the output's dtype.
 */
export function validateRunOutputs(outputs: readonly TensorInfo[], value: unknown): { names: string[]; buffers: Record<string, Tensor> } {
  if (value === undefined || Array.isArray(value)) return { names: validateOutputNames(outputs, value), buffers: {} };
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    throw invalidArgument('an array of output names or an object of output name -> Tensor', 'options.outputs', value);
  }
  const entries = Object.entries(value);
  if (entries.length === 0)
    throw invalidArgument('an array of output names or an object of output name -> Tensor', 'options.outputs', value);
  const names = validateOutputNames(
    outputs,
    entries.map(([name]) => name),
  );
  const buffers: Record<string, Tensor> = {};
  for (const [name, tensor] of entries) {
    if (!(tensor instanceof Tensor)) throw invalidArgument('a Tensor', `options.outputs["${name}"]`, tensor);
    const info = outputs.find((output) => output.name === name) as TensorInfo;
    if (tensor.dtype !== info.dtype) {
      throw new TensorRTNodeError(
        ErrorCode.DTYPE_MISMATCH,
        `Expected a ${info.dtype} tensor for output "${name}" but received a ${tensor.dtype} tensor`,
      );
    }
    buffers[name] = tensor;
  }
  return { names, buffers };
}

export function validateSignal(signal: unknown, name = 'options.signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw invalidArgument('an AbortSignal', name, signal);
  return signal;
}

export function validateEnum<T extends string>(value: unknown, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalidArgument(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, value);
  }
  return value as T;
}

/** The most threads an option may ask for: more only oversubscribes the CPUs (99,999 threads took 16 GB). */
export function maxThreads(): number {
  return 4 * availableParallelism();
}

/** A thread count: a positive integer up to maxThreads(). */
export function validateThreadCount(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const max = maxThreads();
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw invalidArgument(`an integer from 1 to ${max} (4 per CPU core; ${availableParallelism()} here)`, name, value);
  }
  return value as number;
}

export function validatePositiveInteger(value: unknown, name: string, { allowZero = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < (allowZero ? 0 : 1)) {
    throw invalidArgument(allowZero ? 'a non-negative integer' : 'a positive integer', name, value);
  }
  return value as number;
}

/** A model given as a path or as bytes. */
export function validateModelSource(model: unknown): string | Uint8Array {
  if (typeof model === 'string' && model.length > 0) return model;
  if (model instanceof Uint8Array && model.byteLength > 0) return model;
  throw invalidArgument('a model file path or a non-empty Uint8Array of model bytes', 'model', model);
}
