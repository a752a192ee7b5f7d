/**
 * A streaming histogram with bounded memory: samples fall into logarithmic buckets 2% wide, so a
 * percentile is within 1% of the true sample's value whatever the range, and a day of samples costs
 * the same memory as a minute (at most a few hundred buckets from microseconds to hours).
 */

/** Bucket width: each bucket spans [g^i, g^(i+1)). */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);

export interface HistogramSnapshot {
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

export class StreamingHistogram {
  #buckets = new Map<number, number>();
  /** Samples at or below zero (a batch of size 0 never happens; a 0 ms queue wait does). */
  #zeros = 0;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    if (value <= 0) {
      this.#zeros++;
      return;
    }
    const index = Math.floor(Math.log(value) / LOG_GROWTH);
    this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + 1);
  }

  get count(): number {
    return this.#count;
  }

  /** Buckets kept: bounded by the range of the samples, not their number. */
  get bucketCount(): number {
    return this.#buckets.size + (this.#zeros > 0 ? 1 : 0);
  }

  /** Nearest-rank percentile (0..100), the bucket's geometric middle clamped to the samples' min and max. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    if (rank <= this.#zeros) return this.#min;
    let seen = this.#zeros;
    const indices = [...this.#buckets.keys()].sort((a, b) => a - b);
    for (const index of indices) {
      seen += this.#buckets.get(index) as number;
      if (seen >= rank) {
        const middle = Math.pow(GROWTH, index + 0.5);
        return Math.min(this.#max, Math.max(this.#min, middle));
      }
    }
    return this.#max;
  }

  snapshot(): HistogramSnapshot {
    const empty = this.#count === 0;
    return {
      count: this.#count,
      sum: this.#sum,
      min: empty ? 0 : this.#min,
      max: empty ? 0 : this.#max,
      mean: empty ? 0 : this.#sum / this.#count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
    };
  }
}
