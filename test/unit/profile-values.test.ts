// Profiles' `values` for shape tensor inputs, checked in TypeScript before anything native runs:
// as many integers as the input holds (so its dims are fixed), min <= opt <= max element-wise.
import { describe, expect, it } from 'vitest';

import { ErrorCode, TensorRTNodeError } from '../../lib/errors.js';
import { type ModelInput, resolveProfiles } from '../../lib/tensorrt/profiles.js';

const inputs: ModelInput[] = [
  { name: 'x', dims: [-1] },
  { name: 'shape', dims: [-1] },
];

function resolve(shape: unknown): unknown {
  return resolveProfiles(inputs, [{ x: { min: [1], opt: [4], max: [8] }, shape }], undefined, 'options');
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TensorRTNodeError);
    expect((error as TensorRTNodeError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    return (error as TensorRTNodeError).message;
  }
  throw new Error('expected a TensorRTNodeError');
}

describe('shape tensor values in profiles', () => {
  it('keeps checked values, with -1 allowed (Reshape wildcard), next to the dims', () => {
    const values = { min: [1, -1], opt: [2, 3], max: [8, 8] };
    expect(resolve({ min: [2], opt: [2], max: [2], values })).toEqual([
      { x: { min: [1], opt: [4], max: [8] }, shape: { min: [2], opt: [2], max: [2], values } },
    ]);
  });

  it('leaves ranges without values as they were', () => {
    expect(resolve({ min: [2], opt: [2], max: [3] })).toEqual([
      { x: { min: [1], opt: [4], max: [8] }, shape: { min: [2], opt: [2], max: [3] } },
    ]);
  });

  it('needs fixed dims, since the values count the elements', () => {
    expect(messageOf(() => resolve({ min: [2], opt: [2], max: [3], values: { min: [1, 1], opt: [1, 1], max: [1, 1] } }))).toBe(
      'Expected fixed dims (min = max) for input shape, whose values are given in options.profiles[0].shape.values, but received min [2] and max [3]',
    );
  });

  it('refuses values of the wrong count, non-integers, disorder and other shapes', () => {
    const dims = { min: [2], opt: [2], max: [2] };
    expect(messageOf(() => resolve({ ...dims, values: { min: [1, 1, 1], opt: [1, 1], max: [1, 1] } }))).toBe(
      'Expected 2 values (the elements of input shape [2]) for options.profiles[0].shape.values.min but received [1, 1, 1]',
    );
    expect(messageOf(() => resolve({ ...dims, values: { min: [1, 1], opt: [1, 2 ** 60], max: [1, 1] } }))).toBe(
      `Expected an array of integers for options.profiles[0].shape.values.opt but received [1, ${2 ** 60}]`,
    );
    expect(messageOf(() => resolve({ ...dims, values: { min: [5, 1], opt: [4, 1], max: [6, 1] } }))).toBe(
      'Expected min <= opt <= max for options.profiles[0].shape.values value 0 but received min 5, opt 4, max 6',
    );
    expect(messageOf(() => resolve({ ...dims, values: 'big' }))).toBe(
      'Expected an object { min, opt, max } of shape tensor values for options.profiles[0].shape.values but received "big"',
    );
  });
});
