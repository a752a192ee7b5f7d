/**
 * Realistic PP-OCR inputs without Python: text rendered with sharp (SVG -> raster) and preprocessed the
 * way PaddleOCR does. A seed picks everything, so calibration and evaluation sets are disjoint by seed.
 */
import sharp from 'sharp';
import { Tensor } from '../lib/tensor.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'invoice total amount date receipt order number customer address phone email payment cash card change ' +
  'station street avenue road city county postal code tax subtotal discount price quantity item description ' +
  'welcome thank you please visit again open hours monday friday saturday sunday store manager cashier ' +
  'coffee tea milk bread butter cheese apple banana orange water juice sugar salt pepper rice noodles soup ' +
  'ticket gate platform departure arrival train bus flight seat class economy business passenger name ' +
  'REPORT SUMMARY NOTICE WARNING EXIT ENTRANCE PARKING HOTEL BANK PHARMACY MARKET CENTER OFFICE'
).split(' ');
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'DejaVu Sans Condensed'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function phrase(random: () => number, maxWords: number): string {
  const parts: string[] = [];
  const count = 1 + Math.floor(random() * maxWords);
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r < 0.2) parts.push(String(Math.floor(random() * 100000)));
    else if (r < 0.3) parts.push(`${Math.floor(random() * 1000)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`);
    else {
      const word = pick(random, WORDS);
      parts.push(random() < 0.2 ? word[0].toUpperCase() + word.slice(1) : word);
    }
  }
  return parts.join(' ');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function grey(random: () => number, lo: number, hi: number): string {
  const base = lo + random() * (hi - lo);
  const tint = () => Math.max(0, Math.min(255, Math.round(base + (random() - 0.5) * 30)));
  return `rgb(${tint()},${tint()},${tint()})`;
}

async function rasterize(svg: string, width: number, height: number): Promise<Uint8Array> {
  const { data } = await sharp(Buffer.from(svg)).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A page of several text lines (the detector's input), `size` x `size` RGB. */
export async function renderPage(seed: number, size = 640): Promise<Uint8Array> {
  const random = mulberry32(seed * 7919 + 1);
  const lines: string[] = [];
  const count = 3 + Math.floor(random() * 8);
  for (let i = 0; i < count; i++) {
    const fontSize = 14 + Math.floor(random() * 34);
    const x = Math.floor(random() * size * 0.4);
    const y = Math.floor(((i + 1) / (count + 1)) * size + (random() - 0.5) * 20);
    const angle = (random() - 0.5) * 8;
    lines.push(`<text x="${x}" y="${y}" font-family="${pick(random, FONTS)}" font-size="${fontSize}" fill="${grey(random, 0, 90)}" transform="rotate(${angle.toFixed(2)} ${x} ${y})"${random() < 0.3 ? ' font-weight="bold"' : ''}>${escapeXml(phrase(random, 6))}</text>`);
  }
  const shapes: string[] = [];
  for (let i = 0; i < Math.floor(random() * 4); i++) {
    shapes.push(`<rect x="${Math.floor(random() * size)}" y="${Math.floor(random() * size)}" width="${Math.floor(random() * size * 0.4)}" height="${Math.floor(random() * size * 0.2)}" fill="${grey(random, 150, 240)}" opacity="0.6"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${grey(random, 190, 255)}"/>${shapes.join('')}${lines.join('')}</svg>`;
  return rasterize(svg, size, size);
}

/** One text line cropped tight (the recognizer's and classifier's input), optionally upside down. */
export async function renderLine(seed: number, width: number, height: number, upsideDown = false): Promise<{ pixels: Uint8Array; text: string }> {
  const random = mulberry32(seed * 104729 + 3);
  const text = phrase(random, 4);
  const fontSize = 32;
  const background = grey(random, 170, 255);
  const canvas = Math.ceil(text.length * fontSize) + 32;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas}" height="64"><rect width="100%" height="100%" fill="${background}"/>` +
    `<text x="16" y="44" font-family="${pick(random, FONTS)}" font-size="${fontSize}" fill="${grey(random, 0, 80)}"${random() < 0.3 ? ' font-weight="bold"' : ''}>${escapeXml(text)}</text></svg>`;
  // Crop to the ink plus a margin, as a detector's (unclipped) box would, then PaddleOCR's resize:
  // height `height` keeping the aspect ratio, width capped at `width`, right side padded.
  const margin = 4 + Math.floor(random() * 6);
  const [r, g, b] = background.slice(4, -1).split(',').map(Number);
  const cropped = await sharp(Buffer.from(svg)).trim({ threshold: 30 }).extend({ top: margin, bottom: margin, left: margin, right: margin, background: { r, g, b } }).png().toBuffer();
  const meta = await sharp(cropped).metadata();
  const scaledWidth = Math.min(width, Math.max(1, Math.round((height * (meta.width ?? 1)) / (meta.height ?? 1))));
  let pipeline = sharp(cropped).resize(scaledWidth, height, { fit: 'fill' });
  if (upsideDown) pipeline = pipeline.rotate(180);
  const { data } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const line = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const pixels = new Uint8Array(width * height * 3);
  // Padding that normalises to ~0, as PaddleOCR's zero padding after normalisation.
  pixels.fill(128);
  for (let y = 0; y < height; y++) pixels.set(line.subarray(y * scaledWidth * 3, (y + 1) * scaledWidth * 3), y * width * 3);
  return { pixels, text };
}

/** HWC RGB bytes -> NCHW float32 with per-channel (x/255 - mean) / std. */
export function toNchw(pixels: Uint8Array, width: number, height: number, mean: readonly number[], std: readonly number[]): Tensor<'float32'> {
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) data[c * plane + i] = (pixels[i * 3 + c] / 255 - mean[c]) / std[c];
  return new Tensor('float32', data, [1, 3, height, width]);
}

export const DET_MEAN = [0.485, 0.456, 0.406];
export const DET_STD = [0.229, 0.224, 0.225];
const HALF = [0.5, 0.5, 0.5];

export async function detInput(seed: number, size = 640): Promise<Tensor<'float32'>> {
  return toNchw(await renderPage(seed, size), size, size, DET_MEAN, DET_STD);
}

export async function recInput(seed: number, width = 320): Promise<Tensor<'float32'>> {
  return toNchw((await renderLine(seed, width, 48)).pixels, width, 48, HALF, HALF);
}

/** Classifier input; odd seeds are upside down so both classes occur. */
export async function clsInput(seed: number): Promise<Tensor<'float32'>> {
  return toNchw((await renderLine(seed, 192, 48, seed % 2 === 1)).pixels, 192, 48, HALF, HALF);
}

export type OcrModelKind = 'det' | 'rec' | 'cls';

/** `count` feeds for a model, seeds start, start+1, ... */
export async function* ocrFeeds(kind: OcrModelKind, start: number, count: number, detSize = 640): AsyncGenerator<Record<string, Tensor>> {
  for (let seed = start; seed < start + count; seed++) {
    yield { x: kind === 'det' ? await detInput(seed, detSize) : kind === 'rec' ? await recInput(seed) : await clsInput(seed) };
  }
}
