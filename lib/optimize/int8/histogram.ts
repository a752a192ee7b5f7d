/**
 * A streaming histogram of one activation tensor and the ways to choose its quantization range from it.
 * Memory is fixed (two sides of BINS counters): when a value beyond the current range arrives, the bin
 * width doubles and neighbouring bins merge, which is exact, so one pass over the calibration set suffices.
 */

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];

const BINS = 2048;

export class StreamingHistogram {
  /** counts of |x| for x >= 0 (positive) and for x < 0 (negative), bin i covering [i*width, (i+1)*width). */
  readonly positive = new Float64Array(BINS);
  readonly negative = new Float64Array(BINS);
  width = 0;
  min = Infinity;
  max = -Infinity;
  count = 0;

  add(data: Float32Array): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      // NaN/Inf in an activation would poison every range; skip them but keep the finite values.
      lo = Infinity;
      hi = -Infinity;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (!Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo === Infinity) return;
    }
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    const amax = Math.max(Math.abs(lo), Math.abs(hi));
    if (this.width === 0) {
      if (amax === 0) {
        this.positive[0] += data.length;
        this.count += data.length;
        return;
      }
      this.width = amax / BINS;
    }
    while (amax >= this.width * BINS) this.grow();
    const inverse = 1 / this.width;
    const { positive, negative } = this;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v >= 0) positive[Math.min(BINS - 1, Math.floor(v * inverse))]++;
      else if (v < 0) negative[Math.min(BINS - 1, Math.floor(-v * inverse))]++;
    }
    this.count += data.length;
  }

  private grow(): void {
    for (const side of [this.positive, this.negative]) {
      for (let i = 0; i < BINS / 2; i++) side[i] = side[2 * i] + side[2 * i + 1];
      side.fill(0, BINS / 2);
    }
    this.width *= 2;
  }

  /** Histogram of |x| (both signs together). */
  magnitude(): Float64Array {
    const out = new Float64Array(BINS);
    for (let i = 0; i < BINS; i++) out[i] = this.positive[i] + this.negative[i];
    return out;
  }
}

export interface RangeOptions {
  method: CalibrationMethod;
  /** Percentile of |x| kept inside the range (method 'percentile'); default 99.99. */
  percentile?: number;
}

/** Index of the last bin with a count (the observed extent in bins). */
function lastUsed(counts: Float64Array): number {
  for (let i = counts.length - 1; i >= 0; i--) if (counts[i] > 0) return i;
  return -1;
}

/** The smallest bin boundary above which at most `dropped` of the values lie. */
function percentileThreshold(counts: Float64Array, width: number, dropped: number): number {
  let tail = 0;
  for (let i = counts.length - 1; i >= 0; i--) {
    tail += counts[i];
    if (tail > dropped) return (i + 1) * width;
  }
  return width;
}

/**
 * TensorRT's entropy calibration: the threshold whose `levels`-level quantization of the clipped
 * distribution loses the least information (KL divergence), searched over bin boundaries.
 */
function entropyThreshold(histogram: Float64Array, width: number, levels: number): number {
  // The zero bin holds everything a ReLU clipped; left as is it dominates the divergence and drags the
  // threshold far down. TensorRT-style calibrators give it the next bin's count instead.
  const counts = Float64Array.from(histogram);
  if (counts.length > 1) counts[0] = counts[1];
  const used = lastUsed(counts) + 1;
  if (used <= levels) return Math.max(1, used) * width;
  let best = used;
  let bestDivergence = Infinity;
  const stride = Math.max(1, Math.floor((used - levels) / 512));
  for (let i = levels; i <= used; i += stride) {
    const reference = counts.slice(0, i);
    let outliers = 0;
    for (let j = i; j < used; j++) outliers += counts[j];
    reference[i - 1] += outliers;
    // Quantize the first i bins into `levels` groups, spreading each group's mass over its non-empty bins.
    const candidate = new Float64Array(i);
    const perLevel = i / levels;
    for (let q = 0; q < levels; q++) {
      const start = Math.floor(q * perLevel);
      const end = q === levels - 1 ? i : Math.floor((q + 1) * perLevel);
      let mass = 0;
      let nonEmpty = 0;
      for (let j = start; j < end; j++) {
        mass += counts[j];
        if (counts[j] > 0) nonEmpty++;
      }
      if (nonEmpty === 0) continue;
      for (let j = start; j < end; j++) if (counts[j] > 0) candidate[j] = mass / nonEmpty;
    }
    let sumP = 0;
    let sumQ = 0;
    for (let j = 0; j < i; j++) {
      sumP += reference[j];
      sumQ += candidate[j];
    }
    if (sumP === 0 || sumQ === 0) continue;
    let divergence = 0;
    for (let j = 0; j < i; j++) {
      const p = reference[j] / sumP;
      if (p === 0) continue;
      const q = candidate[j] / sumQ;
      // An empty Q bin under a non-empty P bin: smooth as TensorRT does, with a tiny epsilon.
      divergence += p * Math.log(p / (q > 0 ? q : 1e-10));
    }
    if (divergence < bestDivergence) {
      bestDivergence = divergence;
      best = i;
    }
  }
  return (best + 0.5) * width;
}

