/**
 * Hybrid routing: one run() in front of several sessions (a local GPU or CPU session, a remote
 * Triton or tensorrt-node server), choosing per request by its priority and by what the routes have
 * measured, and failing over when a route breaks.
 *
 * Policies:
 * - 'latency' requests try the routes in `policy.latency` order (default: the routes' order, local
 *   first) and take the first one that is up and either has a free run slot or a measured queue
 *   delay below `policy.slaMs`. The queue delay is measured, not estimated: the router holds a
 *   route's requests beyond its `concurrency` in a queue of its own and averages how long they wait
 *   (EWMA), and the age of the oldest one still waiting counts too. When every route is over the
 *   SLA the request goes to the one with the smallest delay rather than failing.
 *   A latency request still waiting on a route when its wait reaches the SLA moves to another route
 *   with a free run slot as soon as one has (checked every SLA; a spill, counted on the route it left).
 * - 'bulk' requests take the first route that is up in `policy.bulk` order (default: the routes'
 *   order reversed, remote first), whatever its queue: throughput over latency. In a route's queue,
 *   waiting latency requests start before waiting bulk ones.
 * - Failover: a run that fails as `policy.failoverOn` says (by default codes of unavailable, disposed, queue
 *   full, remote and connection errors: failures of the route, not of the request) goes on to the
 *   next route of the same order; each route is tried once per request. Bad input (ERR_SHAPE_MISMATCH,
 *   ERR_DTYPE_MISMATCH, ...), model errors and aborts go back to the caller at once.
 * - Cool-down: the failed route (except for ERR_QUEUE_FULL, which only means busy) and a route whose
 *   readiness check fails stay out for `policy.cooldownMs`, doubling up to `policy.maxCooldownMs`
 *   while they keep failing. When it ends, the route's `ready()` check runs (shared by the requests
 *   that wait for it) before it takes requests again; a route without one takes the next request as
 *   its probe. A route whose session reports `disposed` is never sent a request.
 * - When no route is left the run rejects with the last route's error, or with
 *   ERR_BACKEND_UNAVAILABLE when no route was up to try.
 */
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import type { TensorInfo } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { isPlainObject, validateSignal } from '../validate.js';
import { onAbort } from '../util/abort-listeners.js';
import { errorCodeOf } from './metrics.js';
import type { PrometheusRegistry } from './prometheus.js';
import { RouteLane, SpillOver } from './route-lane.js';
import type { RouteMetricsSnapshot } from './route-metrics.js';
import {
  type CheckedPolicy,
  type Route,
  type RoutePriority,
  type RouterPolicy,
  checkPolicy,
  checkPriority,
  checkRoutes,
} from './route-policy.js';
import { registerRouteMetrics } from './route-prometheus.js';

export interface RouterRunOptions {
  /** 'latency' (default unless policy.defaultPriority says otherwise) or 'bulk'; see Router. */
  priority?: RoutePriority;
  signal?: AbortSignal;
  /** Output names to return; default all. */
  outputs?: readonly string[];
}

export interface RouterMetricsSnapshot {
  readonly model: string;
  /** run() calls, and how they ended. */
  requests: number;
  completed: number;
  failed: number;
  /** Requests refused because no route was up (ERR_BACKEND_UNAVAILABLE). */
  unavailable: number;
  inFlight: number;
  routes: Record<string, RouteMetricsSnapshot>;
}

type Pick = { lane: RouteLane | undefined } | { probe: RouteLane };

export class Router implements AsyncDisposable {
  readonly #lanes: RouteLane[];
  readonly #byName: Map<string, RouteLane>;
  readonly #policy: CheckedPolicy;
  #requests = 0;
  #completed = 0;
  #failed = 0;
  #unavailable = 0;
  #inFlight = 0;
  #closing: Promise<void> | undefined;
  #settled: (() => void) | undefined;

  constructor(routes: readonly Route[], policy: RouterPolicy) {
    const checked = checkRoutes(routes);
    this.#policy = checkPolicy(policy, checked);
    this.#lanes = checked.map((route) => new RouteLane(route, this.#policy));
    this.#byName = new Map(this.#lanes.map((lane) => [lane.name, lane]));
  }

