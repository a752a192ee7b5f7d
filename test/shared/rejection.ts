/**
 * How tests take hold of an expected failure: the TensorRTNodeError itself, so that they assert its
 * exact code and message. Each helper fails the test when the call succeeds or fails with anything else.
 */
import { expect } from 'vitest';

import { TensorRTNodeError } from '../../lib/errors.js';

/** The TensorRTNodeError `promise` rejects with (the test fails when it resolves or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<TensorRTNodeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, String(error)).toBeInstanceOf(TensorRTNodeError);
  return error as TensorRTNodeError;
}

/** The TensorRTNodeError `fn` throws (the test fails when it returns or throws anything else). */
export function thrown(fn: () => unknown): TensorRTNodeError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, String(error)).toBeInstanceOf(TensorRTNodeError);
  return error as TensorRTNodeError;
}

/** `promise` rejects with `code` and a message equal to `message` (a string) or matching it (a RegExp). */
export async function expectCode(promise: Promise<unknown>, code: string, message: string | RegExp): Promise<TensorRTNodeError> {
  const error = await rejection(promise);
  expect(error.code, error.message).toBe(code);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  return error;
}
