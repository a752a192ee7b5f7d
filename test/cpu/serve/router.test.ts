// Hybrid routing over real ONNX Runtime sessions and real remote sessions (the remote backend against
// the example server on loopback, behind a proxy that injects faults): priorities under load, the
// measured queue delay against the SLA, failover, readiness, cool-down, abort, metrics.
// Decisions are read from the router's metrics; no assertion depends on how fast anything ran.
import type { ServerResponse } from 'node:http';

import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ErrorCode,
  InferenceSession,
  ModelHandle,
  type Route,
  type RouteTarget,
  type Router,
  Tensor,
  TensorRTNodeError,
  createBatcher,
  createRouter,
  failsOverByDefault,
} from '../../../lib/index.js';
import { randomFloats } from '../../fixtures/random.js';
import { servingMlp } from '../../fixtures/serving-models.js';
import {
  type FlakyProxy,
  type ProxyPlan,
  type RunningExampleServer,
  startExampleServer,
  startFlakyProxy,
} from '../../shared/kserve-servers.js';

function row(seed: number): Tensor {
  return new Tensor('float32', randomFloats(128, seed), [1, 128]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A real session whose runs wait at a gate before they compute: the test decides when the route is
 * busy and when it is free, so decisions do not depend on the machine's speed. `started` lists the
 * requests (by their first input value) in the order they reached the session.
 */
function gated(session: InferenceSession): RouteTarget & { open(): void; started: number[] } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const started: number[] = [];
  return {
    backend: session.backend,
    inputs: session.inputs,
    outputs: session.outputs,
    started,
    open,
    async run(feeds, options) {
      started.push((feeds.x as Tensor).data[0] as number);
      await gate;
      return session.run(feeds, options);
    },
  };
}

let local: InferenceSession;
let other: InferenceSession;
beforeAll(async () => {
  local = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
  other = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
});
afterAll(async () => {
  await local.dispose();
  await other.dispose();
});

describe('createRouter validation', () => {
  it('names what is wrong with routes and policy in the house error form', () => {
    const bad: [unknown, unknown, RegExp][] = [
      [[], { slaMs: 1 }, /^Expected a non-empty array of routes for routes but received \[\]$/],
      [[{ session: local }], { slaMs: 1 }, /^Expected a non-empty string for routes\[0\]\.name but received undefined$/],
      [[{ name: 'a', session: {} }], { slaMs: 1 }, /^Expected a session .* for routes\[0\]\.session but received an object$/],
      [
        [
          { name: 'a', session: local },
          { name: 'a', session: other },
        ],
        { slaMs: 1 },
        /^Expected a name no other route has \(routes\[0\] is "a"\) for routes\[1\]\.name but received "a"$/,
      ],
      [[{ name: 'a', session: local, concurrency: 0 }], { slaMs: 1 }, /for routes\[0\]\.concurrency but received 0$/],
      [[{ name: 'a', session: local, ready: true }], { slaMs: 1 }, /for routes\[0\]\.ready but received true$/],
      [[{ name: 'a', session: local }], undefined, /^Expected a policy object .* for policy but received undefined$/],
      [[{ name: 'a', session: local }], {}, /^Expected a non-negative number of milliseconds for policy\.slaMs but received undefined$/],
      [[{ name: 'a', session: local }], { slaMs: -1 }, /for policy\.slaMs but received -1$/],
      [
        [{ name: 'a', session: local }],
        { slaMs: 1, latency: ['b'] },
        /^Expected one of the route names \("a"\) for policy\.latency\[0\] but received "b"$/,
      ],
      [[{ name: 'a', session: local }], { slaMs: 1, bulk: ['a', 'a'] }, /for policy\.bulk\[1\] but received "a"$/],
      [[{ name: 'a', session: local }], { slaMs: 1, ewmaAlpha: 0 }, /for policy\.ewmaAlpha but received 0$/],
      [
        [{ name: 'a', session: local }],
        { slaMs: 1, failoverOn: 'ERR_REMOTE' },
        /^Expected an array of error codes or a function \(error\) => boolean for policy\.failoverOn but received "ERR_REMOTE"$/,
      ],
      [[{ name: 'a', session: local }], { slaMs: 1, cooldownMs: 10, maxCooldownMs: 5 }, /for policy\.maxCooldownMs but received 5$/],
    ];
    for (const [routes, policy, message] of bad) {
      let caught: unknown;
      try {
        createRouter(routes as Route[], policy as never);
      } catch (error) {
        caught = error;
      }
      expect(caught, String(message)).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, message: expect.stringMatching(message) });
    }
  });

  it('refuses routes that take different inputs', async () => {
    await using lookup = await InferenceSession.create((await import('../../fixtures/serving-models.js')).tableLookup(), {
      backend: 'cpu',
    });
    expect(() =>
      createRouter(
        [
          { name: 'a', session: local },
          { name: 'b', session: lookup },
        ],
        { slaMs: 1 },
      ),
    ).toThrow(
      /^Expected the inputs \(x float32\) and outputs \(y float32\) of route "a" for routes\[1\] but received inputs \(index int64\)/,
    );
  });

  it('checks run options', async () => {
    await using router = createRouter([{ name: 'a', session: local }], { slaMs: 1 });
    await expect(router.run({ x: row(1) }, { priority: 'urgent' as never })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: "Expected one of 'latency', 'bulk' for options.priority but received \"urgent\"",
    });
    await expect(router.run({ x: row(1) }, { signal: 'now' as never })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });
});

