/** The remote backend's options (SessionOptions.remote), their defaults and their checks. */
import { invalidArgument } from '../errors.js';
import { isPlainObject, validatePositiveInteger } from '../validate.js';

export interface RemoteBackendOptions {
  /** Limit for one attempt of one request, in ms (0: none). Default 60000. */
  timeoutMs?: number;
  /** Retries of a failure that is safe to repeat (no answer, 429, 502, 503, 504). Default 3. */
  retries?: number;
  /** Backoff before the first retry, in ms; it doubles per retry, with jitter. Default 100. */
  retryDelayMs?: number;
  /** Longest wait between attempts, in ms; a server's longer Retry-After ends the retries. Default 5000. */
  maxRetryDelayMs?: number;
  /** Most connections (and so requests in flight) to the server; more runs wait, up to maxQueue. Default 8. */
  connections?: number;
  /** Inputs of at least this many bytes travel as binary data, smaller ones as JSON (FP16, BF16 and 64-bit ints always binary). Default 1024. */
  binaryThreshold?: number;
  /** Headers sent with every request (authorization, a gateway's routing header). */
  headers?: Record<string, string>;
  /** A larger response is refused with ERR_REMOTE. Default 1 GiB. */
  maxResponseBytes?: number;
}

export type ResolvedRemoteOptions = Required<RemoteBackendOptions>;

export function normaliseRemoteOptions(options: unknown): ResolvedRemoteOptions {
  if (options !== undefined && !isPlainObject(options)) {
    throw invalidArgument(
      'an object { timeoutMs?, retries?, retryDelayMs?, maxRetryDelayMs?, connections?, binaryThreshold?, headers?, maxResponseBytes? }',
      'options.remote',
      options,
    );
  }
  const given = options ?? {};
  const headers = given.headers ?? {};
  if (!isPlainObject(headers) || !Object.values(headers).every((value) => typeof value === 'string')) {
    throw invalidArgument('an object of header names to strings', 'options.remote.headers', headers);
  }
  const binaryThreshold = given.binaryThreshold;
  if (binaryThreshold !== undefined && binaryThreshold !== Number.POSITIVE_INFINITY) {
    validatePositiveInteger(binaryThreshold, 'options.remote.binaryThreshold', { allowZero: true });
  }
  return {
    timeoutMs: validatePositiveInteger(given.timeoutMs, 'options.remote.timeoutMs', { allowZero: true }) ?? 60_000,
    retries: validatePositiveInteger(given.retries, 'options.remote.retries', { allowZero: true }) ?? 3,
    retryDelayMs: validatePositiveInteger(given.retryDelayMs, 'options.remote.retryDelayMs', { allowZero: true }) ?? 100,
    maxRetryDelayMs: validatePositiveInteger(given.maxRetryDelayMs, 'options.remote.maxRetryDelayMs', { allowZero: true }) ?? 5000,
    connections: validatePositiveInteger(given.connections, 'options.remote.connections') ?? 8,
    binaryThreshold: (binaryThreshold as number | undefined) ?? 1024,
    headers: { ...(headers as Record<string, string>) },
    maxResponseBytes: validatePositiveInteger(given.maxResponseBytes, 'options.remote.maxResponseBytes') ?? 2 ** 30,
  };
}
