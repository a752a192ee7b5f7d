/**
 * What one route of a router has done: requests sent to it by priority, results, errors by code,
 * failovers away from it, the time requests waited in the router's queue for it and the time they
 * took there in all. Histograms stream (bounded memory); listeners (the Prometheus exporter) see
 * each event.
 */
import { type HistogramSnapshot, StreamingHistogram } from './histogram.js';
import type { RoutePriority } from './route-policy.js';

/** up: taking requests; cooling: out after a failure until `cooldownLeftMs` has passed; unknown: not yet probed. */
export type RouteState = 'up' | 'cooling' | 'unknown';

export interface RouteMetricsSnapshot {
  readonly name: string;
  /** The session's backend ('cpu', 'tensorrt', 'remote'), or 'unknown' for targets that do not say. */
  readonly backend: string;
  /** Requests sent to this route (a request that fails over counts on each route it tried). */
  requests: Record<RoutePriority, number>;
  /** Requests this route answered. */
  completed: number;
  /** Failed requests by error code, including those that then failed over. */
  errors: Record<string, number>;
  /** Requests that left this route for the next one after an error or a failed readiness check. */
  failovers: number;
  /** Latency requests that left this route's queue for another route when their wait reached the SLA. */
  spills: number;
  /** The queue delay the routing decision reads now (ms): 0 with a free run slot, else the larger of the measured average wait and the oldest waiting request's age. */
  queueDelayMs: number;
  /** Measured waits (ms) in the router's queue before a request started on this route. */
  queueMs: HistogramSnapshot;
  /** Milliseconds from a request's arrival at this route to its result or error. */
  latencyMs: HistogramSnapshot;
  /** Requests waiting in the router's queue for this route, and running on it, now. */
  queued: number;
  inFlight: number;
  /** Requests the router lets run on this route at once (Infinity: no limit). */
  concurrency: number;
  state: RouteState;
  /** Milliseconds until a cooling route is probed again (0 when not cooling). */
  cooldownLeftMs: number;
  /** Length of the current or last cool-down (ms): policy.cooldownMs, doubled for each failure in a row. */
  cooldownMs: number;
  /** Why the route last went cooling: the error code and message, or the readiness check's answer. */
  lastFailure: string | undefined;
}

export interface RouteMetricsListener {
  request(priority: RoutePriority): void;
  started(queueMs: number): void;
  completed(latencyMs: number): void;
  error(code: string, latencyMs: number): void;
  failover(): void;
  spill(): void;
}

export class RouteMetrics {
  readonly #queue = new StreamingHistogram();
  readonly #latency = new StreamingHistogram();
  readonly #errors = new Map<string, number>();
  readonly #requests: Record<RoutePriority, number> = { latency: 0, bulk: 0 };
  readonly #listeners = new Set<RouteMetricsListener>();
  #completed = 0;
  #failovers = 0;
  #spills = 0;

  recordRequest(priority: RoutePriority): void {
    this.#requests[priority]++;
    for (const listener of this.#listeners) listener.request(priority);
  }

  recordStart(queueMs: number): void {
    this.#queue.record(queueMs);
    for (const listener of this.#listeners) listener.started(queueMs);
  }

  recordCompleted(latencyMs: number): void {
    this.#completed++;
    this.#latency.record(latencyMs);
    for (const listener of this.#listeners) listener.completed(latencyMs);
  }

  recordError(code: string, latencyMs: number): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
    this.#latency.record(latencyMs);
    for (const listener of this.#listeners) listener.error(code, latencyMs);
  }

  recordFailover(): void {
    this.#failovers++;
    for (const listener of this.#listeners) listener.failover();
  }

  recordSpill(): void {
    this.#spills++;
    for (const listener of this.#listeners) listener.spill();
  }

  listen(listener: RouteMetricsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The counters and histograms; the route adds what it knows of its present (queue, state). */
  counts(): Pick<RouteMetricsSnapshot, 'requests' | 'completed' | 'errors' | 'failovers' | 'spills' | 'queueMs' | 'latencyMs'> {
    return {
      requests: { ...this.#requests },
      completed: this.#completed,
      errors: Object.fromEntries(this.#errors),
      failovers: this.#failovers,
      spills: this.#spills,
      queueMs: this.#queue.snapshot(),
      latencyMs: this.#latency.snapshot(),
    };
  }
}
