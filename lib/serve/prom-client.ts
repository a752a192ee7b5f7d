/**
 * Loading prom-client, shared by the serving and the routing metrics exports. Internal: its types name
 * prom-client, an optional peer, so nothing the package's index.d.ts reaches may import this file's types.
 */
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import type { PrometheusRegistry } from './prometheus-registry.js';
// Types only: prom-client is an optional peer dependency, loaded at run time when metrics are registered.
import type * as PromClientModule from 'prom-client';

export type PromClient = typeof PromClientModule;

export const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export async function loadPromClient(): Promise<PromClient> {
  try {
    return await import('prom-client');
  } catch (error) {
    throw new TensorRTNodeError(
      ErrorCode.BACKEND_UNAVAILABLE,
      'registerMetrics needs the prom-client package; install it next to tensorrt-node (npm install prom-client)',
      { cause: error },
    );
  }
}

function getOrCreate<T>(registry: PrometheusRegistry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Metrics created in (or found already in) one registry: a second registration reuses the first's. */
export interface MetricFactory {
  counter(name: string, help: string, labelNames: readonly string[]): PromClientModule.Counter<string>;
  histogram(name: string, help: string, labelNames: readonly string[], buckets: number[]): PromClientModule.Histogram<string>;
  /** A gauge read when the registry is scraped: `collect` sets its values then. */
  collectedGauge(
    name: string,
    help: string,
    labelNames: readonly string[],
    collect: (gauge: PromClientModule.Gauge<string>) => void,
  ): PromClientModule.Gauge<string>;
}

export function metricFactory(prom: PromClient, registry: PrometheusRegistry): MetricFactory {
  const registers = [registry as unknown as PromClientModule.Registry];
  return {
    counter: (name, help, labelNames) => getOrCreate(registry, name, () => new prom.Counter({ name, help, labelNames, registers })),
    histogram: (name, help, labelNames, buckets) =>
      getOrCreate(registry, name, () => new prom.Histogram({ name, help, labelNames, buckets, registers })),
    collectedGauge: (name, help, labelNames, collect) =>
      getOrCreate(
        registry,
        name,
        () =>
          new prom.Gauge({
            name,
            help,
            labelNames,
            registers,
            collect() {
              collect(this);
            },
          }),
      ),
  };
}
