/**
 * Latency statistics the way trtexec reports them, streamed: `--iterations 1e9` must not keep a
 * billion samples (8 GB). Count, min, max and sum are exact; percentiles come from an HDR histogram
 * (Node's own perf_hooks.createHistogram: fixed memory, 3 significant digits, so within 0.1%).
 */
import { type RecordableHistogram, createHistogram } from 'node:perf_hooks';

export interface LatencyStats {
  iterations: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Completed runs per second of wall time over the timed runs. */
  throughputQps: number;
  totalMs: number;
}

const NS_PER_MS = 1e6;

export class LatencyRecorder {
  private readonly histogram: RecordableHistogram = createHistogram();
  private count = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;
  private sum = 0;

  /** One run's latency in milliseconds. */
  record(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    // The histogram holds integers >= 1: whole nanoseconds.
    this.histogram.record(Math.max(1, Math.round(ms * NS_PER_MS)));
  }

  get iterations(): number {
    return this.count;
  }

  /** Nearest-rank percentile (within the histogram's 0.1%), kept inside the exact min and max. */
  percentile(p: number): number {
    if (this.count === 0) throw new RangeError('percentile of no samples');
    const value = this.histogram.percentile(p) / NS_PER_MS;
    return Math.min(this.max, Math.max(this.min, value));
  }

  stats(totalMs: number): LatencyStats {
    return {
      iterations: this.count,
      minMs: this.min,
      maxMs: this.max,
      meanMs: this.sum / this.count,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      throughputQps: (this.count * 1000) / totalMs,
      totalMs,
    };
  }
}
