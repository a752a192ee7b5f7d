/**
 * Parsers for command-line option values. They throw TensorRTNodeError (ERR_INVALID_ARGUMENT) in the
 * project's one message shape, so a bad flag reads like any other bad argument.
 */
import { invalidArgument } from '../errors.js';

export function integerOption(flag: string, { min, max }: { min: number; max?: number }): (value: string) => number {
  return (value) => {
    const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || (max !== undefined && number > max)) {
      const what = max !== undefined ? `an integer from ${min} to ${max}` : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
      throw invalidArgument(what, flag, value);
    }
    return number;
  };
}

export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!choices.includes(value as T)) throw invalidArgument(`one of ${choices.join(', ')}`, flag, value);
    return value as T;
  };
}

/** For options that may be given more than once: each value is appended. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
