/**
 * Per-layer sensitivity: how far the model's outputs move when one layer alone is quantized (or
 * pruned: any per-layer rewrite). The few layers that move them most can be left as they were for a
 * small cost in size and speed.
 */
import { abortError } from '../../errors.js';
import { InferenceSession } from '../../session.js';
import type { Tensor } from '../../tensor.js';
import { looksLikeClassScores } from '../report.js';

export interface SensitivityEntry {
  node: string;
  /**
   * How far the outputs move with only this layer rewritten, mean over samples and outputs: 1 - cosine
   * similarity, plus, for outputs that look like class scores, the share of rows whose arg-max changes
   * (a decoder reads those, so a flip matters more than the cosine says).
   */
  error: number;
}

/** Share of rows (all axes but the last) whose arg-max differs. */
function argmaxFlips(a: Float32Array, b: Float32Array, classes: number): number {
  const rows = a.length / classes;
  let flips = 0;
  for (let row = 0; row < rows; row++) {
    let bestA = 0;
    let bestB = 0;
    for (let c = 1; c < classes; c++) {
      if (a[row * classes + c] > a[row * classes + bestA]) bestA = c;
      if (b[row * classes + c] > b[row * classes + bestB]) bestB = c;
    }
    if (bestA !== bestB) flips++;
  }
  return rows === 0 ? 0 : flips / rows;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb || 1);
}

/** Every output of `model` on each sample (CPU backend). */
export async function outputsOf(model: Uint8Array, samples: readonly Record<string, Tensor>[]): Promise<Record<string, Tensor>[]> {
  const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' });
  try {
    const results: Record<string, Tensor>[] = [];
    for (const feeds of samples) results.push(await session.run(feeds));
    return results;
  } finally {
    await session.dispose();
  }
}

/** How far `candidate`'s outputs are from `reference`'s: mean 1 - cosine, plus arg-max flips for class scores. */
export function outputError(reference: Record<string, Tensor>[], candidate: Record<string, Tensor>[]): number {
  let total = 0;
  let count = 0;
  reference.forEach((outputs, i) => {
    for (const [name, tensor] of Object.entries(outputs)) {
      if (tensor.dtype !== 'float32') continue;
      const a = tensor.data as Float32Array;
      const b = candidate[i][name].data as Float32Array;
      total += 1 - cosine(a, b);
      if (looksLikeClassScores(tensor)) total += argmaxFlips(a, b, tensor.dims[tensor.dims.length - 1]);
      count++;
    }
  });
  return count === 0 ? 0 : total / count;
}

/** Ranks `nodes` by sensitivity, most sensitive first. `transformOnly` builds the model with just those nodes rewritten. */
export async function rankSensitivity(
  floatModel: Uint8Array,
  nodes: readonly string[],
  samples: readonly Record<string, Tensor>[],
  transformOnly: (nodes: ReadonlySet<string>) => Uint8Array,
  signal?: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<SensitivityEntry[]> {
  if (samples.length === 0 || nodes.length === 0) return [];
  const reference = await outputsOf(floatModel, samples);
  const entries: SensitivityEntry[] = [];
  onProgress?.(0, nodes.length);
  for (const node of nodes) {
    if (signal?.aborted) throw abortError(signal);
    entries.push({ node, error: outputError(reference, await outputsOf(transformOnly(new Set([node])), samples)) });
    onProgress?.(entries.length, nodes.length);
  }
  return entries.sort((a, b) => b.error - a.error);
}