/**
 * The clip threshold that minimises the expected squared error of `levels`-step quantization of |x|:
 * rounding noise step^2/12 inside the range plus the clipping error outside it (prefix sums make it linear).
 */
function mseThreshold(counts: Float64Array, width: number, levels: number): number {
  const used = lastUsed(counts) + 1;
  if (used <= 0) return width;
  const n = counts.length;
  // Suffix sums over bins > k of count, count*c, count*c^2 (c = bin centre).
  const sufN = new Float64Array(n + 1);
  const sufC = new Float64Array(n + 1);
  const sufC2 = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) {
    const c = (i + 0.5) * width;
    sufN[i] = sufN[i + 1] + counts[i];
    sufC[i] = sufC[i + 1] + counts[i] * c;
    sufC2[i] = sufC2[i + 1] + counts[i] * c * c;
  }
  let best = used * width;
  let bestError = Infinity;
  for (let k = Math.max(1, Math.floor(used / 64)); k <= used; k++) {
    const amax = k * width;
    const step = amax / levels;
    const inside = sufN[0] - sufN[k];
    const clipped = sufC2[k] - 2 * amax * sufC[k] + amax * amax * sufN[k];
    const error = (inside * step * step) / 12 + clipped;
    if (error < bestError) {
      bestError = error;
      best = amax;
    }
  }
  return best;
}

function sideThreshold(
  counts: Float64Array,
  width: number,
  total: number,
  levels: number,
  options: RangeOptions,
  observed: number,
): number {
  switch (options.method) {
    case 'minmax':
      return observed;
    case 'percentile':
      return Math.min(observed, percentileThreshold(counts, width, total * (1 - (options.percentile ?? 99.99) / 100)));
    case 'entropy':
      return Math.min(observed, entropyThreshold(counts, width, levels));
    case 'mse':
      return Math.min(observed, mseThreshold(counts, width, levels));
  }
}

/** Symmetric range: the amax of a zero-point-0 int8 quantization. */
export function symmetricRange(histogram: StreamingHistogram, options: RangeOptions): number {
  const observed = Math.max(Math.abs(histogram.min), Math.abs(histogram.max), 0);
  if (histogram.width === 0 || observed === 0) return observed;
  return sideThreshold(histogram.magnitude(), histogram.width, histogram.count, 127, options, observed);
}

/**
 * Asymmetric range [lo, hi] (lo <= 0 <= hi) for uint8: each side chosen on its own histogram, with the
 * side's share of the 255 steps proportional to its observed extent.
 */
export function asymmetricRange(histogram: StreamingHistogram, options: RangeOptions): [number, number] {
  const hiObserved = Math.max(histogram.max, 0);
  const loObserved = Math.max(-histogram.min, 0);
  if (histogram.width === 0 || hiObserved + loObserved === 0) return [-loObserved, hiObserved];
  const extent = hiObserved + loObserved;
  const levelsHi = Math.max(1, Math.round((255 * hiObserved) / extent));
  const levelsLo = Math.max(1, 255 - levelsHi);
  const hi = hiObserved === 0 ? 0 : sideThreshold(histogram.positive, histogram.width, histogram.count, levelsHi, options, hiObserved);
  const lo = loObserved === 0 ? 0 : sideThreshold(histogram.negative, histogram.width, histogram.count, levelsLo, options, loObserved);
  return [-lo, hi];
}
