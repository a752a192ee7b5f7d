import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildModel } from '../../../lib/onnx/builder.js';
import { convertToFloat16 } from '../../../lib/optimize/convert-fp16.js';
import { writeOptimizedModel } from '../../../lib/optimize/output-file.js';
import { tinyMlp } from '../../fixtures/onnx-models.js';
import { expectCode } from '../../shared/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-fp16-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('convertToFloat16 refuses bad input with clear errors', () => {
  test('bytes that are not a model', async () => {
    await expectCode(
      convertToFloat16(new TextEncoder().encode('this is not an ONNX model at all')),
      'ERR_MODEL_LOAD',
      /Expected an ONNX model \(protobuf ModelProto\)/,
    );
    await expectCode(convertToFloat16(new Uint8Array(0)), 'ERR_MODEL_LOAD', /hold no ir_version, opset_import or graph/);
  });

  test('a missing file', async () => {
    await expectCode(
      convertToFloat16(join(dir, 'nope.onnx')),
      'ERR_MODEL_LOAD',
      /Expected a readable model file at .*nope\.onnx but it does not exist/,
    );
  });

  test('a model without a graph', async () => {
    const bytes = buildModel({ inputs: [], outputs: [], nodes: [] });
    await expectCode(convertToFloat16(bytes), 'ERR_MODEL_LOAD', /Expected an ONNX model with a graph of nodes .* empty graph/);
  });

  test('an opset older than 7', async () => {
    const bytes = buildModel({
      opset: 6,
      inputs: [{ name: 'x', dtype: 'float32', dims: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    await expectCode(
      convertToFloat16(bytes),
      'ERR_UNSUPPORTED',
      /Expected a default-domain \(ai.onnx\) opset of 7 or newer .* but received 6/,
    );
  });

  test('wrong argument and option types', async () => {
    await expectCode(
      convertToFloat16(42 as unknown as string),
      'ERR_INVALID_ARGUMENT',
      /Expected a model path or the bytes of an ONNX model for model but received 42/,
    );
    await expectCode(
      convertToFloat16(tinyMlp(), { keepIoTypes: 'yes' as unknown as boolean }),
      'ERR_INVALID_ARGUMENT',
      /Expected a boolean for options.keepIoTypes but received "yes"/,
    );
    await expectCode(
      convertToFloat16(tinyMlp(), { float16Io: 1 as unknown as boolean }),
      'ERR_INVALID_ARGUMENT',
      /Expected a boolean for options.float16Io but received 1/,
    );
    await expectCode(
      convertToFloat16(tinyMlp(), { float16Io: true, keepIoTypes: true }),
      'ERR_INVALID_ARGUMENT',
      /Expected keepIoTypes: false \(or no keepIoTypes\) with float16Io: true for options.keepIoTypes but received true/,
    );
    await expectCode(
      convertToFloat16(tinyMlp(), { blockOps: ['Conv', 3 as unknown as string] }),
      'ERR_INVALID_ARGUMENT',
      /options.blockOps/,
    );
    await expectCode(
      convertToFloat16(tinyMlp(), { outOfRange: 'drop' as 'clamp' }),
      'ERR_INVALID_ARGUMENT',
      /'keep-float32' or 'clamp' for options.outOfRange/,
    );
    await expectCode(
      convertToFloat16(tinyMlp(), { evaluation: { feeds: 5 as unknown as [] } }),
      'ERR_INVALID_ARGUMENT',
      /an iterable of feeds/,
    );
  });

  test('an aborted signal', async () => {
    await expectCode(
      convertToFloat16(tinyMlp(), { signal: AbortSignal.abort() }),
      'ERR_ABORTED',
      'The FP16 conversion was aborted: This operation was aborted',
    );
  });

  test('an output path equal to the input, directly or through a link, leaves the input untouched', async () => {
    const input = join(dir, 'model.onnx');
    const original = tinyMlp();
    writeFileSync(input, original);
    const { model } = await convertToFloat16(input);
    await expectCode(
      writeOptimizedModel(input, model, input),
      'ERR_INVALID_ARGUMENT',
      /Expected an output path different from the input model/,
    );
    await expectCode(writeOptimizedModel(join(dir, '.', 'model.onnx'), model, input), 'ERR_INVALID_ARGUMENT', /different from the input/);
    symlinkSync(input, join(dir, 'link.onnx'));
    await expectCode(writeOptimizedModel(join(dir, 'link.onnx'), model, input), 'ERR_INVALID_ARGUMENT', /different from the input/);
    expect(Buffer.compare(readFileSync(input), Buffer.from(original))).toBe(0);
    await writeOptimizedModel(join(dir, 'model.fp16.onnx'), model, input);
    expect(readFileSync(join(dir, 'model.fp16.onnx')).byteLength).toBe(model.byteLength);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  test('a failed write leaves no temporary file and no output', async () => {
    await expectCode(
      writeOptimizedModel(join(dir, 'missing-dir', 'out.onnx'), tinyMlp(), join(dir, 'model.onnx')),
      'ERR_IO',
      `Cannot write ${join(dir, 'missing-dir', 'out.onnx')}: its folder does not exist (ENOENT)`,
    );
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
