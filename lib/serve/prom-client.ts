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

export function getOrCreate<T>(registry: PrometheusRegistry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
