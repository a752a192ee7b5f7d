/**
 * Per-session metrics: a session's run() with its latency, throughput and errors recorded. There
 * is no queue in front of a plain session, so its queue histogram stays empty; compute and total
 * time are the same measurement.
 */
import type { InferenceSession, RunOptions } from '../session.js';
import type { Tensor } from '../tensor.js';
import { type MetricsSnapshot, ServeMetrics, errorCodeOf } from './metrics.js';
import { type PrometheusRegistry, registerServeMetrics } from './prometheus.js';

export class MeteredSession {
  readonly session: InferenceSession;
  readonly #metrics: ServeMetrics;
  #inFlight = 0;

  constructor(session: InferenceSession, options: { model?: string } = {}) {
    this.session = session;
    this.#metrics = new ServeMetrics({ model: options.model ?? 'model', backend: session.backend, source: 'session' });
  }

  async run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    const started = performance.now();
    this.#metrics.inFlight = ++this.#inFlight;
    try {
      const results = await this.session.run(feeds, options);
      const elapsed = performance.now() - started;
      const first = Object.values(feeds)[0];
      this.#metrics.recordBatch(first && first.dims.length > 0 ? (first.dims[0] as number) : 1);
      this.#metrics.recordItem(0, elapsed, elapsed);
      return results;
    } catch (error) {
      this.#metrics.recordError(errorCodeOf(error));
      throw error;
    } finally {
      this.#metrics.inFlight = --this.#inFlight;
    }
  }

  metrics(): MetricsSnapshot {
    return this.#metrics.snapshot();
  }

  registerMetrics(registry: PrometheusRegistry): Promise<() => void> {
    return registerServeMetrics(registry, this.#metrics);
  }
}

/** Wraps `session` so its runs are measured; the session itself is unchanged and stays the caller's. */
export function meterSession(session: InferenceSession, options?: { model?: string }): MeteredSession {
  return new MeteredSession(session, options);
}
