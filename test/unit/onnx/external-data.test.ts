import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import * as ort from 'onnxruntime-node';
import { decodeModel, encodeModel, loadModel, modelBaseDir, saveModel } from '../../../lib/onnx/model-io.js';
import { isExternal, readTensor } from '../../../lib/onnx/tensor-data.js';
import { isTensorRTNodeError } from '../../../lib/errors.js';
import { tinyConvNet } from '../../fixtures/onnx-models.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-external-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runConvNet(path: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path);
  const image = new Float32Array(3 * 64).map((_, i) => Math.sin(i));
  const result = await session.run({ image: new ort.Tensor('float32', image, [1, 3, 8, 8]) });
  await session.release();
  return result.scores.data as Float32Array;
}

describe('external data', () => {
  const bytes = tinyConvNet();
  const inlinePath = join(dir, 'inline.onnx');
  writeFileSync(inlinePath, bytes);

  test('save with external data: big initializers leave the proto, ONNX Runtime reads them', async () => {
    const model = decodeModel(bytes);
    const externalPath = join(dir, 'external.onnx');
    await saveModel(model, externalPath, { externalData: { threshold: 256 } });
    // the caller's model is unchanged
    expect(Buffer.compare(Buffer.from(encodeModel(model)), Buffer.from(bytes))).toBe(0);
    expect(existsSync(join(dir, 'external.onnx.data'))).toBe(true);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const saved = decodeModel(readFileSync(externalPath));
    const external = saved.graph!.initializer.filter(isExternal).map((t) => t.name);
    expect(external.sort()).toEqual(['conv1.w', 'conv2.w']); // 432 and 576 bytes; the rest are under 256
    expect(statSync(externalPath).size).toBeLessThan(bytes.byteLength - 800);
    expect(await runConvNet(externalPath)).toEqual(await runConvNet(inlinePath));
  });

  test('load by reference reads tensors on demand; load inline brings them back into raw_data', async () => {
    const externalPath = join(dir, 'external.onnx');
    const referenced = await loadModel(externalPath);
    expect(modelBaseDir(referenced)).toBe(dir);
    const conv2 = referenced.graph!.initializer.find((t) => t.name === 'conv2.w')!;
    expect(isExternal(conv2)).toBe(true);
    const original = decodeModel(bytes).graph!.initializer.find((t) => t.name === 'conv2.w')!;
    expect(readTensor(conv2, { baseDir: dir }).data).toEqual(readTensor(original).data);
    expect(() => readTensor(conv2)).toThrow(/external file/);

    const inlined = await loadModel(externalPath, { externalData: 'inline' });
    expect(Buffer.compare(Buffer.from(encodeModel(inlined)), Buffer.from(bytes))).toBe(0);
  });

  test('saving a referenced model elsewhere copies its external data', async () => {
    const referenced = await loadModel(join(dir, 'external.onnx'));
    const otherDir = mkdtempSync(join(dir, 'copy-'));
    await saveModel(referenced, join(otherDir, 'copied.onnx'), { externalData: { location: 'weights.bin', threshold: 1 } });
    expect(existsSync(join(otherDir, 'weights.bin'))).toBe(true);
    expect(await runConvNet(join(otherDir, 'copied.onnx'))).toEqual(await runConvNet(inlinePath));
    // and without external data everything is inlined
    await saveModel(referenced, join(otherDir, 'flat.onnx'));
    expect(Buffer.compare(readFileSync(join(otherDir, 'flat.onnx')), Buffer.from(bytes))).toBe(0);
  });

  test('locations outside the model directory and missing files are ERR_MODEL_LOAD', async () => {
    const model = decodeModel(readFileSync(join(dir, 'external.onnx')));
    const tensor = model.graph!.initializer.find(isExternal)!;
    tensor.externalData.find((e) => e.key === 'location')!.value = '../../etc/passwd';
    expect(() => readTensor(tensor, { baseDir: dir })).toThrow(/inside the model directory/);
    tensor.externalData.find((e) => e.key === 'location')!.value = 'missing.bin';
    try {
      readTensor(tensor, { baseDir: dir });
      expect.unreachable();
    } catch (error) {
      expect(isTensorRTNodeError(error, 'ERR_MODEL_LOAD')).toBe(true);
    }
    tensor.externalData.find((e) => e.key === 'location')!.value = 'external.onnx.data';
    tensor.externalData.find((e) => e.key === 'offset')!.value = '999999';
    expect(() => readTensor(tensor, { baseDir: dir })).toThrow(/file ended/);
  });
});
