/**
 * Exports serving metrics to a prom-client Registry. prom-client is an optional peer dependency:
 * it is loaded only when registerMetrics is called, from the application's own install, so the
 * metrics land in the very registry (and prom-client instance) the application serves.
 *
 * Names (all labelled model, backend and source = batcher | session):
 *   tensorrt_node_queue_seconds     histogram  time from arrival to the start of the item's run
 *   tensorrt_node_compute_seconds   histogram  time of the run that held the item
 *   tensorrt_node_request_seconds   histogram  time from arrival to the result
 *   tensorrt_node_batch_size        histogram  items per run
 *   tensorrt_node_requests_total    counter    items completed (rate() of it is the throughput)
 *   tensorrt_node_errors_total      counter    failed items, with a `code` label (ERR_QUEUE_FULL, ...)
 *   tensorrt_node_queue_depth       gauge      items waiting now
 *   tensorrt_node_in_flight         gauge      runs in flight now
 */
import type { ServeMetrics } from './metrics.js';
import { type PromClient, SECONDS_BUCKETS, loadPromClient, metricFactory } from './prom-client.js';
import type { PrometheusRegistry } from './prometheus-registry.js';
// Types only: prom-client is an optional peer dependency, loaded at run time when metrics are registered.
import type * as PromClientModule from 'prom-client';

export type { PrometheusRegistry } from './prometheus-registry.js';

const LABELS = ['model', 'backend', 'source'] as const;
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

type Labels = Record<(typeof LABELS)[number], string>;

interface Exported {
  queue: PromClientModule.Histogram<string>;
  compute: PromClientModule.Histogram<string>;
  request: PromClientModule.Histogram<string>;
  batchSize: PromClientModule.Histogram<string>;
  requests: PromClientModule.Counter<string>;
  errors: PromClientModule.Counter<string>;
}

/** Sources whose gauges a registry's collect() reads. */
const gaugeSources = new WeakMap<object, Set<ServeMetrics>>();

function exported(prom: PromClient, registry: PrometheusRegistry): Exported {
  const metrics = metricFactory(prom, registry);
  const histogram = (name: string, help: string, buckets: number[]) => metrics.histogram(name, help, LABELS, buckets);
  const counter = metrics.counter;
  const sources = () => gaugeSources.get(registry) ?? new Set<ServeMetrics>();
  for (const [name, help, read] of [
    ['tensorrt_node_queue_depth', 'Items waiting for a run', (m: ServeMetrics) => m.queued],
    ['tensorrt_node_in_flight', 'Runs in flight', (m: ServeMetrics) => m.inFlight],
  ] as const) {
    metrics.collectedGauge(name, help, LABELS, (gauge) => {
      for (const source of sources()) gauge.set({ ...source.labels }, read(source));
    });
  }
  return {
    queue: histogram('tensorrt_node_queue_seconds', 'Seconds from arrival to the start of the run', SECONDS_BUCKETS),
    compute: histogram('tensorrt_node_compute_seconds', 'Seconds of the run that held the item', SECONDS_BUCKETS),
    request: histogram('tensorrt_node_request_seconds', 'Seconds from arrival to the result', SECONDS_BUCKETS),
    batchSize: histogram('tensorrt_node_batch_size', 'Items per run', BATCH_BUCKETS),
    requests: counter('tensorrt_node_requests_total', 'Items completed', LABELS),
    errors: counter('tensorrt_node_errors_total', 'Items failed, by error code', [...LABELS, 'code']),
  };
}

/** Feeds `metrics`' events into `registry` from now on; returns the function that stops it. */
export async function registerServeMetrics(registry: PrometheusRegistry, metrics: ServeMetrics): Promise<() => void> {
  const prom = await loadPromClient();
  const out = exported(prom, registry);
  const labels: Labels = { ...metrics.labels };
  let sources = gaugeSources.get(registry);
  if (sources === undefined) gaugeSources.set(registry, (sources = new Set()));
  sources.add(metrics);
  // Zero-valued series exist from the start, so dashboards see the model before its first request.
  out.requests.inc(labels, 0);
  const stop = metrics.listen({
    item(queueMs, computeMs, totalMs) {
      out.queue.observe(labels, queueMs / 1000);
      out.compute.observe(labels, computeMs / 1000);
      out.request.observe(labels, totalMs / 1000);
      out.requests.inc(labels);
    },
    batch(size) {
      out.batchSize.observe(labels, size);
    },
    error(code) {
      out.errors.inc({ ...labels, code });
    },
  });
  return () => {
    stop();
    sources.delete(metrics);
  };
}
