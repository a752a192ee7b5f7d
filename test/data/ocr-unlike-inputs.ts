/**
 * Held-out PP-OCR inputs made unlike the calibration data of test/data/ocr-inputs.ts: other words
 * and symbols, other faces (light, condensed, bold, italic, the TeX Gyre face), sizes from tiny to
 * large, coloured and inverted colours, a slight tilt, blur, pixel noise and JPEG artefacts. Each
 * sample comes with its ground truth (the rendered text; for the classifier whether it is upside
 * down), so quality can be judged by task accuracy and not only by agreement with FP32.
 */
import sharp from 'sharp';
import { Tensor } from '../../lib/tensor.js';
import { seededRandom } from '../fixtures/random.js';
import { type OcrFeeds, type OcrModelKind, type Rgb, normalize, resize } from './ocr-inputs.js';

/** Seeds of this set; far from the calibration and evaluation splits. */
export const UNLIKE_SEED = 7_000_000;

const WORDS = [
  'Rechnung',
  'voucher',
  'Summe',
  'netto',
  'brutto',
  'ZIP',
  'Ref',
  'No.',
  'item',
  'qty',
  'unit',
  'VAT',
  'cash',
  'card',
  'change',
  'Kasse',
  'Filiale',
  'store',
  'open',
  'closed',
  'Mon-Fri',
  'tel',
  'fax',
  'www',
  'info',
  'email',
  'Hbf',
  'platform',
  'gate',
  'seat',
  'row',
  'ticket',
  'valid',
  'until',
  'batch',
  'lot',
  'exp',
  'net',
  'wt',
  'kg',
  'EUR',
  'USD',
  'GBP',
];
const FACES: readonly { family: string; weight?: string; style?: string }[] = [
  { family: 'DejaVu Sans Light' },
  { family: 'DejaVu Serif Condensed' },
  { family: 'DejaVu Math TeX Gyre' },
  { family: 'DejaVu Sans', weight: 'bold' },
  { family: 'DejaVu Serif', style: 'italic' },
  { family: 'DejaVu Sans Mono', weight: 'bold' },
];

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)];
}

/** A line unlike ocr-inputs' texts: other words, codes, times, percentages, prices with currency. */
export function unlikeText(seed: number): string {
  const next = seededRandom(seed * 104_729 + 3);
  const parts: string[] = [];
  const count = 1 + Math.floor(next() * 4);
  for (let i = 0; i < count; i++) {
    const kind = next();
    if (kind < 0.5) parts.push(pick(WORDS, next));
    else if (kind < 0.62)
      parts.push(`${String(Math.floor(next() * 24)).padStart(2, '0')}:${String(Math.floor(next() * 60)).padStart(2, '0')}`);
    else if (kind < 0.74) parts.push(`${Math.floor(next() * 100)}%`);
    else if (kind < 0.86) parts.push(`#${String.fromCharCode(65 + Math.floor(next() * 26))}-${Math.floor(1000 + next() * 9000)}`);
    else parts.push(`${pick(['$', 'EUR ', ''], next)}${Math.floor(next() * 1000)},${String(Math.floor(next() * 100)).padStart(2, '0')}`);
  }
  return parts.join(pick([' ', ' / ', ', ', ' - '], next));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Background and ink: pale tints with dark ink, or (one in four) light ink on a dark ground. */
function colours(next: () => number): { ground: string; ink: string } {
  const channel = (low: number, high: number) => Math.round(low + next() * (high - low));
  const pale = () => `rgb(${channel(185, 255)},${channel(185, 255)},${channel(160, 255)})`;
  const dark = () => `rgb(${channel(0, 90)},${channel(0, 70)},${channel(0, 110)})`;
  return next() < 0.25 ? { ground: dark(), ink: pale() } : { ground: pale(), ink: dark() };
}

function textElement(text: string, x: number, y: number, size: number, ink: string, next: () => number): string {
  const face = pick(FACES, next);
  const spacing = next() < 0.3 ? ` letter-spacing="${(next() * 0.15 * size).toFixed(1)}"` : '';
  return `<text x="${x}" y="${y}" font-family="${face.family}"${face.weight ? ` font-weight="${face.weight}"` : ''}${face.style ? ` font-style="${face.style}"` : ''} font-size="${size}" fill="${ink}"${spacing}>${escapeXml(text)}</text>`;
}

/** Tilt, blur, noise and JPEG artefacts, each drawn per sample. */
async function degrade(svg: string, next: () => number, options: { rotate180?: boolean; ground: string }): Promise<Rgb> {
  let image = sharp(Buffer.from(svg)).flatten({ background: options.ground });
  const tilt = (next() - 0.5) * 5;
  if (Math.abs(tilt) > 0.5) image = sharp(await image.rotate(tilt, { background: options.ground }).png().toBuffer());
  if (options.rotate180) image = sharp(await image.rotate(180).png().toBuffer());
  if (next() < 0.5) image = image.blur(0.4 + next() * 0.8);
  if (next() < 0.5) image = sharp(await image.jpeg({ quality: 20 + Math.floor(next() * 40) }).toBuffer());
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const amplitude = next() * 24;
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(data[i] + (next() - 0.5) * 2 * amplitude)));
  return { data, width: info.width, height: info.height };
}