describe('routing by priority', () => {
  it('sends latency requests beyond the free run slots elsewhere when the SLA is 0, and keeps them local under a large SLA', async () => {
    const requests = 20;
    const slots = local.capacity.concurrency;
    await using tight = createRouter(
      [
        { name: 'local', session: local },
        // As a remote session's route: the router holds nothing back from it.
        { name: 'remote', session: other, concurrency: Infinity },
      ],
      { slaMs: 0 },
    );
    const inputs = Array.from({ length: requests }, (_, i) => row(i + 1));
    const results = await Promise.all(inputs.map((x) => tight.run({ x }, { priority: 'latency' })));
    const m = tight.metrics();
    expect(m.routes.local?.requests).toEqual({ latency: slots, bulk: 0 });
    expect(m.routes.remote?.requests).toEqual({ latency: requests - slots, bulk: 0 });
    expect(m.completed).toBe(requests);
    for (const i of [0, slots, requests - 1]) {
      const alone = await local.run({ x: inputs[i] as Tensor });
      expect(Array.from(results[i]?.y?.data as Float32Array)).toEqual(Array.from(alone.y?.data as Float32Array));
    }

    await using loose = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: other },
      ],
      { slaMs: Infinity },
    );
    const runs = inputs.map((x) => loose.run({ x }));
    const during = loose.metrics().routes.local;
    expect(during?.inFlight).toBe(slots);
    expect(during?.queued).toBe(requests - slots);
    await Promise.all(runs);
    const after = loose.metrics();
    expect(after.routes.local?.requests.latency).toBe(requests);
    expect(after.routes.local?.queueMs.count).toBe(requests);
    expect(after.routes.remote?.requests.latency).toBe(0);
    expect(after.routes.local).toMatchObject({ queueDelayMs: 0, spills: 0 });
  });

  it('moves a waiting latency request elsewhere when its wait reaches the SLA, keeps new ones away, and comes back when the route frees', async () => {
    const busy = gated(local);
    const slaMs = 30;
    await using router = createRouter(
      [
        { name: 'local', session: busy, concurrency: 1 },
        { name: 'remote', session: other },
      ],
      { slaMs },
    );
    const first = router.run({ x: row(1) });
    const second = router.run({ x: row(2) }); // waits behind the first: nothing measured says it is slow yet
    expect(router.metrics().routes.local).toMatchObject({ inFlight: 1, queued: 1 });
    await second; // the gate is still shut: the second request spilled to the other route
    let m = router.metrics();
    expect(m.routes.local).toMatchObject({ spills: 1, queued: 0, inFlight: 1, errors: {} });
    expect(m.routes.remote?.requests.latency).toBe(1);
    expect(busy.started).toEqual([(row(1).data as Float32Array)[0]]);
    await sleep(slaMs * 3);
    expect(router.metrics().routes.local?.queueDelayMs).toBeGreaterThan(slaMs);
    await router.run({ x: row(3) }); // the local route has started nothing since: straight elsewhere
    m = router.metrics();
    expect(m.routes.remote?.requests.latency).toBe(2);
    expect(m.routes.local?.requests.latency).toBe(2);
    busy.open();
    await first;
    expect(router.metrics().routes.local?.queueDelayMs).toBe(0);
    await router.run({ x: row(4) });
    m = router.metrics();
    expect(m.routes.local).toMatchObject({ requests: { latency: 3 }, completed: 2, spills: 1 });
    expect(m.routes.remote?.requests.latency).toBe(2);
  });

  it('keeps a waiting latency request in place while no other route has a free run slot, and spills it once one has', async () => {
    const busy = gated(local);
    const slow = gated(other);
    await using router = createRouter(
      [
        { name: 'local', session: busy, concurrency: 1 },
        { name: 'remote', session: slow, concurrency: 1 },
      ],
      { slaMs: 10 },
    );
    const runs = [router.run({ x: row(1) }), router.run({ x: row(2) }, { priority: 'bulk' })];
    const third = router.run({ x: row(3) });
    try {
      expect(router.metrics().routes.local).toMatchObject({ inFlight: 1, queued: 1 });
      expect(router.metrics().routes.remote).toMatchObject({ inFlight: 1, queued: 0 });
      await sleep(60); // past the SLA: the waiting request would spill if the other route had room
      expect(router.metrics().routes.local).toMatchObject({ queued: 1, spills: 0 });
      slow.open();
      await third; // the local gate is still shut: it spilled once the other route had finished its run
      expect(router.metrics().routes.local).toMatchObject({ queued: 0, spills: 1 });
      expect(router.metrics().routes.remote?.requests).toEqual({ latency: 1, bulk: 1 });
    } finally {
      busy.open();
      slow.open();
      await Promise.allSettled([...runs, third]);
    }
  });

  it('sends bulk requests to the remote route first, and starts waiting latency requests before waiting bulk ones', async () => {
    await using split = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: other },
      ],
      { slaMs: 1e9 },
    );
    await Promise.all([1, 2, 3].map((i) => split.run({ x: row(i) }, { priority: 'bulk' })));
    expect(split.metrics().routes.remote?.requests.bulk).toBe(3);
    expect(split.metrics().routes.local?.requests.bulk).toBe(0);

    const busy = gated(local);
    await using one = createRouter([{ name: 'local', session: busy, concurrency: 1 }], { slaMs: 1e9 });
    const x = (value: number) => new Tensor('float32', new Float32Array(128).fill(value), [1, 128]);
    const runs = [one.run({ x: x(1) }, { priority: 'bulk' }), one.run({ x: x(2) }, { priority: 'bulk' }), one.run({ x: x(3) })];
    busy.open();
    await Promise.all(runs);
    expect(busy.started).toEqual([1, 3, 2]);
  });
});

