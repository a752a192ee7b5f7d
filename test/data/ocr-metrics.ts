/** Task-level comparisons of PP-OCR outputs: decoded strings for the recognizer, binarized-map IoU for the detector. */
import { readFileSync } from 'node:fs';
import type { Tensor } from '../../lib/tensor.js';
import { realModels } from '../fixtures/real-models.js';

let characters: string[] | undefined;

/** PP-OCR's recognizer classes: 0 is the CTC blank, then the dictionary, then a space. */
function recCharacters(): string[] {
  characters ??= [
    '',
    ...readFileSync(realModels.ocrKeys, 'utf8')
      .split(/\r?\n/)
      .filter((line, i, all) => i < all.length - 1 || line !== ''),
    ' ',
  ];
  return characters;
}

/** Greedy CTC decoding of a [1, T, classes] probability tensor. */
export function ctcDecode(output: Tensor): string {
  const [, steps, classes] = output.dims;
  const data = output.data as Float32Array;
  const chars = recCharacters();
  let text = '';
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[t * classes + c] > data[t * classes + best]) best = c;
    if (best !== 0 && best !== previous) text += chars[best] ?? '?';
    previous = best;
  }
  return text;
}

/** IoU of the two probability maps binarized at `threshold` (1 when both are empty). */
export function binaryMapIoU(a: Tensor, b: Tensor, threshold = 0.3): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < x.length; i++) {
    const p = x[i] > threshold;
    const q = y[i] > threshold;
    if (p && q) intersection++;
    if (p || q) union++;
  }
  return union === 0 ? 1 : intersection / union;
}
