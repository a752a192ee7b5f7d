/** The part of a prom-client Registry the metrics exports use (structural, so prom-client stays optional). */
export interface PrometheusRegistry {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
}