describe('batchers and model handles as routes', () => {
  it('lets concurrent requests into the batcher together, so they still share runs', async () => {
    await using batcher = createBatcher(local, { maxDelayMs: 5, adaptive: false });
    await using router = createRouter(
      [
        { name: 'local', session: batcher },
        { name: 'remote', session: other },
      ],
      { slaMs: 1e9 },
    );
    const inputs = Array.from({ length: 24 }, (_, i) => row(i + 1));
    const results = await Promise.all(inputs.map((x) => router.run({ x })));
    const m = router.metrics().routes.local;
    expect(m).toMatchObject({ backend: 'cpu', concurrency: batcher.concurrency * batcher.maxBatchSize, completed: 24 });
    expect(batcher.metrics().batchSize.max).toBe(24);
    const alone = await local.run({ x: inputs[7] as Tensor });
    const a = results[7]?.y?.data as Float32Array;
    (alone.y?.data as Float32Array).forEach((value, k) => expect(a[k]).toBeCloseTo(value, 4));
  });
  it('runs on a model handle, whose current model answers', async () => {
    await using handle = await ModelHandle.open(servingMlp(), { session: { backend: 'cpu' }, batcher: false });
    await using router = createRouter([{ name: 'local', session: handle }], { slaMs: 1e9 });
    const x = row(3);
    const [routed, alone] = await Promise.all([router.run({ x }), handle.session.run({ x })]);
    expect(Array.from(routed.y?.data as Float32Array)).toEqual(Array.from(alone.y?.data as Float32Array));
    expect(router.metrics().routes.local).toMatchObject({ backend: 'cpu', completed: 1 });
  });
});

