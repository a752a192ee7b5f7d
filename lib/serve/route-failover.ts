/**
 * Which failures the router sends on to the next route by default: failures of the route rather than
 * of the request, so that the same request may succeed elsewhere. See lib/serve/router.ts.
 */
import { ErrorCode } from '../errors.js';
import { errorCodeOf } from './metrics.js';

/**
 * Codes of route failures. Bad input (shape, dtype, unknown tensor) and model errors stay with the
 * caller, and so does an abort. ERR_REMOTE is the remote backend's code (narrowed by
 * failsOverByDefault); ECONN* and UND_ERR_* are Node's and undici's socket errors.
 */
export const RETRYABLE_CODES: readonly string[] = [
  ErrorCode.DISPOSED,
  ErrorCode.QUEUE_FULL,
  ErrorCode.BACKEND_UNAVAILABLE,
  ErrorCode.CUDA,
  ErrorCode.OUT_OF_MEMORY,
  ErrorCode.REMOTE,
  'ERR_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
];

const RETRYABLE = new Set(RETRYABLE_CODES);

/**
 * The default `policy.failoverOn`: an error whose code is in RETRYABLE_CODES, except a remote server's
 * answer that blames the request. The remote backend's ERR_REMOTE carries `details` "HTTP <status>"
 * when the server answered; a 4xx answer (400, 404, 422: bad input, an unknown model) would be the
 * same on any route, so it goes back to the caller, save 408 and 429 (the server timed out or is
 * overloaded). 5xx answers, and ERR_REMOTE without a status (no answer: refused or reset connections,
 * `details` the socket error's code; a timeout, `details` "timeout"; an answer that does not parse),
 * fail over.
 */
export function failsOverByDefault(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (!RETRYABLE.has(code)) return false;
  if (code !== ErrorCode.REMOTE) return true;
  const status = /^HTTP (\d{3})$/.exec(String((error as { details?: unknown }).details ?? ''))?.[1];
  if (status === undefined) return true;
  const value = Number(status);
  return value >= 500 || value === 408 || value === 429;
}
