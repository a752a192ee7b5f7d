/**
 * A closed-loop load: `concurrency` clients, each sending its next request as soon as the previous
 * one is answered, until `requests` have been answered. Measures what a server would see: latency
 * percentiles per request and throughput over the whole run. Used by `tensorrt-node bench` and the
 * serving benchmark.
 */
import { type HistogramSnapshot, StreamingHistogram } from './histogram.js';

export interface LoadOptions {
  concurrency: number;
  requests: number;
  /** Requests answered before measuring starts (the same clients keep going). */
  warmup?: number;
}

export interface LoadReport {
  concurrency: number;
  requests: number;
  failed: number;
  /** Failures by error code. */
  errors: Record<string, number>;
  latencyMs: HistogramSnapshot;
  /** Answered requests per second over the measured part. */
  throughput: number;
  wallMs: number;
}

export async function measureLoad(send: (client: number, sequence: number) => Promise<unknown>, options: LoadOptions): Promise<LoadReport> {
  const warmup = options.warmup ?? 0;
  const histogram = new StreamingHistogram();
  const errors: Record<string, number> = {};
  let issued = 0;
  let answered = 0;
  let failed = 0;
  let measuredFrom = performance.now();
  const client = async (id: number) => {
    while (issued < warmup + options.requests) {
      const sequence = issued++;
      const started = performance.now();
      try {
        await send(id, sequence);
        if (sequence >= warmup) histogram.record(performance.now() - started);
      } catch (error) {
        if (sequence >= warmup) {
          failed++;
          const code = String((error as { code?: unknown })?.code ?? 'ERR_UNKNOWN');
          errors[code] = (errors[code] ?? 0) + 1;
        }
      }
      if (++answered === warmup) measuredFrom = performance.now();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, id) => client(id)));
  const wallMs = performance.now() - measuredFrom;
  return {
    concurrency: options.concurrency,
    requests: options.requests,
    failed,
    errors,
    latencyMs: histogram.snapshot(),
    throughput: ((options.requests - failed) * 1000) / Math.max(wallMs, 1e-3),
    wallMs,
  };
}