describe('failover', () => {
  it('fails over from a disposed batcher, cools it down and never retries bad input', async () => {
    const batcher = createBatcher(local);
    await batcher.dispose();
    await using router = createRouter(
      [
        { name: 'local', session: batcher },
        { name: 'remote', session: other },
      ],
      { slaMs: 1e9, cooldownMs: 60_000 },
    );
    const result = await router.run({ x: row(1) });
    const alone = await other.run({ x: row(1) });
    expect(Array.from(result.y?.data as Float32Array)).toEqual(Array.from(alone.y?.data as Float32Array));
    let m = router.metrics();
    expect(m.routes.local).toMatchObject({ errors: { ERR_DISPOSED: 1 }, failovers: 1, state: 'cooling' });
    expect(m.routes.local?.lastFailure).toMatch(/^ERR_DISPOSED: /);
    expect(m.routes.local?.cooldownLeftMs).toBeGreaterThan(0);
    await router.run({ x: row(2) }); // cooling: not tried again
    m = router.metrics();
    expect(m.routes.local?.requests.latency).toBe(1);
    expect(m.routes.remote?.requests.latency).toBe(2);

    await expect(router.run({ x: new Tensor('float32', new Float32Array(64), [1, 64]) })).rejects.toMatchObject({
      code: ErrorCode.SHAPE_MISMATCH,
    });
    m = router.metrics();
    expect(m.routes.remote).toMatchObject({ errors: { ERR_SHAPE_MISMATCH: 1 }, failovers: 0, state: 'up' });
    expect(m.routes.local?.requests.latency).toBe(1);
  });

  it('fails over a request the route refuses as queue-full without cooling the route down', async () => {
    await using full = await InferenceSession.create(servingMlp(), { backend: 'cpu', maxQueue: 0 });
    await using router = createRouter(
      [
        // The session's own queue limit decides: the router lets every request through to it.
        { name: 'local', session: full, concurrency: Infinity },
        { name: 'remote', session: other, concurrency: Infinity },
      ],
      { slaMs: 1e9 },
    );
    await Promise.all(Array.from({ length: 5 }, (_, i) => router.run({ x: row(i) })));
    const m = router.metrics();
    expect(m.completed).toBe(5);
    expect(m.routes.local).toMatchObject({
      requests: { latency: 5 },
      completed: 1,
      errors: { ERR_QUEUE_FULL: 4 },
      failovers: 4,
      state: 'up',
    });
    expect(m.routes.remote).toMatchObject({ requests: { latency: 4 }, completed: 4 });
    await router.run({ x: row(9) });
    expect(router.metrics().routes.local?.requests.latency).toBe(6); // still up: the next request goes there first
  });

  it('counts a readiness check that does not answer in time as not ready', async () => {
    await using router = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: other, ready: () => new Promise<boolean>(() => undefined) },
      ],
      { slaMs: 1e9, probeTimeoutMs: 50 },
    );
    await router.run({ x: row(1) }, { priority: 'bulk' });
    expect(router.metrics().routes.remote).toMatchObject({
      requests: { bulk: 0 },
      state: 'cooling',
      lastFailure: 'no answer from the readiness check within 50 ms',
    });
    expect(router.metrics().routes.local?.requests.bulk).toBe(1);
  });

  it('probes a route at most once per request, even with no cool-down', async () => {
    let probes = 0;
    await using router = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: other, ready: () => (probes++, false) },
      ],
      { slaMs: 1e9, cooldownMs: 0 },
    );
    await router.run({ x: row(1) }, { priority: 'bulk' });
    await router.run({ x: row(2) }, { priority: 'bulk' });
    expect(probes).toBe(2);
    expect(router.metrics().routes).toMatchObject({ local: { requests: { bulk: 2 } }, remote: { requests: { bulk: 0 }, failovers: 2 } });
  });

  it('skips a disposed session without running it, and says why when no route is up', async () => {
    const gone = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    const gone2 = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    await gone.dispose();
    await using router = createRouter(
      [
        { name: 'local', session: gone },
        { name: 'remote', session: other },
      ],
      { slaMs: 1e9 },
    );
    await router.run({ x: row(1) });
    expect(router.metrics().routes.local).toMatchObject({ requests: { latency: 0, bulk: 0 }, state: 'cooling' });
    await gone2.dispose();
    await using dead = createRouter([{ name: 'only', session: gone2 }], { slaMs: 1 });
    await expect(dead.run({ x: row(1) })).rejects.toMatchObject({
      code: ErrorCode.BACKEND_UNAVAILABLE,
      message: 'Expected a route that is up for a latency request but received none: only (cooling: the session was disposed)',
    });
    expect(dead.metrics()).toMatchObject({ requests: 1, failed: 1, unavailable: 1 });
  });
});

