/**
 * How long to wait before a retry: exponential backoff with jitter (so clients that failed together
 * do not come back together), a server's Retry-After when it gives one, both bounded.
 */
import { abortError } from '../../errors.js';
import { onAbort } from '../../util/abort-listeners.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  readonly retries: number;
  /** Delay before the first retry; doubles each time. */
  readonly baseDelayMs: number;
  /** Longest wait between attempts, Retry-After included. */
  readonly maxDelayMs: number;
}

/** Delay before retry number `retry` (0-based): half fixed, half random, of min(max, base * 2^retry). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`, or rejects with ERR_ABORTED as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const unsubscribe = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(abortError(signal));
        })
      : () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
  });
}
