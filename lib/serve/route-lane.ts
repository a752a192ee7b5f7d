/**
 * One route as the router drives it: its run slots and the queue in front of them (latency requests
 * ahead of bulk ones), the queue delay measured from the waits, and its health (up, cooling after a
 * failure, probed again when the cool-down ends).
 */
import { abortError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { onAbort } from '../util/abort-listeners.js';
import { errorCodeOf } from './metrics.js';
import { RouteMetrics, type RouteMetricsSnapshot, type RouteState } from './route-metrics.js';
import type { CheckedPolicy, CheckedRoute, RoutePriority } from './route-policy.js';

/** Longest delay setTimeout keeps (longer ones fire at once); an SLA beyond it never spills. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiter {
  readonly arrived: number;
  start: () => void;
}

export interface LaneRunOptions {
  signal: AbortSignal | undefined;
  outputs: readonly string[] | undefined;
  /**
   * A latency request that is still waiting when its wait reaches the SLA leaves the queue (rejects
   * with SpillOver) if `elsewhere()` says another route would start it at once.
   */
  spill?: { afterMs: number; elsewhere: () => boolean };
}

/** A waiting request left the queue to be routed again: not an error of the route. */
export class SpillOver extends Error {
  constructor() {
    super('the request left the queue to be routed again');
  }
}

export class RouteLane {
  readonly route: CheckedRoute;
  readonly metrics = new RouteMetrics();
  readonly #policy: CheckedPolicy;
  readonly #waiting: Record<RoutePriority, Waiter[]> = { latency: [], bulk: [] };
  #inFlight = 0;
  /** Exponentially weighted average of measured waits (ms). */
  #averageWaitMs = 0;
  #waits = 0;
  /**
   * Arrival of the oldest request that spilled to another route since the route last finished a run:
   * it waited that long and the route has started nothing since, so a new request would wait too.
   */
  #stalledSince: number | undefined;
  #state: RouteState;
  #cooldownUntil = 0;
  /** Length of the current (or last) cool-down. */
  #cooldownMs = 0;
  /** The cool-down the next failure starts; doubles while failures follow each other. */
  #nextCooldownMs: number;
  #lastFailure: string | undefined;
  #probe: Promise<boolean> | undefined;

  constructor(route: CheckedRoute, policy: CheckedPolicy) {
    this.route = route;
    this.#policy = policy;
    this.#nextCooldownMs = policy.cooldownMs;
    this.#state = route.ready ? 'unknown' : 'up';
  }

  get name(): string {
    return this.route.name;
  }

