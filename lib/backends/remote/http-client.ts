/**
 * HTTP for the remote backend: undici over keep-alive connections (a capped pool per origin), a
 * timeout per attempt, and retries of failures that are safe to repeat. Inference has no side
 * effects, so a request the server never answered (connection refused, reset before or during the
 * response) or declined while overloaded (502, 503, 504, 429) is sent again after a backoff; nothing
 * else is (a timeout is not: the server may still be computing it).
 * A caller's AbortSignal cancels the request in flight and any backoff wait.
 */
import { Agent, request } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode, TensorRTNodeError, abortError } from '../../errors.js';
import { onAbort } from '../../util/abort-listeners.js';
import { type RetryPolicy, backoffDelay, retryAfterMs, sleep } from './backoff.js';
import { errorMessageOf } from '../kserve/metadata.js';

export interface HttpClientOptions {
  /** Most connections open to the server at once. */
  readonly connections: number;
  /** Limit for one attempt, from sending to the last byte of the response; undefined: none. */
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy;
  /** Sent with every request (authorization, routing headers). */
  readonly headers: Readonly<Record<string, string>>;
  /** A larger response is refused (undici stops reading it). */
  readonly maxResponseBytes: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

export interface SendOptions {
  readonly body?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Overrides the policy's retries for this request. */
  readonly retries?: number;
}

/** Errors raised before any response arrived: the server never saw the request, or never answered it. */
const RETRYABLE_CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

function errorCodeOf(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

/** ERR_REMOTE for an answer that is not a success, with the server's own message when its body has one. */
export function statusError(method: string, url: string, response: HttpResponse): TensorRTNodeError {
  let message: string | undefined;
  try {
    message = errorMessageOf(JSON.parse(Buffer.from(response.body).toString('utf8')));
  } catch {
    const text = Buffer.from(response.body.subarray(0, 200)).toString('utf8').trim();
    message = text === '' ? undefined : text;
  }
  return new TensorRTNodeError(
    ErrorCode.REMOTE,
    `The server answered ${method} ${url} with HTTP ${response.status}${message === undefined ? '' : `: ${message}`}`,
    { details: `HTTP ${response.status}` },
  );
}

class AttemptTimeout extends Error {}

export class HttpClient {
  private readonly agent: Agent;

  constructor(
    readonly base: string,
    private readonly options: HttpClientOptions,
  ) {
    this.agent = new Agent({ connections: options.connections, maxResponseSize: options.maxResponseBytes });
  }

  /**
   * Sends the request, retrying as the policy allows. Resolves with the last answer whatever its
   * status (the caller decides what a 4xx means); rejects with ERR_REMOTE when no answer came, or
   * with ERR_ABORTED when `signal` fires.
   */
  async send(method: 'GET' | 'POST', path: string, options: SendOptions = {}): Promise<HttpResponse> {
    const url = `${this.base}${path}`;
    const { retry } = this.options;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= (options.retries ?? retry.retries);
      let response: HttpResponse;
      try {
        response = await this.attempt(method, url, options);
      } catch (error) {
        if (error instanceof TensorRTNodeError) throw error;
        const code = errorCodeOf(error);
        if (!last && code !== undefined && RETRYABLE_CONNECTION_ERRORS.has(code)) {
          await sleep(backoffDelay(attempt, retry), options.signal);
          continue;
        }
        throw new TensorRTNodeError(
          ErrorCode.REMOTE,
          `Could not get an answer to ${method} ${url}${attempt > 0 ? ` after ${attempt + 1} attempts` : ''}: ${(error as Error).message}`,
          { details: code, cause: error },
        );
      }
      if (last || !RETRYABLE_STATUSES.has(response.status)) return response;
      const backoff = backoffDelay(attempt, retry);
      const serverAsked = retryAfterMs(response.headers['retry-after']);
      // A server that asks for longer than the policy allows is answered with its error now, not hammered sooner.
      if (serverAsked !== undefined && serverAsked > retry.maxDelayMs) return response;
      await sleep(Math.max(backoff, serverAsked ?? 0), options.signal);
    }
  }

  private async attempt(method: 'GET' | 'POST', url: string, options: SendOptions): Promise<HttpResponse> {
    const controller = new AbortController();
    const { signal } = options;
    const unsubscribe = signal ? onAbort(signal, () => controller.abort(signal.reason)) : () => {};
    const { timeoutMs } = this.options;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new AttemptTimeout()), timeoutMs);
    try {
      if (signal?.aborted) throw abortError(signal);
      const answer = await request(url, {
        dispatcher: this.agent,
        method,
        headers: { ...this.options.headers, ...options.headers },
        body: options.body,
        signal: controller.signal,
      });
      const body = await answer.body.bytes();
      return { status: answer.statusCode, headers: answer.headers, body };
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      if (controller.signal.reason instanceof AttemptTimeout) {
        throw new TensorRTNodeError(ErrorCode.REMOTE, `Expected an answer to ${method} ${url} within ${timeoutMs} ms but received none`, {
          details: 'timeout',
          cause: error,
        });
      }
      if (errorCodeOf(error) === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
        throw new TensorRTNodeError(
          ErrorCode.REMOTE,
          `Expected an answer of at most ${this.options.maxResponseBytes} bytes to ${method} ${url} but received more; raise remote.maxResponseBytes`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