describe('a remote route: a remote session over HTTP', () => {
  let server: RunningExampleServer;
  const proxies: FlakyProxy[] = [];
  beforeAll(async () => {
    server = await startExampleServer(servingMlp(), 'mlp', { batcher: false });
  });
  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await server?.close();
  });

  /** A proxy in front of the example server: `plan` may answer inference requests itself. */
  async function proxy(plan: ProxyPlan = () => 'forward'): Promise<FlakyProxy> {
    const started = await startFlakyProxy(server.base, plan);
    proxies.push(started);
    return started;
  }

  /** The package's remote backend, not retrying: each failure reaches the router at once. */
  function connect(base: string): Promise<InferenceSession> {
    return InferenceSession.create(`${base}/v2/models/mlp`, { backend: 'remote', remote: { retries: 0 } });
  }

  const answer = (status: number) => (_request: unknown, response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: `status ${status} from the proxy` }));
    return 'handled' as const;
  };

  function hybrid(remote: RouteTarget, policy: Partial<Parameters<typeof createRouter>[1]> = {}): Router {
    return createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: remote },
      ],
      { slaMs: 1e9, cooldownMs: 60_000, ...policy },
    );
  }

  it("serves bulk requests remotely with the results of a local run, after the session's own readiness check", async () => {
    const front = await proxy();
    await using remote = await connect(front.base);
    await using router = hybrid(remote);
    const x = row(5);
    const [viaRemote, viaLocal] = await Promise.all([router.run({ x }, { priority: 'bulk' }), router.run({ x }, { priority: 'latency' })]);
    const y = (r: Record<string, Tensor>) => Array.from(r.y?.data as Float32Array);
    expect(y(viaRemote)).toEqual(y(viaLocal));
    const m = router.metrics();
    expect(m.routes.remote).toMatchObject({
      backend: 'remote',
      requests: { latency: 0, bulk: 1 },
      completed: 1,
      state: 'up',
      failovers: 0,
    });
    expect(m.routes.local).toMatchObject({ backend: 'cpu', requests: { latency: 1, bulk: 0 }, completed: 1 });
    // The route had no ready hook: the session's own ready(signal) asked the server.
    expect(front.readyRequests()).toBe(1);
    expect(front.inferRequests()).toBe(1);
  });

  it('holds nothing back from a remote route: latency requests beyond the free local slots go there at SLA 0', async () => {
    await using remote = await connect(server.base);
    await using router = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: remote },
      ],
      { slaMs: 0 },
    );
    await router.run({ x: row(1) }, { priority: 'bulk' }); // the remote route answers its readiness check and is up
    const requests = 12;
    await Promise.all(Array.from({ length: requests }, (_, i) => router.run({ x: row(i + 1) }, { priority: 'latency' })));
    const m = router.metrics();
    expect(m.routes.local?.requests.latency).toBe(local.capacity.concurrency);
    expect(m.routes.remote).toMatchObject({
      requests: { latency: requests - local.capacity.concurrency, bulk: 1 },
      completed: requests - local.capacity.concurrency + 1,
      failovers: 0,
    });
  });

  it('fails over when the server answers 503, and when the connection is refused', async () => {
    const failing = await proxy(answer(503));
    await using remote = await connect(failing.base);
    await using router = hybrid(remote);
    await router.run({ x: row(1) }, { priority: 'bulk' });
    expect(router.metrics().routes.remote).toMatchObject({ errors: { ERR_REMOTE: 1 }, failovers: 1, state: 'cooling' });
    expect(router.metrics().routes.remote?.lastFailure).toMatch(/HTTP 503/);
    expect(router.metrics().routes.local?.requests.bulk).toBe(1);

    // Refused at the readiness check: the route never sees the request.
    const closing = await proxy();
    await using orphan = await connect(closing.base);
    await closing.close();
    await using refused = hybrid(orphan);
    await refused.run({ x: row(1) }, { priority: 'bulk' });
    expect(refused.metrics().routes.remote).toMatchObject({
      requests: { bulk: 0 },
      failovers: 1,
      state: 'cooling',
      lastFailure: 'the readiness check answered not ready',
    });

    // Refused at the request: the server went away after the route was found ready.
    const leaving = await proxy();
    await using lost = await connect(leaving.base);
    await using gone = hybrid(lost);
    await gone.run({ x: row(1) }, { priority: 'bulk' });
    await leaving.close();
    await gone.run({ x: row(2) }, { priority: 'bulk' });
    const m = gone.metrics();
    expect(m.routes.remote).toMatchObject({
      requests: { bulk: 2 },
      completed: 1,
      errors: { ERR_REMOTE: 1 },
      failovers: 1,
      state: 'cooling',
    });
    expect(m.routes.local?.requests.bulk).toBe(1);
  });

  it('by default returns a 4xx answer to the caller, and fails over on 5xx, 429 and 408', async () => {
    let status = 404;
    const front = await proxy((request, response) => answer(status)(request, response));
    await using remote = await connect(front.base);
    await using router = hybrid(remote, { cooldownMs: 0 });
    for (const code of [400, 404, 422]) {
      status = code;
      await expect(router.run({ x: row(1) }, { priority: 'bulk' })).rejects.toMatchObject({
        code: ErrorCode.REMOTE,
        details: `HTTP ${code}`,
      });
    }
    expect(router.metrics().routes.remote).toMatchObject({ errors: { ERR_REMOTE: 3 }, failovers: 0, state: 'up' });
    expect(router.metrics().routes.local?.requests.bulk).toBe(0);
    for (const code of [500, 502, 429, 408]) {
      status = code;
      await expect(router.run({ x: row(1) }, { priority: 'bulk' })).resolves.toHaveProperty('y');
    }
    expect(router.metrics().routes.remote).toMatchObject({ errors: { ERR_REMOTE: 7 }, failovers: 4 });
    expect(router.metrics().routes.local?.completed).toBe(4);
  });

  it('keeps a route that is not ready out for its cool-down without probing it again', async () => {
    const front = await proxy();
    front.ready = false;
    await using remote = await connect(front.base);
    await using router = hybrid(remote, { cooldownMs: 60_000 });
    await router.run({ x: row(1) }, { priority: 'bulk' }); // probed (the session's own ready()), not ready: local
    const m = router.metrics();
    expect(front.readyRequests()).toBe(1);
    expect(m.routes.remote).toMatchObject({ requests: { latency: 0, bulk: 0 }, failovers: 1, state: 'cooling', cooldownMs: 60_000 });
    expect(m.routes.remote?.lastFailure).toBe('the readiness check answered not ready');
    await router.run({ x: row(2) }, { priority: 'bulk' });
    expect(front.readyRequests()).toBe(1);
    expect(front.inferRequests()).toBe(0);
    expect(router.metrics().routes.local?.requests.bulk).toBe(2);
  });

  it('probes again when the cool-down ends, doubles it while not ready, and takes the route back once ready', async () => {
    let failing = false;
    const front = await proxy((request, response) => (failing ? answer(503)(request, response) : 'forward'));
    front.ready = false;
    await using remote = await connect(front.base);
    // Only lower bounds on time matter here: each sleep outlasts the cool-down it waits for.
    await using router = hybrid(remote, { cooldownMs: 20, maxCooldownMs: 1e9 });
    await router.run({ x: row(1) }, { priority: 'bulk' });
    expect(router.metrics().routes.remote?.cooldownMs).toBe(20);
    await sleep(100);
    await router.run({ x: row(2) }, { priority: 'bulk' });
    expect(front.readyRequests()).toBe(2);
    expect(router.metrics().routes.remote?.cooldownMs).toBe(40);
    front.ready = true;
    await sleep(200);
    await router.run({ x: row(3) }, { priority: 'bulk' });
    const m = router.metrics();
    expect(front.readyRequests()).toBe(3);
    expect(m.routes.remote).toMatchObject({ requests: { latency: 0, bulk: 1 }, completed: 1, state: 'up', failovers: 2 });
    expect(m.routes.local?.requests.bulk).toBe(2);
    // A later failure starts again from policy.cooldownMs: the route recovered in between.
    failing = true;
    await router.run({ x: row(4) }, { priority: 'bulk' });
    expect(router.metrics().routes.remote?.cooldownMs).toBe(20);
  });

  it('follows a failoverOn function: here every remote failure goes back to the caller', async () => {
    const front = await proxy(answer(503));
    await using remote = await connect(front.base);
    await using router = hybrid(remote, { failoverOn: (error) => (error as { code?: string }).code !== ErrorCode.REMOTE });
    await expect(router.run({ x: row(1) }, { priority: 'bulk' })).rejects.toMatchObject({ code: ErrorCode.REMOTE, details: 'HTTP 503' });
    expect(router.metrics().routes.remote).toMatchObject({ errors: { ERR_REMOTE: 1 }, failovers: 0, state: 'up' });
  });

  it("uses a route-level ready hook over the session's own, and counts a throwing hook as not ready", async () => {
    const front = await proxy();
    await using remote = await connect(front.base);
    let calls = 0;
    await using router = createRouter(
      [
        { name: 'local', session: local },
        {
          name: 'remote',
          session: remote,
          ready: () => {
            calls++;
            throw new Error('dns lookup failed');
          },
        },
      ],
      { slaMs: 1e9, cooldownMs: 60_000 },
    );
    await router.run({ x: row(1) }, { priority: 'bulk' });
    expect(calls).toBe(1);
    expect(front.readyRequests()).toBe(0);
    expect(router.metrics().routes.remote?.lastFailure).toBe('the readiness check failed: ERR_UNKNOWN: dns lookup failed');
  });
});

