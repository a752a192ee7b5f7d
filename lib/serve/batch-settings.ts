/**
 * The batcher's settings that others reuse: its defaults, the check of its delay, and when a model
 * can batch at all. A Triton model repository export derives its dynamic_batching from these, so a
 * model served by Triton batches as it would behind createBatcher.
 */
import { invalidArgument } from '../errors.js';

/** Most items in one run unless asked otherwise. */
export const DEFAULT_MAX_BATCH = 32;
/** Longest an item waits for companions while a run slot is free, in milliseconds. */
export const DEFAULT_DELAY_MS = 2;
/** Items waiting beyond this are refused with ERR_QUEUE_FULL. */
export const DEFAULT_MAX_QUEUE = 1024;

/** A wait for companions: a non-negative, finite number of milliseconds. */
export function validateDelayMs(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw invalidArgument('a non-negative number of milliseconds', name, value);
  return value;
}

function isDynamic(dim: number | string | undefined): boolean {
  return typeof dim === 'string' || (typeof dim === 'number' && dim < 0);
}

/**
 * Whether runs may stack several items along the first dim: there is an input, and every input and
 * output has a dynamic first dim (a fixed one, a scalar or a batch elsewhere would not split back).
 */
export function batchesAlongFirstDim(
  inputs: readonly { readonly shape: readonly (number | string)[] }[],
  outputs: readonly { readonly shape: readonly (number | string)[] }[],
): boolean {
  return inputs.length > 0 && [...inputs, ...outputs].every((info) => info.shape.length > 0 && isDynamic(info.shape[0]));
}
