/**
 * Task-level quality of PP-OCR outputs, optimized model against the float one: the detector's
 * binarized-map IoU, the recognizer's CTC-decoded strings, the classifier's top-1.
 */
import { readFileSync } from 'node:fs';

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 && nb === 0) return 1;
  return dot / Math.sqrt(na * nb);
}

/** IoU of the maps binarized at `threshold` (1 when both are empty). */
export function binarizedIou(a: ArrayLike<number>, b: ArrayLike<number>, threshold = 0.3): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > threshold;
    const y = b[i] > threshold;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** PaddleOCR's character list: index 0 is the CTC blank, then the dictionary, then a space. */
export function loadCtcCharacters(keysPath: string): string[] {
  const keys = readFileSync(keysPath, 'utf8').split('\n').map((line) => line.replace(/\r$/, ''));
  while (keys.length > 0 && keys[keys.length - 1] === '') keys.pop();
  return ['', ...keys, ' '];
}

/** Greedy CTC decode of one [T, C] probability matrix (row-major). */
export function ctcGreedyDecode(probs: ArrayLike<number>, steps: number, classes: number, characters: readonly string[]): string {
  let text = '';
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = probs[t * classes + c];
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) text += characters[best] ?? '';
    previous = best;
  }
  return text;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
