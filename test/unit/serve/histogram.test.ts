import { describe, expect, it } from 'vitest';

import { StreamingHistogram } from '../../../lib/serve/histogram.js';
import { seededRandom } from '../../fixtures/random.js';

/** The exact nearest-rank percentile of sorted samples, to compare the histogram against. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

describe('StreamingHistogram', () => {
  it('gives percentiles within 1% of the exact ones', () => {
    const next = seededRandom(3);
    const histogram = new StreamingHistogram();
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const value = Math.exp(next() * 8) * 0.01; // 0.01 ms .. 30 ms, skewed like latencies
      samples.push(value);
      histogram.record(value);
    }
    samples.sort((a, b) => a - b);
    for (const p of [50, 90, 99]) {
      const exact = percentile(samples, p);
      expect(Math.abs(histogram.percentile(p) - exact) / exact).toBeLessThan(0.01);
    }
    const snapshot = histogram.snapshot();
    expect(snapshot.count).toBe(20_000);
    expect(snapshot.min).toBe(samples[0]);
    expect(snapshot.max).toBe(samples[samples.length - 1]);
  });

  it('keeps bounded memory however many samples it sees', () => {
    const histogram = new StreamingHistogram();
    const next = seededRandom(9);
    for (let i = 0; i < 500_000; i++) histogram.record(next() * 1000);
    // 2% buckets from 0.002 to 1000: log(5e5)/log(1.02) ~ 660 buckets at most.
    expect(histogram.bucketCount).toBeLessThan(700);
  });

  it('counts zeros and reports an empty histogram as zeros', () => {
    const histogram = new StreamingHistogram();
    expect(histogram.snapshot()).toMatchObject({ count: 0, p50: 0, p99: 0, min: 0, max: 0 });
    histogram.record(0);
    histogram.record(0);
    histogram.record(4);
    expect(histogram.percentile(50)).toBe(0);
    expect(histogram.percentile(99)).toBe(4);
  });
});
