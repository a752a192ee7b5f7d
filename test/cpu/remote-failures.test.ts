// How the remote backend meets failure, over real HTTP on 127.0.0.1: a proxy in front of the example
// server (which runs a real model) answers 503 or 429, resets connections or stays silent before it
// forwards, and the backend retries what is safe to repeat, gives up with ERR_REMOTE when told to,
// times out, cancels on AbortSignal and bounds its queue. No test waits on a clock it asserts on.
import type { ServerResponse } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor } from '../../lib/index.js';
import { scaleByLength } from '../fixtures/serving-models.js';
import {
  type FlakyProxy,
  type ProxyPlan,
  type RunningExampleServer,
  closedPort,
  startExampleServer,
  startFlakyProxy,
} from '../shared/kserve-servers.js';

let server: RunningExampleServer;
const proxies: FlakyProxy[] = [];
const x = () => new Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]);
const expected = Float32Array.from([3, 6, 9]);
const fastRetries = { retryDelayMs: 1, maxRetryDelayMs: 1000 };

beforeAll(async () => {
  server = await startExampleServer(scaleByLength(3), 'scale', { batcher: false });
});
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await server?.close();
});

async function proxy(plan: ProxyPlan): Promise<{ proxy: FlakyProxy; url: string }> {
  const started = await startFlakyProxy(server.base, plan);
  proxies.push(started);
  return { proxy: started, url: `${started.base}/v2/models/scale` };
}

const answer =
  (status: number, headers: Record<string, string> = {}, body = JSON.stringify({ error: `status ${status}` })) =>
  (_request: unknown, response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
    return 'handled' as const;
  };

