import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeModel, saveModel } from '../../../lib/onnx/model-io.js';
import { isExternal } from '../../../lib/onnx/tensor-data.js';
import { DataType } from '../../../lib/onnx/types.js';
import { convertToFloat16 } from '../../../lib/optimize/convert-fp16.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyConvNet } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-fp16-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('convertToFloat16', () => {
  test('reads a model whose weights live in an external data file and returns a self-contained FP16 model', async () => {
    const path = join(dir, 'conv.onnx');
    await saveModel(decodeModel(tinyConvNet()), path, { externalData: { threshold: 256 } });
    const external = decodeModel(readFileSync(path));
    expect(external.graph!.initializer.filter(isExternal).length).toBe(2);

    const feeds = [1, 2].map((seed) => ({ image: new Tensor('float32', randomFloats(192, seed), [1, 3, 8, 8]) }));
    const { model, report } = await convertToFloat16(path, { keepIoTypes: true, evaluation: { feeds, latencyRounds: 0 } });
    const converted = decodeModel(model);
    expect(converted.graph!.initializer.every((tensor) => !isExternal(tensor) && tensor.dataType === DataType.FLOAT16)).toBe(true);
    expect(report.originalBytes).toBe(statSync(path).size + statSync(`${path}.data`).size);
    expect(report.optimizedBytes).toBe(model.byteLength);
    expect(report.sizeRatio).toBeCloseTo(model.byteLength / report.originalBytes, 10);
    expect(report.conversion.initializersConverted).toBe(6);
    expect(report.quality!.outputs[0].cosine.min).toBeGreaterThan(0.9999);
  });

  test('a model that is already FP16 is left as it is, with a warning', async () => {
    const { model: once } = await convertToFloat16(tinyConvNet());
    const { model: twice, report } = await convertToFloat16(once);
    expect(report.conversion.initializersConverted).toBe(0);
    expect(report.conversion.castsInserted).toBe(0);
    expect(report.conversion.warnings).toContain('the model already had float16 tensors; they were left as they were');
    expect(twice.byteLength).toBe(once.byteLength);
  });

  test('bytes in, bytes out, float32 I/O unless float16Io; the input array is not modified', async () => {
    const bytes = tinyConvNet();
    const copy = bytes.slice();
    const { model, report } = await convertToFloat16(bytes);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(copy))).toBe(0);
    expect(report.quality).toBeUndefined();
    expect(decodeModel(model).graph!.input[0].type?.value.value).toMatchObject({ elemType: DataType.FLOAT });
    const { model: halfIo } = await convertToFloat16(bytes, { float16Io: true });
    expect(decodeModel(halfIo).graph!.input[0].type?.value.value).toMatchObject({ elemType: DataType.FLOAT16 });
  });
});
