/**
 * Task accuracy against ground truth, for quality reports: top-1 for classifiers (a label is a class
 * index) and greedy CTC decoding for text recognizers (a label is the text; class 0 is the CTC blank,
 * then one class per line of a keys file, as PaddleOCR's recognizers have them). Text is compared
 * without whitespace, like PaddleOCR's own recognition metric: a recognizer's blank margins often
 * decode to a leading or trailing space that is no reading error.
 */
import { readFile } from 'node:fs/promises';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type Label = string | number;

export interface TaskOptions {
  /** One label per feed, in feed order: class indices (top-1) or texts (CTC; needs `keys`). */
  labels: readonly Label[];
  /** The output to judge (default: the model's first output). */
  output?: string;
  /** Text recognizers: the characters of classes 1..n (class 0 is the CTC blank). */
  keys?: readonly string[];
}

export interface TaskAccuracy {
  kind: 'top-1' | 'text';
  output: string;
  samples: number;
  /** Share of samples each model gets right. */
  original: number;
  optimized: number;
  /** Share of samples where both models give the same answer, right or wrong. */
  agreement: number;
}

/** The characters of a keys file: one per line (a trailing empty line is no character). */
export async function readCtcKeys(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a readable keys file (one character per line) but cannot read ${path}`,
      { cause, details: String(cause) },
    );
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0)
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected one character per line in the keys file ${path} but it is empty`);
  return lines;
}

/**
 * A labels.json: an object of sample name -> class index (integer) or text. Returns the labels of
 * `samples` in their order; a sample without a label is an error.
 */
export async function readLabelsFile(path: string, samples: readonly string[]): Promise<Label[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a readable JSON object of sample -> label in ${path} but cannot read it`,
      { cause, details: String(cause) },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidArgument('a JSON object of sample -> label', path, parsed);
  const labels = parsed as Record<string, unknown>;
  return samples.map((sample) => {
    const label = labels[sample];
    if (!(typeof label === 'string' || (typeof label === 'number' && Number.isInteger(label) && label >= 0))) {
      throw invalidArgument('a class index (integer >= 0) or a text', `the label of sample "${sample}" in ${path}`, label);
    }
    return label;
  });
}

function argMax(data: ArrayLike<number>, start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (data[start + i] > data[start + best]) best = i;
  return best;
}

/**
 * Greedy CTC decoding of a [1, T, C] or [T, C] output: arg-max per step, repeats merged, blanks
 * (class 0) dropped. `keys` holds classes 1..; with one class more than keys + blank, the last
 * class is a space (PaddleOCR's use_space_char).
 */
export function ctcGreedyDecode(output: Tensor, keys: readonly string[]): string {
  const dims = output.dims;
  const classes = dims[dims.length - 1];
  const steps = dims.length >= 2 ? dims[dims.length - 2] : 0;
  if (dims.length < 2 || dims.slice(0, -2).some((dim) => dim !== 1))
    throw invalidArgument('a [1, steps, classes] or [steps, classes] output for CTC decoding', 'output', `[${dims.join(', ')}]`);
  if (classes !== keys.length + 1 && classes !== keys.length + 2) {
    throw invalidArgument(
      `${keys.length + 1} or ${keys.length + 2} classes (the keys file's ${keys.length} characters, the blank and maybe a space)`,
      'the CTC output',
      classes,
    );
  }
  const characters = ['', ...keys, ' '];
  const data = output.data as Float32Array;
  let text = '';
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const best = argMax(data, t * classes, classes);
    if (best !== 0 && best !== previous) text += characters[best];
    previous = best;
  }
  return text;
}

/** A classifier's answer: the arg-max of a single row of class scores. */
export function topOneClass(output: Tensor): number {
  const classes = output.dims[output.dims.length - 1];
  if (output.data.length !== classes)
    throw invalidArgument(
      'one row of class scores ([1, classes] or [classes]) for top-1 accuracy',
      'output',
      `[${output.dims.join(', ')}]`,
    );
  return argMax(output.data as Float32Array, 0, classes);
}

function sameText(a: string, b: string): boolean {
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}

/** Checks the options against the feed count; returns the kind of task. */
export function checkTaskOptions(task: TaskOptions, samples: number): 'top-1' | 'text' {
  if (!Array.isArray(task.labels) || task.labels.length !== samples)
    throw invalidArgument(
      `one label per sample (${samples})`,
      'task.labels',
      Array.isArray(task.labels) ? `${task.labels.length} labels` : task.labels,
    );
  const text = task.labels.every((label) => typeof label === 'string');
  const classes = task.labels.every((label) => typeof label === 'number' && Number.isInteger(label) && label >= 0);
  if (!text && !classes) throw invalidArgument('labels that are all class indices or all texts', 'task.labels', task.labels.slice(0, 4));
  if (text && !task.keys) throw invalidArgument('keys (the CTC characters) with text labels', 'task.keys', task.keys);
  return text ? 'text' : 'top-1';
}

/** Accumulates both models' answers sample by sample. */
export class TaskAccumulator {
  private right = [0, 0];
  private agreeing = 0;
  private count = 0;

  constructor(
    readonly kind: 'top-1' | 'text',
    readonly output: string,
    private readonly task: TaskOptions,
  ) {}

  private answer(output: Tensor): Label {
    return this.kind === 'text' ? ctcGreedyDecode(output, this.task.keys as string[]) : topOneClass(output);
  }

  add(index: number, original: Tensor, optimized: Tensor): void {
    const label = this.task.labels[index];
    const answers = [this.answer(original), this.answer(optimized)];
    const same = (a: Label, b: Label) => (this.kind === 'text' ? sameText(a as string, b as string) : a === b);
    answers.forEach((answer, which) => {
      if (same(answer, label)) this.right[which]++;
    });
    if (same(answers[0], answers[1])) this.agreeing++;
    this.count++;
  }

  result(): TaskAccuracy {
    const n = Math.max(1, this.count);
    return {
      kind: this.kind,
      output: this.output,
      samples: this.count,
      original: this.right[0] / n,
      optimized: this.right[1] / n,
      agreement: this.agreeing / n,
    };
  }
}