  get #queued(): number {
    return this.#waiting.latency.length + this.#waiting.bulk.length;
  }

  /**
   * The wait a request arriving now should expect (ms), from what was measured: nothing when a run
   * slot is free; else the larger of the average of recent waits and the age of the oldest request
   * still waiting, or that spilled elsewhere since the last run ended (which grows while the route is
   * stuck, before any wait has ended).
   */
  queueDelayMs(now = performance.now()): number {
    if (this.#inFlight < this.route.concurrency && this.#queued === 0) return 0;
    const oldest = Math.min(this.#waiting.latency[0]?.arrived ?? now, this.#waiting.bulk[0]?.arrived ?? now, this.#stalledSince ?? now);
    return Math.max(this.#averageWaitMs, now - oldest);
  }

  /** A request sent now would start at once. */
  hasFreeSlot(): boolean {
    return this.#inFlight < this.route.concurrency && this.#queued === 0;
  }

  /** A free run slot, or a measured queue delay below the SLA. */
  withinSla(): boolean {
    return (this.#inFlight < this.route.concurrency && this.#queued === 0) || this.queueDelayMs() < this.#policy.slaMs;
  }

  /**
   * 'up' when requests may go to the route now; 'probe' when its readiness must be checked first
   * (before its first request, and when a cool-down has ended); 'out' while it cools down.
   */
  availability(now = performance.now()): 'up' | 'probe' | 'out' {
    if (this.route.session.disposed === true) {
      if (this.#state !== 'cooling' || now >= this.#cooldownUntil) this.markFailed('the session was disposed', now);
      return 'out';
    }
    if (this.#state === 'up') return 'up';
    if (this.#state === 'cooling' && now < this.#cooldownUntil) return 'out';
    if (this.route.ready === undefined) {
      // Without a readiness check, the next request is the probe: its failure cools the route again.
      this.#state = 'up';
      return 'up';
    }
    return 'probe';
  }

  /** Checks readiness once for every request that waits on it; true when the route is up again. */
  probe(): Promise<boolean> {
    this.#probe ??= this.#runProbe().finally(() => (this.#probe = undefined));
    return this.#probe;
  }

  async #runProbe(): Promise<boolean> {
    const ready = this.route.ready as NonNullable<CheckedRoute['ready']>;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('readiness check timed out'));
        resolve(`no answer from the readiness check within ${this.#policy.probeTimeoutMs} ms`);
      }, this.#policy.probeTimeoutMs);
    });
    const answer = (async () => {
      try {
        // Only a plain false is "not ready": a check that resolves with nothing has passed.
        return (await ready(controller.signal)) === false ? 'the readiness check answered not ready' : true;
      } catch (error) {
        return `the readiness check failed: ${errorCodeOf(error)}: ${(error as Error)?.message ?? String(error)}`;
      }
    })();
    try {
      const outcome = await Promise.race([answer, timeout]);
      if (outcome === true) {
        this.markUp();
        return true;
      }
      this.markFailed(outcome);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  markUp(): void {
    this.#state = 'up';
    this.#nextCooldownMs = this.#policy.cooldownMs;
  }

  /** Takes the route out for a cool-down; failures of requests already running on a cooling route do not lengthen it. */
  markFailed(reason: string, now = performance.now()): void {
    if (this.#state === 'cooling' && now < this.#cooldownUntil) return;
    this.#lastFailure = reason;
    this.#state = 'cooling';
    this.#cooldownMs = this.#nextCooldownMs;
    this.#cooldownUntil = now + this.#cooldownMs;
    this.#nextCooldownMs = Math.min(this.#policy.maxCooldownMs, Math.max(this.#nextCooldownMs * 2, 1));
  }

  /**
   * Runs one request on this route: at once when a slot is free, else after waiting in the queue.
   * The caller has made the routing decision in the same synchronous turn, so two requests never
   * both see the last free slot.
   */
  async run(feeds: Readonly<Record<string, Tensor>>, priority: RoutePriority, options: LaneRunOptions): Promise<Record<string, Tensor>> {
    const arrived = performance.now();
    this.metrics.recordRequest(priority);
    try {
      if (this.#inFlight < this.route.concurrency && this.#queued === 0) this.#inFlight++;
      else await this.#wait(priority, arrived, options.signal, options.spill);
      const started = performance.now();
      this.#observeWait(started - arrived);
      try {
        const results = await this.route.session.run(feeds, {
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.outputs ? { outputs: options.outputs } : {}),
        });
        this.metrics.recordCompleted(performance.now() - arrived);
        // An answer ends a run of failures: the next failure cools the route for the first length again.
        this.#nextCooldownMs = this.#policy.cooldownMs;
        return results;
      } finally {
        this.#inFlight--;
        this.#stalledSince = undefined;
        this.#next();
      }
    } catch (error) {
      if (error instanceof SpillOver) this.metrics.recordSpill();
      else this.metrics.recordError(errorCodeOf(error), performance.now() - arrived);
      throw error;
    }
  }

  #observeWait(waitMs: number): void {
    const alpha = this.#policy.ewmaAlpha;
    this.#averageWaitMs = this.#waits++ === 0 ? waitMs : alpha * waitMs + (1 - alpha) * this.#averageWaitMs;
    this.metrics.recordStart(waitMs);
  }

  #wait(priority: RoutePriority, arrived: number, signal: AbortSignal | undefined, spill: LaneRunOptions['spill']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.#waiting[priority];
      let timer: NodeJS.Timeout | undefined;
      const stop = signal ? onAbort(signal, () => leave(abortError(signal))) : undefined;
      const leave = (error: unknown): void => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        stop?.();
        clearTimeout(timer);
        reject(error);
      };
      const waiter: Waiter = {
        arrived,
        start: () => {
          stop?.();
          clearTimeout(timer);
          this.#inFlight++;
          resolve();
        },
      };
      queue.push(waiter);
      // Lets go of the request only when another route would start it at once; else it keeps its
      // place and looks again one SLA later (another route may have come up or freed a slot).
      const check = (): void => {
        if (!spill?.elsewhere()) {
          timer = setTimeout(check, Math.max(spill?.afterMs ?? 0, 1));
          return;
        }
        this.#stalledSince = Math.min(this.#stalledSince ?? arrived, arrived);
        leave(new SpillOver());
      };
      if (spill && spill.afterMs <= MAX_TIMER_MS) timer = setTimeout(check, spill.afterMs);
    });
  }

  /** Starts the next waiting request, latency ones first. */
  #next(): void {
    if (this.#inFlight >= this.route.concurrency) return;
    const waiter = this.#waiting.latency.shift() ?? this.#waiting.bulk.shift();
    waiter?.start();
  }

  snapshot(now = performance.now()): RouteMetricsSnapshot {
    // Reading the state may end a cool-down (a route without a readiness check is up again).
    const cooling = this.#state === 'cooling' && now < this.#cooldownUntil;
    return {
      name: this.route.name,
      backend: this.route.backend,
      ...this.metrics.counts(),
      queueDelayMs: this.queueDelayMs(now),
      queued: this.#queued,
      inFlight: this.#inFlight,
      concurrency: this.route.concurrency,
      state: cooling ? 'cooling' : this.#state === 'cooling' ? (this.route.ready ? 'unknown' : 'up') : this.#state,
      cooldownLeftMs: cooling ? this.#cooldownUntil - now : 0,
      cooldownMs: this.#cooldownMs,
      lastFailure: this.#lastFailure,
    };
  }
}