describe('failsOverByDefault', () => {
  const remoteError = (details: string | undefined) => new TensorRTNodeError(ErrorCode.REMOTE, 'remote failure', { details });
  it('fails over a remote failure with no answer or a 5xx, 408 or 429 answer, not a 4xx one', () => {
    for (const details of [undefined, 'timeout', 'ECONNREFUSED', 'UND_ERR_SOCKET', 'HTTP 500', 'HTTP 503', 'HTTP 408', 'HTTP 429'])
      expect(failsOverByDefault(remoteError(details)), String(details)).toBe(true);
    for (const details of ['HTTP 400', 'HTTP 404', 'HTTP 422', 'HTTP 401'])
      expect(failsOverByDefault(remoteError(details)), details).toBe(false);
  });
  it('fails over the retryable codes and nothing else', () => {
    expect(failsOverByDefault(new TensorRTNodeError(ErrorCode.QUEUE_FULL, 'full'))).toBe(true);
    expect(failsOverByDefault(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(failsOverByDefault(new TensorRTNodeError(ErrorCode.SHAPE_MISMATCH, 'shape'))).toBe(false);
    expect(failsOverByDefault(new TensorRTNodeError(ErrorCode.ABORTED, 'aborted'))).toBe(false);
    expect(failsOverByDefault(new Error('plain'))).toBe(false);
  });
});

describe('abort', () => {
  it('rejects an aborted request before it reaches a route', async () => {
    await using router = createRouter([{ name: 'local', session: local }], { slaMs: 1 });
    await expect(router.run({ x: row(1) }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    expect(router.metrics().routes.local?.requests.latency).toBe(0);
  });

  it('takes a waiting request out of the queue: it never runs and does not fail over', async () => {
    const busy = gated(local);
    await using router = createRouter(
      [
        { name: 'local', session: busy, concurrency: 1 },
        { name: 'remote', session: other },
      ],
      { slaMs: 1e9 },
    );
    const x = (value: number) => new Tensor('float32', new Float32Array(128).fill(value), [1, 128]);
    const controller = new AbortController();
    const first = router.run({ x: x(1) });
    const waiting = router.run({ x: x(2) }, { signal: controller.signal });
    expect(router.metrics().routes.local?.queued).toBe(1);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.ABORTED, message: expect.stringContaining('client went away') });
    expect(router.metrics().routes.local).toMatchObject({ queued: 0, errors: { ERR_ABORTED: 1 }, failovers: 0 });
    busy.open();
    await first;
    expect(busy.started).toEqual([1]);
    expect(router.metrics().routes.remote?.requests.latency).toBe(0);
  });

  it('stops waiting for a readiness check that does not answer', async () => {
    let probes = 0;
    await using router = createRouter(
      [
        {
          name: 'remote',
          session: other,
          ready: (signal) => {
            probes++;
            return new Promise<boolean>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
          },
        },
      ],
      { slaMs: 1, probeTimeoutMs: 60_000 },
    );
    const controller = new AbortController();
    const run = router.run({ x: row(1) }, { signal: controller.signal });
    await sleep(10);
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    expect(probes).toBe(1);
    expect(router.metrics().routes.remote?.requests.latency).toBe(0);
  });
});

describe('metrics export and dispose', () => {
  it('exports per-route series to a prom-client registry', async () => {
    await using router = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: other },
      ],
      { slaMs: 1e9, model: 'mlp' },
    );
    const registry = new Registry();
    const stop = await router.registerMetrics(registry);
    await Promise.all([router.run({ x: row(1) }), router.run({ x: row(2) }, { priority: 'bulk' })]);
    await expect(router.run({ x: new Tensor('float32', new Float32Array(3), [1, 3]) })).rejects.toThrow();
    const text = await registry.metrics();
    expect(text).toContain('tensorrt_node_route_requests_total{model="mlp",route="local",priority="latency"} 2');
    expect(text).toContain('tensorrt_node_route_requests_total{model="mlp",route="remote",priority="bulk"} 1');
    expect(text).toContain('tensorrt_node_route_errors_total{model="mlp",route="local",code="ERR_SHAPE_MISMATCH"} 1');
    expect(text).toContain('tensorrt_node_route_failovers_total{model="mlp",route="remote"} 0');
    expect(text).toContain('tensorrt_node_route_queue_seconds_count{model="mlp",route="local"} 2');
    expect(text).toContain('tensorrt_node_route_request_seconds_count{model="mlp",route="local"} 2');
    expect(text).toContain('tensorrt_node_route_up{model="mlp",route="local"} 1');
    expect(text).toContain('tensorrt_node_route_queue_delay_seconds{model="mlp",route="local"} 0');
    stop();
  });

  it('lets running requests finish, then disposes only the sessions it owns', async () => {
    const owned = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    const router = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: owned, owned: true },
      ],
      { slaMs: 1e9 },
    );
    const running = router.run({ x: row(1) }, { priority: 'bulk' });
    const closed = router.dispose();
    await expect(router.run({ x: row(2) })).rejects.toMatchObject({ code: ErrorCode.DISPOSED });
    await expect(running).resolves.toHaveProperty('y');
    await closed;
    expect(owned.disposed).toBe(true);
    expect(local.disposed).toBe(false);
  });
});
