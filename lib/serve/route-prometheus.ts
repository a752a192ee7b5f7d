/**
 * Exports a router's per-route metrics to a prom-client Registry, as lib/serve/prometheus.ts does for
 * batchers and sessions (prom-client stays an optional peer, loaded here on first use).
 *
 * Names (labelled model = the router's name and route = the route's):
 *   tensorrt_node_route_requests_total        counter    requests sent to the route, with a `priority` label
 *   tensorrt_node_route_errors_total          counter    failed requests, with a `code` label
 *   tensorrt_node_route_failovers_total       counter    requests that left the route for the next one
 *   tensorrt_node_route_spills_total          counter    latency requests that left its queue when their wait reached the SLA
 *   tensorrt_node_route_queue_seconds         histogram  measured waits in the router's queue for the route
 *   tensorrt_node_route_request_seconds       histogram  time from arrival at the route to its answer
 *   tensorrt_node_route_queue_delay_seconds   gauge      the queue delay routing reads now
 *   tensorrt_node_route_up                    gauge      1 while the route takes requests, 0 while cooling or unprobed
 */
import type { RouteLane } from './route-lane.js';
import { SECONDS_BUCKETS, loadPromClient, metricFactory } from './prom-client.js';
import type { PrometheusRegistry } from './prometheus-registry.js';

const LABELS = ['model', 'route'] as const;

/** Lanes whose gauges a registry's collect() reads, with their router's name. */
const gaugeSources = new WeakMap<object, Map<RouteLane, string>>();

export async function registerRouteMetrics(registry: PrometheusRegistry, model: string, lanes: readonly RouteLane[]): Promise<() => void> {
  const prom = await loadPromClient();
  const metrics = metricFactory(prom, registry);
  const counter = metrics.counter;
  const histogram = (name: string, help: string) => metrics.histogram(name, help, LABELS, SECONDS_BUCKETS);
  let sources = gaugeSources.get(registry);
  if (sources === undefined) gaugeSources.set(registry, (sources = new Map()));
  const live = sources;
  for (const [name, help, read] of [
    [
      'tensorrt_node_route_queue_delay_seconds',
      'Queue delay the routing decision reads now',
      (lane: RouteLane) => lane.queueDelayMs() / 1000,
    ],
    [
      'tensorrt_node_route_up',
      '1 while the route takes requests, 0 while it cools down or awaits its readiness check',
      (lane: RouteLane) => (lane.snapshot().state === 'up' ? 1 : 0),
    ],
  ] as const) {
    metrics.collectedGauge(name, help, LABELS, (gauge) => {
      for (const [lane, router] of live) gauge.set({ model: router, route: lane.name }, read(lane));
    });
  }
  const requests = counter('tensorrt_node_route_requests_total', 'Requests sent to the route', [...LABELS, 'priority']);
  const errors = counter('tensorrt_node_route_errors_total', 'Requests the route failed, by error code', [...LABELS, 'code']);
  const failovers = counter('tensorrt_node_route_failovers_total', 'Requests that left the route for the next one', LABELS);
  const spills = counter(
    'tensorrt_node_route_spills_total',
    "Latency requests that left the route's queue when their wait reached the SLA",
    LABELS,
  );
  const queue = histogram('tensorrt_node_route_queue_seconds', "Seconds a request waited in the router's queue for the route");
  const request = histogram('tensorrt_node_route_request_seconds', 'Seconds from arrival at the route to its answer');
  const stops = lanes.map((lane) => {
    const labels = { model, route: lane.name };
    live.set(lane, model);
    // Zero-valued series exist from the start, so dashboards see every route before its first request.
    for (const priority of ['latency', 'bulk']) requests.inc({ ...labels, priority }, 0);
    failovers.inc(labels, 0);
    spills.inc(labels, 0);
    return lane.metrics.listen({
      request: (priority) => requests.inc({ ...labels, priority }),
      started: (queueMs) => queue.observe(labels, queueMs / 1000),
      completed: (latencyMs) => request.observe(labels, latencyMs / 1000),
      error: (code, latencyMs) => {
        errors.inc({ ...labels, code });
        request.observe(labels, latencyMs / 1000);
      },
      failover: () => failovers.inc(labels),
      spill: () => spills.inc(labels),
    });
  });
  return () => {
    for (const stop of stops) stop();
    for (const lane of lanes) live.delete(lane);
  };
}