  /** The model's inputs and outputs, as the first route reports them (every route takes the same names). */
  get inputs(): readonly TensorInfo[] {
    return (this.#lanes[0] as RouteLane).route.inputs;
  }

  get outputs(): readonly TensorInfo[] {
    return (this.#lanes[0] as RouteLane).route.outputs;
  }

  /** Route names in the order given. */
  get routes(): readonly string[] {
    return this.#lanes.map((lane) => lane.name);
  }

  /** Runs one request on the route the policy picks for its priority, failing over as the policy says. */
  async run(feeds: Readonly<Record<string, Tensor>>, options?: RouterRunOptions): Promise<Record<string, Tensor>> {
    if (this.#closing) throw new TensorRTNodeError(ErrorCode.DISPOSED, 'Expected a live router for run() but it was disposed');
    if (options !== undefined && !isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
    const priority = checkPriority(options?.priority, this.#policy.defaultPriority);
    const signal = validateSignal(options?.signal);
    const outputs = options?.outputs;
    if (outputs !== undefined && !(Array.isArray(outputs) && outputs.every((name) => typeof name === 'string')))
      throw invalidArgument('an array of output names', 'options.outputs', outputs);
    if (signal?.aborted) throw abortError(signal);
    this.#requests++;
    this.#inFlight++;
    try {
      const results = await this.#route(feeds, priority, signal, outputs);
      this.#completed++;
      return results;
    } catch (error) {
      this.#failed++;
      throw error;
    } finally {
      if (--this.#inFlight === 0) this.#settled?.();
    }
  }

  async #route(
    feeds: Readonly<Record<string, Tensor>>,
    priority: RoutePriority,
    signal: AbortSignal | undefined,
    outputs: readonly string[] | undefined,
  ): Promise<Record<string, Tensor>> {
    const order = priority === 'latency' ? this.#policy.latency : this.#policy.bulk;
    const tried = new Set<RouteLane>();
    // Routes this request gave up on: each counts a failover once another route takes the request.
    const leaving: RouteLane[] = [];
    let lastError: unknown;
    for (;;) {
      // The choice and the lane's taking of a slot happen in one synchronous turn.
      const pick = this.#pick(order, priority, tried);
      if ('probe' in pick) {
        // Each route is probed at most once per request: a failed check leaves it out of this request
        // whatever its cool-down (policy.cooldownMs may be 0).
        if (!(await this.#awaitProbe(pick.probe, signal))) {
          tried.add(pick.probe);
          leaving.push(pick.probe);
        }
        continue;
      }
      const lane = pick.lane;
      if (lane === undefined) break;
      tried.add(lane);
      for (const left of leaving.splice(0)) left.metrics.recordFailover();
      const spill =
        priority === 'latency' && order.length > tried.size
          ? { afterMs: this.#policy.slaMs, elsewhere: () => this.#takesNow(order, tried) }
          : undefined;
      try {
        return await lane.run(feeds, priority, { signal, outputs, spill });
      } catch (error) {
        if (error instanceof SpillOver) continue;
        const code = errorCodeOf(error);
        if (signal?.aborted || !this.#policy.failsOver(error)) throw error;
        if (code !== ErrorCode.QUEUE_FULL) lane.markFailed(`${code}: ${(error as Error)?.message ?? String(error)}`);
        lastError = error;
        leaving.push(lane);
      }
    }
    if (lastError !== undefined) throw lastError;
    this.#unavailable++;
    const states = order
      .map((name) => this.#byName.get(name) as RouteLane)
      .map((lane) => {
        const state = lane.snapshot();
        return `${lane.name} (${state.state}${state.lastFailure ? `: ${state.lastFailure}` : ''})`;
      });
    throw new TensorRTNodeError(
      ErrorCode.BACKEND_UNAVAILABLE,
      `Expected a route that is up for a ${priority} request but received none: ${states.join(', ')}`,
    );
  }

  /** The route for this request now, or the route whose readiness must be checked first. */
  #pick(order: readonly string[], priority: RoutePriority, tried: ReadonlySet<RouteLane>): Pick {
    const now = performance.now();
    let fallback: RouteLane | undefined;
    let fallbackDelay = Infinity;
    for (const name of order) {
      const lane = this.#byName.get(name) as RouteLane;
      if (tried.has(lane)) continue;
      const availability = lane.availability(now);
      if (availability === 'out') continue;
      if (availability === 'probe') return { probe: lane };
      if (priority === 'bulk' || lane.withinSla()) return { lane };
      const delay = lane.queueDelayMs(now);
      if (delay < fallbackDelay) {
        fallback = lane;
        fallbackDelay = delay;
      }
    }
    return { lane: fallback };
  }

  /** Whether a route not yet tried by this request is up with a free run slot: moving to another queue would not help. */
  #takesNow(order: readonly string[], tried: ReadonlySet<RouteLane>): boolean {
    return order.some((name) => {
      const lane = this.#byName.get(name) as RouteLane;
      return !tried.has(lane) && lane.availability() === 'up' && lane.hasFreeSlot();
    });
  }

  /** Waits for a route's readiness check, or for the request's abort. */
  async #awaitProbe(lane: RouteLane, signal: AbortSignal | undefined): Promise<boolean> {
    if (!signal) return lane.probe();
    let stop: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => (stop = onAbort(signal, () => reject(abortError(signal)))));
    try {
      return await Promise.race([lane.probe(), aborted]);
    } finally {
      stop?.();
    }
  }

  metrics(): RouterMetricsSnapshot {
    const now = performance.now();
    return {
      model: this.#policy.model,
      requests: this.#requests,
      completed: this.#completed,
      failed: this.#failed,
      unavailable: this.#unavailable,
      inFlight: this.#inFlight,
      routes: Object.fromEntries(this.#lanes.map((lane) => [lane.name, lane.snapshot(now)])),
    };
  }

  /** Exports every route's metrics to a prom-client Registry (names in lib/serve/route-prometheus.ts and the README). */
  registerMetrics(registry: PrometheusRegistry): Promise<() => void> {
    return registerRouteMetrics(registry, this.#policy.model, this.#lanes);
  }

  /**
   * Stops taking requests (later run() calls reject with ERR_DISPOSED), lets the ones under way
   * finish, then disposes the sessions of routes marked `owned`; the others stay the caller's.
   */
  dispose(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#settled = resolve));
      for (const lane of this.#lanes) if (lane.route.owned) await lane.route.session.dispose?.();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** A router over `routes`; see Router for the policies. */
export function createRouter(routes: readonly Route[], policy: RouterPolicy): Router {
  return new Router(routes, policy);
}
