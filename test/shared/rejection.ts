import { expect } from 'vitest';

import { TensorRTNodeError } from '../../lib/errors.js';

/** The TensorRTNodeError `promise` rejects with (the test fails when it resolves or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<TensorRTNodeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TensorRTNodeError);
  return error as TensorRTNodeError;
}
