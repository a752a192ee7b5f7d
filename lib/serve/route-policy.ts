/**
 * The router's routes and policy: their types, their defaults, and the one check that turns what a
 * caller wrote into what the router trusts. See lib/serve/router.ts for what the policy means.
 */
import type { TensorInfo } from '../backends/backend.js';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { isPlainObject, validateEnum } from '../validate.js';
import { errorCodeOf } from './metrics.js';
import { failsOverByDefault } from './route-failover.js';

export type RoutePriority = 'latency' | 'bulk';

/** What a route runs on: an InferenceSession, a Batcher, a ModelHandle, a MeteredSession, or anything with their run() surface. */
export interface RouteTarget {
  run(
    feeds: Readonly<Record<string, Tensor>>,
    options?: { signal?: AbortSignal; outputs?: readonly string[] },
  ): Promise<Record<string, Tensor>>;
  /** The model's inputs and outputs: on the target itself (a session) or on its `session` (a batcher, a handle). */
  readonly inputs?: readonly TensorInfo[];
  readonly outputs?: readonly TensorInfo[];
  readonly session?: { readonly inputs: readonly TensorInfo[]; readonly outputs: readonly TensorInfo[]; readonly backend?: string };
  /** A session's backend name, shown in metrics. */
  readonly backend?: string;
  /** A session that says it was disposed is skipped without a run. */
  readonly disposed?: boolean;
  /**
   * A readiness check of the target's own, used when the route has no `ready` hook: a remote
   * session's InferenceSession.ready(signal) (its server's KServe v2 readiness), or that of a target
   * with no `backend`. It takes the signal itself, as the session's does. A local session's is not used.
   */
  ready?(signal?: AbortSignal): boolean | void | Promise<boolean | void>;
  dispose?(): void | Promise<void>;
}

export interface Route {
  /** The route's name in policies, metrics and errors ("local", "cluster", ...). */
  name: string;
  session: RouteTarget;
  /**
   * Readiness check: answers false (or throws) when the route cannot take requests. Called before the
   * route's first request and again each time a cool-down ends; false, a throw or no answer within
   * `policy.probeTimeoutMs` keeps the route out for another cool-down. Default: a remote session's own
   * `ready(signal)` (or a backend-less target's), else none (the first request after a cool-down is the probe).
   */
  ready?: (signal: AbortSignal) => boolean | void | Promise<boolean | void>;
  /**
   * Requests the router lets run on this route at once; more wait in the router's queue for it, and
   * their wait is the route's measured queue delay. Default: an InferenceSession's capacity (the
   * runs its backend computes at once), a Batcher's concurrency x maxBatchSize, else unlimited.
   */
  concurrency?: number;
  /** The router disposes this route's session when the router is disposed (default false: the caller's). */
  owned?: boolean;
}

export interface RouterPolicy {
  /**
   * Queue delay (ms) a latency request accepts: it goes to the first route in `latency` order with a
   * free run slot or whose measured queue delay is below this. Infinity: always the first route that is up.
   */
  slaMs: number;
  /** Route names in the order latency requests try them; default the routes' order. */
  latency?: readonly string[];
  /** Route names in the order bulk requests try them; default the routes' order reversed. */
  bulk?: readonly string[];
  /** Priority of a run() that names none; default 'latency'. */
  defaultPriority?: RoutePriority;
  /** First cool-down (ms) of a route that failed or was not ready; it doubles while the route keeps failing. Default 5000. */
  cooldownMs?: number;
  /** Longest cool-down (ms); default 60000. */
  maxCooldownMs?: number;
  /** How long (ms) a readiness check may take before it counts as not ready; default 2000. */
  probeTimeoutMs?: number;
  /** Weight of the newest wait in the queue-delay average, in (0, 1]; default 0.2. */
  ewmaAlpha?: number;
  /**
   * Which failures send a request to the next route: a list of error codes (matched as they are), or
   * a function of the error. Default failsOverByDefault: the codes in RETRYABLE_CODES, but a remote
   * server's 4xx answer (bad input on the server) goes back to the caller.
   */
  failoverOn?: readonly string[] | ((error: unknown) => boolean);
  /** The router's name in metrics; default "router". */
  model?: string;
}

/** A route as the router keeps it: every default filled in. */
export interface CheckedRoute {
  readonly name: string;
  readonly session: RouteTarget;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly backend: string;
  readonly ready: ((signal: AbortSignal) => boolean | void | Promise<boolean | void>) | undefined;
  readonly concurrency: number;
  readonly owned: boolean;
}

