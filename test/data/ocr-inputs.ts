/**
 * Realistic inputs for the PP-OCR models, made without Python: text rendered to images with sharp
 * (SVG text through librsvg), then PaddleOCR's own preprocessing (resize, mean/std normalisation,
 * BGR channel order, NCHW float32).
 *
 * Calibration and evaluation sets never overlap: each split draws its texts and layouts from its own
 * seed range, so quantization can calibrate on one and be judged on the other.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeNpy as serializeNpy } from '../../lib/npy.js';
import { Tensor } from '../../lib/tensor.js';
import { seededRandom } from '../fixtures/random.js';

export type OcrModelKind = 'det' | 'rec' | 'cls';
export type OcrSplit = 'calibration' | 'evaluation';
export type OcrFeeds = Record<'x', Tensor<'float32'>>;

/** First seed of each split; samples use seed + index, and splits are 1e6 apart. */
export const SPLIT_SEEDS: Readonly<Record<OcrSplit, number>> = { calibration: 1_000_000, evaluation: 2_000_000 };

const WORDS = [
  'invoice',
  'total',
  'amount',
  'date',
  'paid',
  'receipt',
  'order',
  'number',
  'customer',
  'address',
  'street',
  'phone',
  'price',
  'quantity',
  'tax',
  'discount',
  'balance',
  'account',
  'bank',
  'transfer',
  'reference',
  'shipping',
  'delivery',
  'OCR',
  'TensorRT',
  'Node.js',
  'model',
  'engine',
  'quick',
  'brown',
  'fox',
  'jumps',
  'over',
  'lazy',
  'dog',
  'hello',
  'world',
];
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'DejaVu Sans Condensed'];

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)];
}

