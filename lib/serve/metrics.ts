/**
 * What a batcher or a metered session has done: latency histograms (time queued, time computing,
 * total), batch sizes, completed items, errors by code and throughput. Everything streams: memory
 * stays bounded however long the server runs. Listeners (the Prometheus exporter) see each event.
 */
import { type HistogramSnapshot, StreamingHistogram } from './histogram.js';

export interface MetricsLabels {
  /** The model's name, as the operator calls it (file name by default). */
  readonly model: string;
  /** 'cpu' or 'tensorrt'. */
  readonly backend: string;
  /** Who measured: 'batcher' or 'session'. */
  readonly source: 'batcher' | 'session';
}

export interface MetricsSnapshot extends MetricsLabels {
  /** Items that completed successfully. */
  completed: number;
  /** Failed items by error code (ERR_QUEUE_FULL, ERR_ABORTED, ERR_SHAPE_MISMATCH, ...). */
  errors: Record<string, number>;
  /** Milliseconds from arrival to the start of the item's run. */
  queueMs: HistogramSnapshot;
  /** Milliseconds the run holding the item took. */
  computeMs: HistogramSnapshot;
  /** Milliseconds from arrival to the result. */
  totalMs: HistogramSnapshot;
  /** Items per run. */
  batchSize: HistogramSnapshot;
  /** Completed items per second over the last ten seconds (or since the first item, when sooner). */
  throughput: number;
  /** Items waiting and runs in flight now, and the most runs ever in flight at once. */
  queued: number;
  inFlight: number;
  peakInFlight: number;
}

export interface MetricsListener {
  item(queueMs: number, computeMs: number, totalMs: number): void;
  batch(size: number): void;
  error(code: string): void;
}

/** Completed-item counts in one-second slots over a sliding window. */
class RateWindow {
  static readonly SECONDS = 10;
  #slots = new Float64Array(RateWindow.SECONDS);
  #slotSecond = new Float64Array(RateWindow.SECONDS).fill(-1);
  #firstMs: number | undefined;

  add(nowMs: number, count: number): void {
    this.#firstMs ??= nowMs;
    const second = Math.floor(nowMs / 1000);
    const slot = second % RateWindow.SECONDS;
    if (this.#slotSecond[slot] !== second) {
      this.#slotSecond[slot] = second;
      this.#slots[slot] = 0;
    }
    this.#slots[slot] += count;
  }

  perSecond(nowMs: number): number {
    if (this.#firstMs === undefined) return 0;
    const second = Math.floor(nowMs / 1000);
    let total = 0;
    for (let slot = 0; slot < RateWindow.SECONDS; slot++) {
      if (second - this.#slotSecond[slot] < RateWindow.SECONDS) total += this.#slots[slot];
    }
    const spanMs = Math.min(RateWindow.SECONDS * 1000, Math.max(nowMs - this.#firstMs, 1));
    return (total * 1000) / spanMs;
  }
}

export class ServeMetrics {
  readonly labels: MetricsLabels;
  readonly #queue = new StreamingHistogram();
  readonly #compute = new StreamingHistogram();
  readonly #total = new StreamingHistogram();
  readonly #batchSize = new StreamingHistogram();
  readonly #errors = new Map<string, number>();
  readonly #rate = new RateWindow();
  readonly #listeners = new Set<MetricsListener>();
  #completed = 0;
  queued = 0;
  #inFlight = 0;
  #peakInFlight = 0;

  get inFlight(): number {
    return this.#inFlight;
  }

  set inFlight(value: number) {
    this.#inFlight = value;
    if (value > this.#peakInFlight) this.#peakInFlight = value;
  }

  constructor(labels: MetricsLabels) {
    this.labels = labels;
  }

  recordItem(queueMs: number, computeMs: number, totalMs: number): void {
    this.#completed++;
    this.#queue.record(queueMs);
    this.#compute.record(computeMs);
    this.#total.record(totalMs);
    this.#rate.add(performance.now(), 1);
    for (const listener of this.#listeners) listener.item(queueMs, computeMs, totalMs);
  }

  recordBatch(size: number): void {
    this.#batchSize.record(size);
    for (const listener of this.#listeners) listener.batch(size);
  }

  recordError(code: string): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
    for (const listener of this.#listeners) listener.error(code);
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: MetricsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  snapshot(): MetricsSnapshot {
    return {
      ...this.labels,
      completed: this.#completed,
      errors: Object.fromEntries(this.#errors),
      queueMs: this.#queue.snapshot(),
      computeMs: this.#compute.snapshot(),
      totalMs: this.#total.snapshot(),
      batchSize: this.#batchSize.snapshot(),
      throughput: this.#rate.perSecond(performance.now()),
      queued: this.queued,
      inFlight: this.#inFlight,
      peakInFlight: this.#peakInFlight,
    };
  }
}

/** The error code of anything a run rejected with. */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_UNKNOWN';
}