describe('remote backend: retries', () => {
  it('retries a 503 twice and then succeeds', async () => {
    const { proxy: p, url } = await proxy((request, response, index) => (index < 2 ? answer(503)(request, response) : 'forward'));
    await using remote = await InferenceSession.create(url, { remote: fastRetries });
    expect((await remote.run({ x: x() })).y?.data).toEqual(expected);
    expect(p.inferRequests()).toBe(3);
  });

  it('gives up after its retries with ERR_REMOTE, the status and the server message', async () => {
    const { proxy: p, url } = await proxy(answer(503));
    await using remote = await InferenceSession.create(url, { remote: { ...fastRetries, retries: 2 } });
    await expect(remote.run({ x: x() })).rejects.toMatchObject({
      code: ErrorCode.REMOTE,
      details: 'HTTP 503',
      message: `The server answered POST ${url}/infer with HTTP 503: status 503`,
    });
    expect(p.inferRequests()).toBe(3);
  });

  it('retries a 429 whose Retry-After it can honour, and not one that asks for longer than maxRetryDelayMs', async () => {
    const soon = await proxy((request, response, index) =>
      index === 0 ? answer(429, { 'retry-after': '0' })(request, response) : 'forward',
    );
    await using remote = await InferenceSession.create(soon.url, { remote: fastRetries });
    expect((await remote.run({ x: x() })).y?.data).toEqual(expected);
    expect(soon.proxy.inferRequests()).toBe(2);

    const later = await proxy(answer(429, { 'retry-after': '3600' }));
    await using refused = await InferenceSession.create(later.url, { remote: fastRetries });
    await expect(refused.run({ x: x() })).rejects.toMatchObject({ code: ErrorCode.REMOTE, details: 'HTTP 429' });
    expect(later.proxy.inferRequests()).toBe(1);
  });

  it('does not retry a 400 or a 500', async () => {
    for (const status of [400, 500]) {
      const { proxy: p, url } = await proxy(answer(status));
      await using remote = await InferenceSession.create(url, { remote: fastRetries });
      await expect(remote.run({ x: x() })).rejects.toMatchObject({ code: ErrorCode.REMOTE, details: `HTTP ${status}` });
      expect(p.inferRequests()).toBe(1);
    }
  });

  it('retries a connection reset before the response', async () => {
    const { proxy: p, url } = await proxy((request, _response, index) => {
      if (index > 0) return 'forward';
      request.socket.destroy();
      return 'handled';
    });
    await using remote = await InferenceSession.create(url, { remote: fastRetries });
    expect((await remote.run({ x: x() })).y?.data).toEqual(expected);
    expect(p.inferRequests()).toBe(2);
  });

  it('reports a refused connection as ERR_REMOTE after its retries', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v2/models/scale`;
    await expect(InferenceSession.create(url, { remote: { ...fastRetries, retries: 2 } })).rejects.toMatchObject({
      code: ErrorCode.REMOTE,
      details: 'ECONNREFUSED',
      message: expect.stringMatching(new RegExp(`^Could not get an answer to GET ${url} after 3 attempts: `)),
    });
  });
});

describe('remote backend: timeouts, cancellation, queue limit', () => {
  /** Holds inference requests unanswered until released (or the client goes away). */
  function holding() {
    const held: (() => void)[] = [];
    const closed: Promise<void>[] = [];
    const plan: ProxyPlan = (request, response) => {
      closed.push(new Promise((resolve) => response.once('close', () => resolve())));
      held.push(() => {
        answer(503)(request, response);
      });
      return 'handled';
    };
    return { plan, held, closed };
  }

  it('times out a request the server does not answer', async () => {
    const { plan } = holding();
    const { url } = await proxy(plan);
    // Long enough for the metadata request that opens the session on a busy machine; the run's request is never answered.
    await using remote = await InferenceSession.create(url, { remote: { timeoutMs: 2000, retries: 0 } });
    await expect(remote.run({ x: x() })).rejects.toMatchObject({
      code: ErrorCode.REMOTE,
      details: 'timeout',
      message: `Expected an answer to POST ${url}/infer within 2000 ms but received none`,
    });
  });

  it('cancels a request in flight when its signal fires: the server sees the connection close', async () => {
    const { plan, closed } = holding();
    const { proxy: p, url } = await proxy(plan);
    await using remote = await InferenceSession.create(url);
    const controller = new AbortController();
    const run = remote.run({ x: x() }, { signal: controller.signal });
    await p.inferArrived(1);
    controller.abort(new Error('caller gave up'));
    await expect(run).rejects.toMatchObject({ code: ErrorCode.ABORTED, message: 'The operation was aborted: caller gave up' });
    await closed[0];
  });

  it('cancels a backoff wait when its signal fires, without another attempt', async () => {
    // An hour's Retry-After, allowed: a wait the signal does not end outlives the test.
    const { proxy: p, url } = await proxy(answer(503, { 'retry-after': '3600' }));
    await using remote = await InferenceSession.create(url, { remote: { retries: 5, maxRetryDelayMs: 7_200_000 } });
    const controller = new AbortController();
    const run = remote.run({ x: x() }, { signal: controller.signal });
    await p.inferArrived(1);
    // The answer has reached the client once the server's response is written; the wait follows it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    expect(p.inferRequests()).toBe(1);
  }, 20_000);

  it('bounds waiting runs with maxQueue; a waiting run aborted never reaches the server', async () => {
    const { plan, held } = holding();
    const { proxy: p, url } = await proxy(plan);
    await using remote = await InferenceSession.create(url, { maxQueue: 2, remote: { connections: 1, retries: 0 } });
    expect(remote.capacity).toMatchObject({ concurrency: 1, queue: 2 });
    const first = remote.run({ x: x() });
    await p.inferArrived(1);
    const controller = new AbortController();
    const second = remote.run({ x: x() }, { signal: controller.signal });
    const third = remote.run({ x: x() });
    await expect(remote.run({ x: x() })).rejects.toMatchObject({
      code: ErrorCode.QUEUE_FULL,
      message:
        'Expected at most 2 runs waiting for the remote model scale but received one more; wait for runs to settle or raise maxQueue',
    });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    (held.shift() as () => void)();
    await expect(first).rejects.toMatchObject({ code: ErrorCode.REMOTE, details: 'HTTP 503' });
    await p.inferArrived(2);
    (held.shift() as () => void)();
    await expect(third).rejects.toMatchObject({ code: ErrorCode.REMOTE, details: 'HTTP 503' });
    expect(p.inferRequests()).toBe(2);
  });
});

describe('remote backend: what it refuses', () => {
  it('refuses URLs that are not a KServe v2 model address with ERR_INVALID_ARGUMENT', async () => {
    for (const url of [
      'ftp://h/v2/models/m',
      'http://h:8000/models/m',
      'http://h:8000/v2/models/',
      'http://h/v2/models/m/infer',
      'http://h/v2/models/m?x=1',
    ]) {
      await expect(InferenceSession.create(url, { backend: 'remote' }), url).rejects.toMatchObject({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringMatching(/^Expected an http\(s\) URL of a KServe v2 model .* for model but received /),
      });
    }
    await expect(InferenceSession.create({ backend: 'remote', url: 'nope' })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringMatching(/for options.url but received "nope"$/),
    });
    await expect(InferenceSession.create({ backend: 'cpu', url: server.url } as never)).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: `Expected backend 'remote' (or 'auto') with a URL for options.backend but received "cpu"`,
    });
    await expect(InferenceSession.create({} as never)).rejects.toMatchObject({
      message: 'Expected a model file path or a non-empty Uint8Array of model bytes for model but received an object',
    });
    await expect(InferenceSession.create(`${server.url}`, { backend: 'cpu' })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining("use backend 'remote' for a URL"),
    });
    await expect(InferenceSession.create('http://h/v2/models/a', { backend: 'remote', url: 'http://h/v2/models/b' })).rejects.toMatchObject(
      {
        code: ErrorCode.INVALID_ARGUMENT,
      },
    );
    await expect(InferenceSession.create(server.url, { remote: { connections: 0 } })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: 'Expected a positive integer for options.remote.connections but received 0',
    });
  });

  it('refuses a response that is not KServe v2 with ERR_REMOTE', async () => {
    const { url } = await proxy(answer(200, {}, '{"outputs": "none"}'));
    await using remote = await InferenceSession.create(url);
    await expect(remote.run({ x: x() })).rejects.toMatchObject({
      code: ErrorCode.REMOTE,
      message: `Expected an inference response from ${url}/infer but received one that does not parse`,
      details: 'Expected an array of outputs for "outputs" but received "none"',
    });
  });

  it('sends JSON below the binary threshold and binary data at or above it', async () => {
    const types: string[] = [];
    const { url } = await proxy((request) => {
      types.push(String(request.headers['content-type']));
      return 'forward';
    });
    for (const binaryThreshold of [13, 12]) {
      await using remote = await InferenceSession.create(url, { remote: { binaryThreshold } });
      expect((await remote.run({ x: x() })).y?.data).toEqual(expected);
    }
    expect(types).toEqual(['application/json', 'application/octet-stream']);
  });
});
