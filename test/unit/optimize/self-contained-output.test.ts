/**
 * Optimized models are self-contained: a source tensor kept in its external data file and left in
 * float32 (values beyond float16's range) must not keep naming the source's weights.bin, which
 * would resolve next to the output (a missing file, or worse another model's weights).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fp16Mode } from '../../../lib/cli/optimize.js';
import { int8Mode } from '../../../lib/cli/optimize-int8.js';
import { buildModel } from '../../../lib/onnx/builder.js';
import { decodeModel, saveModel } from '../../../lib/onnx/model-io.js';
import { isExternal } from '../../../lib/onnx/tensor-data.js';
import { DataType } from '../../../lib/onnx/types.js';
import { encodeNpy } from '../../../lib/npy.js';
import { InferenceSession } from '../../../lib/session.js';
import { Tensor } from '../../../lib/tensor.js';
import { captureStdout, optimizeCli } from '../../fixtures/optimize-cli.js';
import { randomFloats } from '../../fixtures/random.js';

const root = mkdtempSync(join(tmpdir(), 'trtn-self-contained-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
captureStdout();

/** x[1,64] + offsets (beyond float16: kept float32) -> MatMul w[64,8] (converted to float16) -> y[1,8]. */
function modelWithLargeOffsets(): Uint8Array {
  const offsets = randomFloats(64, 7, 1).map((value) => value * 1e6);
  return buildModel({
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float32', dims: [1, 64] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1, 8] }],
    initializers: [
      { name: 'offsets', dtype: 'float32', dims: [64], data: offsets },
      { name: 'w', dtype: 'float32', dims: [64, 8], data: randomFloats(512, 8, 1e-3) },
    ],
    nodes: [
      { op: 'Add', inputs: ['x', 'offsets'], outputs: ['shifted'] },
      { op: 'MatMul', inputs: ['shifted', 'w'], outputs: ['y'] },
    ],
  });
}

const x = new Tensor('float32', randomFloats(64, 9), [1, 64]);

async function run(model: string | Uint8Array): Promise<Float32Array> {
  const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' });
  try {
    const y = (await session.run({ x })).y;
    return Float32Array.from(y.data as Float32Array);
  } finally {
    await session.dispose();
  }
}

let source: string;
let reference: Float32Array;
beforeAll(async () => {
  mkdirSync(join(root, 'source'));
  source = join(root, 'source', 'model.onnx');
  await saveModel(decodeModel(modelWithLargeOffsets()), source, { externalData: { location: 'weights.bin', threshold: 64 } });
  expect(
    decodeModel(readFileSync(source))
      .graph!.initializer.filter(isExternal)
      .map((t) => t.name),
  ).toEqual(['offsets', 'w']);
  reference = await run(modelWithLargeOffsets());
});

/** An output folder holding a decoy weights.bin: an output that still named it would silently run on these. */
function outputFolder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(4096, 1));
  return join(dir, 'model.opt.onnx');
}

describe('optimized models carry every weight themselves', () => {
  test('--fp16: the tensor kept in float32 is inlined, and the output runs from another folder', async () => {
    const output = outputFolder('fp16');
    await optimizeCli([fp16Mode])('optimize', source, '--fp16', '--keep-io-types', '-o', output);
    const model = decodeModel(readFileSync(output));
    const offsets = model.graph!.initializer.find((t) => t.name === 'offsets')!;
    expect(offsets.dataType).toBe(DataType.FLOAT);
    expect(model.graph!.initializer.filter(isExternal)).toEqual([]);
    const y = await run(output);
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - reference[i])).toBeLessThan(Math.abs(reference[i]) * 1e-2 + 1);
  });

  test('--int8: the output holds its weights too', async () => {
    const output = outputFolder('int8');
    const calibration = join(root, 'calibration');
    mkdirSync(calibration);
    for (let i = 0; i < 4; i++)
      writeFileSync(join(calibration, `s${i}.npy`), encodeNpy(new Tensor('float32', randomFloats(64, 20 + i), [1, 64])));
    await optimizeCli([int8Mode])('optimize', source, '--int8', '--calibration', calibration, '-o', output);
    expect(decodeModel(readFileSync(output)).graph!.initializer.filter(isExternal)).toEqual([]);
    expect((await run(output)).length).toBe(8);
  });
});
