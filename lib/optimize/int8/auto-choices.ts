/**
 * The INT8 choices made from data when the caller leaves them open: the calibration method, and
 * how many of the most sensitive layers stay in float. Each candidate model runs on calibration
 * samples held back from the histograms, and its outputs are compared with the float model's (the
 * sensitivity analysis's measure: 1 - cosine, plus arg-max flips for class scores).
 */
import { abortError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { outputError, outputsOf } from './sensitivity.js';

export interface Trial<T> {
  choice: T;
  /** Output error on the held-back samples (lower is better). */
  error: number;
}

type Samples = readonly Record<string, Tensor>[];
type Outputs = Record<string, Tensor>[];

/** Tries each candidate; returns the one with the lowest error (the first on ties) and all trials. */
export async function chooseByError<T>(
  candidates: readonly T[],
  build: (candidate: T) => Uint8Array,
  reference: Outputs,
  samples: Samples,
  signal?: AbortSignal,
  onTrial?: (done: number) => void,
): Promise<{ chosen: T; trials: Trial<T>[] }> {
  const trials: Trial<T>[] = [];
  for (const choice of candidates) {
    if (signal?.aborted) throw abortError(signal);
    trials.push({ choice, error: outputError(reference, await outputsOf(build(choice), samples)) });
    onTrial?.(trials.length);
  }
  const best = trials.reduce((a, b) => (b.error < a.error ? b : a));
  return { chosen: best.choice, trials };
}

/** Layer counts tried for the float set: dense at first, sparser later. */
export const FLOAT_LAYER_STEPS: readonly number[] = [0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 64];

/**
 * The number of most sensitive layers to keep in float: tries every step of FLOAT_LAYER_STEPS while
 * the float set still grows within the weight budget (`setFor(count)` returns the set, which stops
 * growing at the budget). No early stop: the error is not monotonic in the count (PP-OCRv4 rec on 8
 * held-back samples: 0: 5.2e-2, 1: 3.3e-2, 2: 5.7e-2, 3: 7.7e-2, ... 16: 3.0e-2, 28: 2.8e-2), so
 * stopping at the first plateau kept 1 layer where 28 do better on held-out data. Returns the count
 * with the lowest error (the smaller on ties).
 */
export async function chooseFloatLayerCount(
  setFor: (count: number) => ReadonlySet<string>,
  build: (floatLayers: ReadonlySet<string>) => Uint8Array,
  reference: Outputs,
  samples: Samples,
  signal?: AbortSignal,
  onTrial?: (done: number) => void,
): Promise<{ chosen: number; trials: Trial<number>[] }> {
  const trials: Trial<number>[] = [];
  let best: Trial<number> | undefined;
  let previousSize = -1;
  for (const count of FLOAT_LAYER_STEPS) {
    const layers = setFor(count);
    if (layers.size === previousSize) break; // the budget (or the ranking) allows no more
    previousSize = layers.size;
    if (signal?.aborted) throw abortError(signal);
    const trial = { choice: layers.size, error: outputError(reference, await outputsOf(build(layers), samples)) };
    trials.push(trial);
    onTrial?.(trials.length);
    if (!best || trial.error < best.error) best = trial;
  }
  return { chosen: best?.choice ?? 0, trials };
}
