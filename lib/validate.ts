/**
 * Argument checks shared by every backend: the session validates feeds and options once, here, so
 * backends (and native code under them) can trust what they are given.
 */
import { ErrorCode, TensorRTNodeError, invalidArgument } from './errors.js';
import type { TensorInfo } from './backends/backend.js';
import { Tensor, formatDims } from './tensor.js';

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
    const value = feeds[info.name];
    if (!(value instanceof Tensor) || value.dtype !== info.dtype || value.dims.length !== info.shape.length) return false;
    for (let axis = 0; axis < info.shape.length; axis++) {
      const expected = info.shape[axis];
      if (typeof expected === 'number' && expected >= 0 && value.dims[axis] !== expected) return false;
    }
  }
  return true;
}

/**
 * Checks each feed against the model's inputs: known name, a Tensor, the dtype, the rank and every fixed dim.
 * Valid feeds are returned as given (backends only read them, synchronously, when the run starts).
 */
export function validateFeeds(inputs: readonly TensorInfo[], feeds: unknown): Record<string, Tensor> {
  if (feedsMatchExactly(inputs, feeds)) return feeds as Record<string, Tensor>;
  if (!isPlainObject(feeds)) throw invalidArgument('an object mapping input names to Tensors', 'feeds', feeds);
  const byName = new Map(inputs.map((info) => [info.name, info]));
  const checked: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(feeds)) {
    const info = byName.get(name);
    if (!info) {
      throw new TensorRTNodeError(
        ErrorCode.UNKNOWN_TENSOR,
        `Expected one of the model's inputs (${inputs.map((i) => JSON.stringify(i.name)).join(', ')}) but received an unknown input "${name}"`,
      );
    }
    if (!(value instanceof Tensor)) throw invalidArgument('a Tensor', `input "${name}"`, value);
    if (value.dtype !== info.dtype) {
      throw new TensorRTNodeError(ErrorCode.DTYPE_MISMATCH, `Expected dtype ${info.dtype} for input "${name}" but received ${value.dtype}`);
    }
    if (value.dims.length !== info.shape.length) {
      throw new TensorRTNodeError(
        ErrorCode.SHAPE_MISMATCH,
        `Expected rank ${info.shape.length} (shape ${formatDims(info.shape)}) for input "${name}" but received dims ${formatDims(value.dims)}`,
      );
    }
    info.shape.forEach((expected, axis) => {
      if (typeof expected === 'number' && expected >= 0 && value.dims[axis] !== expected) {
        throw new TensorRTNodeError(
          ErrorCode.SHAPE_MISMATCH,
          `Expected ${expected} at axis ${axis} (shape ${formatDims(info.shape)}) for input "${name}" but received dims ${formatDims(value.dims)}`,
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
      `Expected a Tensor for input "${first.name}" (${first.dtype} ${formatDims(first.shape)}) but received none` +
        (missing.length > 1 ? ` (also missing: ${missing.slice(1).map((i) => `"${i.name}"`).join(', ')})` : ''),
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