/** One line with its text; `rotate180` turns it upside down (the classifier's positive class). */
export async function renderUnlikeLine(seed: number, options: { rotate180?: boolean } = {}): Promise<{ image: Rgb; text: string }> {
  const next = seededRandom(seed);
  const text = unlikeText(seed);
  const size = 14 + Math.floor(next() * 50);
  const width = Math.ceil(text.length * size * 0.72) + 12;
  const height = Math.ceil(size * (1.3 + next() * 0.4));
  const { ground, ink } = colours(next);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="${ground}"/>
  ${textElement(text, 6, Math.round(height * 0.74), size, ink, next)}
</svg>`;
  return { image: await degrade(svg, next, { ...options, ground }), text };
}

/** A page: text in two columns, some right-aligned, with rules and boxes that are not text. */
export async function renderUnlikePage(seed: number, width: number, height: number): Promise<Rgb> {
  const next = seededRandom(seed);
  const { ground, ink } = colours(next);
  const elements: string[] = [];
  for (let column = 0; column < 2; column++) {
    let y = 6;
    for (let line = 0; ; line++) {
      const size = 10 + Math.floor(next() * 28);
      y += Math.round(size * (1.1 + next() * 1.5));
      if (y > height - 6) break;
      const x = Math.floor(column * width * 0.5 + next() * width * 0.15);
      if (next() < 0.15)
        elements.push(
          `<rect x="${x}" y="${y - size}" width="${Math.floor(next() * width * 0.3)}" height="${Math.ceil(size * 0.2)}" fill="${ink}"/>`,
        );
      else elements.push(textElement(unlikeText(seed * 37 + column * 100 + line), x, y, size, ink, next));
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="${ground}"/>
  ${elements.join('\n  ')}
</svg>`;
  const page = await degrade(svg, next, { ground });
  // A tilted page comes back larger; the detector wants the requested size.
  return page.width === width && page.height === height ? page : resize(page, width, height);
}

export interface UnlikeSamples {
  feeds: OcrFeeds[];
  /** rec: the rendered text; cls: 1 when upside down, else 0; det: none. */
  labels: (string | number)[];
}

/**
 * `count` samples for one PP-OCR model, preprocessed as in ocr-inputs.ts (rec: height 48, width by
 * PaddleOCR's rule; cls: 48 x 192, odd seeds upside down; det: `detSize`, default 640 x 640).
 */
export async function unlikeOcrSamples(
  kind: OcrModelKind,
  options: { count: number; offset?: number; detSize?: { width: number; height: number } },
): Promise<UnlikeSamples> {
  const feeds: OcrFeeds[] = [];
  const labels: (string | number)[] = [];
  for (let i = 0; i < options.count; i++) {
    const seed = UNLIKE_SEED + (options.offset ?? 0) + i;
    if (kind === 'det') {
      const { width, height } = options.detSize ?? { width: 640, height: 640 };
      feeds.push({
        x: new Tensor('float32', normalize(await renderUnlikePage(seed, width, height), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), [
          1,
          3,
          height,
          width,
        ]),
      });
      continue;
    }
    const upsideDown = kind === 'cls' && seed % 2 === 1;
    const { image, text } = await renderUnlikeLine(seed, { rotate180: upsideDown });
    const maxWidth = kind === 'cls' ? 192 : Math.floor(48 * Math.max(320 / 48, image.width / image.height));
    const scaled = await resize(image, Math.max(1, Math.min(maxWidth, Math.ceil((48 * image.width) / image.height))), 48);
    feeds.push({ x: new Tensor('float32', normalize(scaled, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], maxWidth), [1, 3, 48, maxWidth]) });
    labels.push(kind === 'cls' ? (upsideDown ? 1 : 0) : text);
  }
  return { feeds, labels };
}