export interface CheckedPolicy {
  readonly slaMs: number;
  readonly latency: readonly string[];
  readonly bulk: readonly string[];
  readonly defaultPriority: RoutePriority;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  readonly probeTimeoutMs: number;
  readonly ewmaAlpha: number;
  /** Whether a run's failure sends its request to the next route. */
  readonly failsOver: (error: unknown) => boolean;
  readonly model: string;
}

function isInfoList(value: unknown): value is readonly TensorInfo[] {
  return Array.isArray(value) && value.every((info) => typeof (info as { name?: unknown } | null)?.name === 'string');
}

function signature(target: RouteTarget): { inputs: readonly TensorInfo[]; outputs: readonly TensorInfo[] } | undefined {
  if (isInfoList(target.inputs) && isInfoList(target.outputs)) return { inputs: target.inputs, outputs: target.outputs };
  const inner = target.session;
  if (inner && isInfoList(inner.inputs) && isInfoList(inner.outputs)) return { inputs: inner.inputs, outputs: inner.outputs };
  return undefined;
}

function describeSignature(infos: readonly TensorInfo[]): string {
  return infos.map((info) => `${info.name} ${info.dtype}`).join(', ');
}

/** Routes must take the same feeds: same input names and dtypes, same output names. */
function sameNames(a: readonly TensorInfo[], b: readonly TensorInfo[]): boolean {
  return a.length === b.length && a.every((info) => b.some((other) => other.name === info.name && other.dtype === info.dtype));
}

function defaultConcurrency(target: RouteTarget): number {
  const candidate = target as RouteTarget & {
    capacity?: { concurrency?: unknown };
    concurrency?: unknown;
    maxBatchSize?: unknown;
  };
  // A remote session's server keeps its own queue, out of our sight: the router holds nothing back.
  if (target.backend === 'remote') return Number.POSITIVE_INFINITY;
  if (typeof candidate.capacity?.concurrency === 'number') return candidate.capacity.concurrency;
  if (typeof candidate.concurrency === 'number' && typeof candidate.maxBatchSize === 'number')
    return candidate.concurrency * candidate.maxBatchSize;
  return Number.POSITIVE_INFINITY;
}

function checkRoute(route: unknown, at: number): CheckedRoute {
  const where = `routes[${at}]`;
  if (!isPlainObject(route)) throw invalidArgument('a route object { name, session, ready?, concurrency?, owned? }', where, route);
  const { name, session, ready, concurrency, owned } = route;
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument('a non-empty string', `${where}.name`, name);
  if (typeof session !== 'object' || session === null || typeof (session as { run?: unknown }).run !== 'function') {
    throw invalidArgument('a session (an object with run(), such as an InferenceSession or a Batcher)', `${where}.session`, session);
  }
  const target = session as RouteTarget;
  const io = signature(target);
  if (io === undefined) throw invalidArgument("a session with inputs and outputs (its own or its .session's)", `${where}.session`, session);
  if (ready !== undefined && typeof ready !== 'function') throw invalidArgument('a function (signal) => boolean', `${where}.ready`, ready);
  if (
    concurrency !== undefined &&
    concurrency !== Number.POSITIVE_INFINITY &&
    (!Number.isSafeInteger(concurrency) || (concurrency as number) < 1)
  ) {
    throw invalidArgument('a positive integer or Infinity', `${where}.concurrency`, concurrency);
  }
  if (owned !== undefined && typeof owned !== 'boolean') throw invalidArgument('a boolean', `${where}.owned`, owned);
  // A local session's ready() only says it is not disposed, which `disposed` tells the router without
  // a wait; a remote session's asks its server, and a target of the caller's says what it means.
  const ownReady = target.backend === undefined || target.backend === 'remote' ? target.ready?.bind(target) : undefined;
  const own = ownReady === undefined ? undefined : (signal: AbortSignal) => ownReady(signal);
  return {
    name,
    session: target,
    inputs: io.inputs,
    outputs: io.outputs,
    backend:
      typeof target.backend === 'string'
        ? target.backend
        : typeof target.session?.backend === 'string'
          ? target.session.backend
          : 'unknown',
    ready: (ready as CheckedRoute['ready']) ?? own,
    concurrency: (concurrency as number | undefined) ?? defaultConcurrency(target),
    owned: owned ?? false,
  };
}

function checkMs(value: unknown, name: string, fallback: number, { positive = false, infinite = false } = {}): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    (!infinite && !Number.isFinite(value)) ||
    value < 0 ||
    (positive && value === 0)
  ) {
    throw invalidArgument(positive ? 'a positive number of milliseconds' : 'a non-negative number of milliseconds', name, value);
  }
  return value;
}