/** A short line of text: words, numbers, amounts and dates. */
export function sampleText(seed: number): string {
  const next = seededRandom(seed * 7919 + 17);
  const parts: string[] = [];
  const count = 1 + Math.floor(next() * 5);
  for (let i = 0; i < count; i++) {
    const kind = next();
    if (kind < 0.6) {
      const word = pick(WORDS, next);
      parts.push(next() < 0.3 ? word.toUpperCase() : next() < 0.5 ? word[0].toUpperCase() + word.slice(1) : word);
    } else if (kind < 0.8) parts.push(`${Math.floor(next() * 10000)}.${String(Math.floor(next() * 100)).padStart(2, '0')}`);
    else
      parts.push(
        `${2000 + Math.floor(next() * 30)}-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`,
      );
  }
  return parts.join(next() < 0.2 ? ': ' : ' ');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function grey(next: () => number, low: number, high: number): string {
  const level = Math.round(low + next() * (high - low));
  return `rgb(${level},${level},${Math.min(255, level + Math.round(next() * 20))})`;
}

export interface Rgb {
  data: Buffer;
  width: number;
  height: number;
}

async function rasterize(svg: string, rotate180 = false): Promise<Rgb> {
  let image = sharp(Buffer.from(svg));
  if (rotate180) image = image.rotate(180);
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** One text line, tightly framed, as PP-OCR's recognizer and classifier see crops. */
export async function renderTextLine(seed: number, options: { rotate180?: boolean } = {}): Promise<Rgb> {
  const next = seededRandom(seed);
  const text = sampleText(seed);
  const fontSize = 24 + Math.floor(next() * 24);
  const width = Math.ceil(text.length * fontSize * 0.62) + 16;
  const height = Math.ceil(fontSize * 1.4);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="${grey(next, 215, 255)}"/>
  <text x="8" y="${Math.round(fontSize * 1.05)}" font-family="${pick(FONTS, next)}" font-size="${fontSize}" fill="${grey(next, 0, 70)}">${escapeXml(text)}</text>
</svg>`;
  return rasterize(svg, options.rotate180);
}

/** A page with several lines of text at different sizes and places, as the detector sees photos of documents. */
export async function renderPage(seed: number, width: number, height: number): Promise<Rgb> {
  const next = seededRandom(seed);
  const lines: string[] = [];
  let y = 10;
  while (y < height - 20) {
    const fontSize = 14 + Math.floor(next() * 30);
    y += Math.round(fontSize * (1.2 + next() * 1.2));
    if (y > height - 8) break;
    const x = Math.floor(next() * width * 0.4);
    const text = sampleText(seed * 31 + lines.length);
    lines.push(
      `<text x="${x}" y="${y}" font-family="${pick(FONTS, next)}" font-size="${fontSize}" fill="${grey(next, 0, 90)}">${escapeXml(text)}</text>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="${grey(next, 200, 255)}"/>
  ${lines.join('\n  ')}
</svg>`;
  return rasterize(svg);
}

/**
 * NCHW float32 in BGR order (PaddleOCR reads images with OpenCV), each channel (v / 255 - mean) / std,
 * written into a [3, height, padWidth] tensor whose columns beyond the image stay 0.
 */
export function normalize(rgb: Rgb, mean: readonly number[], std: readonly number[], padWidth = rgb.width): Float32Array {
  const { data, width, height } = rgb;
  const out = new Float32Array(3 * height * padWidth);
  const plane = height * padWidth;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const source = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const value = data[source + 2 - c]; // RGB -> BGR
        out[c * plane + y * padWidth + x] = (value / 255 - mean[c]) / std[c];
      }
    }
  }
  return out;
}

export async function resize(rgb: Rgb, width: number, height: number): Promise<Rgb> {
  const { data, info } = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Detector input: a page of `width` x `height` (multiples of 32), ImageNet mean/std. */
export async function detInput(seed: number, width = 640, height = 640): Promise<OcrFeeds> {
  const page = await renderPage(seed, width, height);
  const data = normalize(page, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
  return { x: new Tensor('float32', data, [1, 3, height, width]) };
}

/**
 * Recognizer input: the line resized to height 48 keeping its aspect ratio, right-padded to
 * `width`. 'auto' (default) is PaddleOCR's rule: 48 * max(320 / 48, line width / height).
 */
export async function recInput(seed: number, width: number | 'auto' = 'auto'): Promise<OcrFeeds> {
  const line = await renderTextLine(seed);
  if (width === 'auto') width = Math.floor(48 * Math.max(320 / 48, line.width / line.height));
  const scaledWidth = Math.max(1, Math.min(width, Math.ceil((48 * line.width) / line.height)));
  const resized = await resize(line, scaledWidth, 48);
  return { x: new Tensor('float32', normalize(resized, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], width), [1, 3, 48, width]) };
}

/** Classifier input: a line at 48 x 192, upside down for odd seeds (what the classifier detects). */
export async function clsInput(seed: number): Promise<OcrFeeds> {
  const line = await renderTextLine(seed, { rotate180: seed % 2 === 1 });
  const scaledWidth = Math.max(1, Math.min(192, Math.ceil((48 * line.width) / line.height)));
  const resized = await resize(line, scaledWidth, 48);
  return { x: new Tensor('float32', normalize(resized, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 192), [1, 3, 48, 192]) };
}

export interface OcrFeedOptions {
  split: OcrSplit;
  count: number;
  /** Offset inside the split, to draw further samples without repeating earlier ones. */
  offset?: number;
  /** Detector page size (default 640 x 640). */
  detSize?: { width: number; height: number };
}

/** `count` feeds for one of the PP-OCR models from the given split. */
export async function ocrFeeds(kind: OcrModelKind, options: OcrFeedOptions): Promise<OcrFeeds[]> {
  const feeds: OcrFeeds[] = [];
  const first = SPLIT_SEEDS[options.split] + (options.offset ?? 0);
  for (let i = 0; i < options.count; i++) {
    const seed = first + i;
    if (kind === 'det') feeds.push(await detInput(seed, options.detSize?.width, options.detSize?.height));
    else if (kind === 'rec') feeds.push(await recInput(seed));
    else feeds.push(await clsInput(seed));
  }
  return feeds;
}

/**
 * Writes feeds as a directory the CLI reads (`--eval`, `--calibration`): one `<index>.npy` per
 * sample, PP-OCR models having the single input `x`.
 */
export async function writeOcrNpyDirectory(kind: OcrModelKind, options: OcrFeedOptions, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [index, feed] of (await ocrFeeds(kind, options)).entries()) {
    const path = join(dir, `${String(index).padStart(4, '0')}.npy`);
    await writeFile(path, serializeNpy(feed.x));
    paths.push(path);
  }
  return paths;
}