function checkOrder(value: unknown, name: string, names: readonly string[], fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0) throw invalidArgument('a non-empty array of route names', name, value);
  value.forEach((entry, at) => {
    if (typeof entry !== 'string' || !names.includes(entry))
      throw invalidArgument(`one of the route names (${names.map((n) => JSON.stringify(n)).join(', ')})`, `${name}[${at}]`, entry);
    if (value.indexOf(entry) !== at) throw invalidArgument('each route named once', `${name}[${at}]`, entry);
  });
  return value as string[];
}

export function checkRoutes(routes: unknown): CheckedRoute[] {
  if (!Array.isArray(routes) || routes.length === 0) throw invalidArgument('a non-empty array of routes', 'routes', routes);
  const checked = routes.map(checkRoute);
  const first = checked[0] as CheckedRoute;
  checked.forEach((route, at) => {
    const clash = checked.findIndex((other) => other.name === route.name);
    if (clash !== at)
      throw invalidArgument(
        `a name no other route has (routes[${clash}] is ${JSON.stringify(route.name)})`,
        `routes[${at}].name`,
        route.name,
      );
    if (!sameNames(first.inputs, route.inputs) || !sameNames(first.outputs, route.outputs)) {
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected the inputs (${describeSignature(first.inputs)}) and outputs (${describeSignature(first.outputs)}) of route ${JSON.stringify(first.name)} for routes[${at}] but received inputs (${describeSignature(route.inputs)}) and outputs (${describeSignature(route.outputs)})`,
      );
    }
  });
  return checked;
}

export function checkPolicy(policy: unknown, routes: readonly CheckedRoute[]): CheckedPolicy {
  if (!isPlainObject(policy)) throw invalidArgument('a policy object { slaMs, latency?, bulk?, cooldownMs?, ... }', 'policy', policy);
  if (policy.slaMs === undefined) throw invalidArgument('a non-negative number of milliseconds', 'policy.slaMs', policy.slaMs);
  const names = routes.map((route) => route.name);
  const cooldownMs = checkMs(policy.cooldownMs, 'policy.cooldownMs', 5000);
  const maxCooldownMs = checkMs(policy.maxCooldownMs, 'policy.maxCooldownMs', Math.max(60_000, cooldownMs));
  if (maxCooldownMs < cooldownMs)
    throw invalidArgument(`at least policy.cooldownMs (${cooldownMs})`, 'policy.maxCooldownMs', policy.maxCooldownMs);
  const alpha = policy.ewmaAlpha;
  if (alpha !== undefined && (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 1)))
    throw invalidArgument('a number in (0, 1]', 'policy.ewmaAlpha', alpha);
  const failoverOn = policy.failoverOn;
  if (
    failoverOn !== undefined &&
    typeof failoverOn !== 'function' &&
    (!Array.isArray(failoverOn) || !failoverOn.every((code) => typeof code === 'string'))
  )
    throw invalidArgument('an array of error codes or a function (error) => boolean', 'policy.failoverOn', failoverOn);
  const codes = Array.isArray(failoverOn) ? new Set(failoverOn as string[]) : undefined;
  if (policy.model !== undefined && typeof policy.model !== 'string') throw invalidArgument('a string', 'policy.model', policy.model);
  return {
    slaMs: checkMs(policy.slaMs, 'policy.slaMs', 0, { infinite: true }),
    latency: checkOrder(policy.latency, 'policy.latency', names, names),
    bulk: checkOrder(policy.bulk, 'policy.bulk', names, [...names].reverse()),
    defaultPriority: validateEnum(policy.defaultPriority, ['latency', 'bulk'] as const, 'policy.defaultPriority') ?? 'latency',
    cooldownMs,
    maxCooldownMs,
    probeTimeoutMs: checkMs(policy.probeTimeoutMs, 'policy.probeTimeoutMs', 2000, { positive: true }),
    ewmaAlpha: (alpha as number | undefined) ?? 0.2,
    failsOver:
      typeof failoverOn === 'function'
        ? (error) => (failoverOn as (error: unknown) => boolean)(error) === true
        : codes === undefined
          ? failsOverByDefault
          : (error) => codes.has(errorCodeOf(error)),
    model: (policy.model as string | undefined) ?? 'router',
  };
}

/** Names the value a run was given for its priority, in the house error form. */
export function checkPriority(value: unknown, fallback: RoutePriority): RoutePriority {
  return validateEnum(value, ['latency', 'bulk'] as const, 'options.priority') ?? fallback;
}
