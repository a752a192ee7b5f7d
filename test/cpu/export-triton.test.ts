/**
 * Triton model repository export of real models where TensorRT cannot build (no GPU here): the
 * ONNX model goes into version 1 for Triton's ONNX Runtime backend, and config.pbtxt is parsed back
 * and checked field by field. The exported models are run on ONNX Runtime to show they are whole.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tensorrtAvailability } from '../../lib/backends/availability.js';
import { ErrorCode } from '../../lib/errors.js';
import { exportTriton } from '../../lib/export/triton.js';
import { DataType, allInitializers, decodeModel, loadModel, saveModel } from '../../lib/onnx/index.js';
import { InferenceSession } from '../../lib/session.js';
import { Tensor } from '../../lib/tensor.js';
import { realModels } from '../fixtures/real-models.js';
import { mlp, randomArray } from '../fixtures/trt-models.js';
import { type PbMessage, ident, msg, msgs, num, nums, parsePbtxt, str, stringMap } from '../shared/pbtxt.js';
import { rejection } from '../shared/rejection.js';

let repo: string;
let scratch: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'triton-export-'));
  scratch = await mkdtemp(join(tmpdir(), 'triton-source-'));
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

async function readConfig(path: string): Promise<PbMessage> {
  return parsePbtxt(await readFile(path, 'utf8'));
}

function tensors(config: PbMessage, field: 'input' | 'output') {
  return msgs(config, field).map((t) => ({ name: str(t, 'name'), data_type: ident(t, 'data_type'), dims: nums(t, 'dims') }));
}

describe('PP-OCRv4 detection as a Triton model', () => {
  it('exports the ONNX model as it is, with a config Triton reads field by field', async () => {
    const result = await exportTriton(realModels.ocrDet, { repo, format: 'onnx' });
    expect(result).toMatchObject({
      path: join(repo, 'ch_PP-OCRv4_det_infer'),
      format: 'onnx',
      platform: 'onnxruntime_onnx',
      reason: 'format onnx was asked for',
      unused: [],
    });
    expect((await readdir(repo)).sort()).toEqual(['ch_PP-OCRv4_det_infer']);
    expect((await readdir(result.path)).sort()).toEqual(['1', 'config.pbtxt']);
    expect(await readdir(join(result.path, '1'))).toEqual(['model.onnx']);
    expect(Buffer.compare(await readFile(result.modelPath), await readFile(realModels.ocrDet))).toBe(0);

    const config = await readConfig(result.configPath);
    expect([...config.keys()]).toEqual([
      'name',
      'platform',
      'max_batch_size',
      'input',
      'output',
      'dynamic_batching',
      'instance_group',
      'optimization',
    ]);
    expect(str(config, 'name')).toBe('ch_PP-OCRv4_det_infer');
    expect(str(config, 'platform')).toBe('onnxruntime_onnx');
    expect(num(config, 'max_batch_size')).toBe(32);
    expect(tensors(config, 'input')).toEqual([{ name: 'x', data_type: 'TYPE_FP32', dims: [3, -1, -1] }]);
    expect(tensors(config, 'output')).toEqual([{ name: 'sigmoid_0.tmp_0', data_type: 'TYPE_FP32', dims: [1, -1, -1] }]);
    expect(nums(msg(config, 'dynamic_batching'), 'preferred_batch_size')).toEqual([32]);
    expect(num(msg(config, 'dynamic_batching'), 'max_queue_delay_microseconds')).toBe(2000);
    const [group] = msgs(config, 'instance_group');
    expect([num(group!, 'count'), ident(group!, 'kind'), group!.has('gpus')]).toEqual([2, 'KIND_GPU', false]);
    const [accelerator, ...others] = msgs(msg(msg(config, 'optimization'), 'execution_accelerators'), 'gpu_execution_accelerator');
    expect(others).toEqual([]);
    expect(str(accelerator!, 'name')).toBe('tensorrt');
    expect(accelerator!.has('parameters')).toBe(false); // fp32: the accelerator's default precision
  });

  it('chooses ONNX by itself where TensorRT cannot build, and says why', async () => {
    if (tensorrtAvailability().available) return; // a GPU machine builds a plan instead: test/sim and test/gpu cover that
    const result = await exportTriton(realModels.ocrCls, { repo, name: 'cls_auto', shapes: { x: [1, 3, 48, 192] } });
    expect(result.format).toBe('onnx');
    expect(result.reason).toMatch(/^TensorRT cannot build engines here \(.+\): model\.onnx is exported for Triton's ONNX Runtime backend/);
    expect(result.unused).toEqual(['shapes']);
  });

  it('refuses format plan where TensorRT cannot build, naming why, and writes nothing', async () => {
    if (tensorrtAvailability().available) return;
    const before = await readdir(repo);
    const error = await rejection(exportTriton(realModels.ocrCls, { repo, name: 'cls_plan', format: 'plan' }));
    expect(error.code).toBe(ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.message).toMatch(/^Expected TensorRT to build model\.plan here but it cannot: .+/);
    expect(await readdir(repo)).toEqual(before);
  });

  it('does nothing once its signal has fired', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const fresh = join(scratch, 'aborted-repo');
    const error = await rejection(exportTriton(realModels.ocrCls, { repo: fresh, format: 'onnx', signal: controller.signal }));
    expect(error).toMatchObject({ code: ErrorCode.ABORTED, message: 'The operation was aborted: stop' });
    await expect(readdir(fresh)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a plan where TensorRT cannot read it, and writes nothing', async () => {
    if (tensorrtAvailability().available) return;
    const plan = join(scratch, 'some.plan');
    await writeFile(plan, new Uint8Array(64));
    const fresh = join(scratch, 'fresh-repo');
    const error = await rejection(exportTriton(plan, { repo: fresh }));
    expect(error.code).toBe(ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.message).toMatch(/^Expected TensorRT to read the plan's tensors here but it cannot: .+/);
    await expect(readdir(fresh)).rejects.toThrow(/ENOENT/);
  });
});

describe('precision on the ONNX path', () => {
  it('writes the FP16 rewrite and asks the accelerator for FP16; the model runs with float32 I/O', async () => {
    const result = await exportTriton(realModels.ocrCls, {
      repo,
      name: 'cls_fp16',
      format: 'onnx',
      precision: 'fp16',
      workspace: 1 << 30,
      maxBatch: 8,
      instances: 1,
      device: 1,
    });
    const config = await readConfig(result.configPath);
    const [accelerator] = msgs(msg(msg(config, 'optimization'), 'execution_accelerators'), 'gpu_execution_accelerator');
    expect(stringMap(accelerator!, 'parameters')).toEqual({ precision_mode: 'FP16', max_workspace_size_bytes: '1073741824' });
    expect(num(config, 'max_batch_size')).toBe(8);
    const [group] = msgs(config, 'instance_group');
    expect([num(group!, 'count'), nums(group!, 'gpus')]).toEqual([1, [1]]);
    expect(tensors(config, 'input')).toEqual([{ name: 'x', data_type: 'TYPE_FP32', dims: [3, -1, -1] }]);

    const model = await loadModel(result.modelPath);
    const types = new Set([...allInitializers(model.graph!)].map((t) => t.dataType));
    expect(types.has(DataType.FLOAT16)).toBe(true);
    await using original = await InferenceSession.create(realModels.ocrCls, { backend: 'cpu' });
    await using exported = await InferenceSession.create(result.modelPath, { backend: 'cpu' });
    const x = new Tensor('float32', randomArray(2 * 3 * 48 * 192, 7), [2, 3, 48, 192]);
    const a = Object.values(await original.run({ x }))[0]!;
    const b = Object.values(await exported.run({ x }))[0]!;
    expect(b.dims).toEqual(a.dims);
    const diff = Math.max(...Array.from(a.as('float32').data, (v, i) => Math.abs(v - (b.as('float32').data[i] as number))));
    expect(diff).toBeLessThan(1e-2);
  });
});

describe('silero VAD (batch not along the first dim)', () => {
  it('is served unbatched, its scalar input declared as [1] reshaped to none; a batch size is refused', async () => {
    const result = await exportTriton(realModels.sileroVad, { repo, format: 'onnx', instanceKind: 'cpu' });
    const config = await readConfig(result.configPath);
    expect(num(config, 'max_batch_size')).toBe(0);
    expect(config.has('dynamic_batching')).toBe(false);
    expect(config.has('optimization')).toBe(false);
    const sr = msgs(config, 'input').find((t) => str(t, 'name') === 'sr')!;
    expect([ident(sr, 'data_type'), nums(sr, 'dims'), nums(msg(sr, 'reshape'), 'shape')]).toEqual(['TYPE_INT64', [1], []]);
    expect(tensors(config, 'input').find((t) => t.name === 'h')).toEqual({ name: 'h', data_type: 'TYPE_FP32', dims: [2, -1, 64] });
    expect(ident(msgs(config, 'instance_group')[0]!, 'kind')).toBe('KIND_CPU');

    const error = await rejection(exportTriton(realModels.sileroVad, { repo, name: 'vad_batched', format: 'onnx', maxBatch: 4 }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toMatch(/dynamic first dim for maxBatch 4 but tensor "sr" has shape \[\]/);
    expect(await readdir(repo)).not.toContain('vad_batched');
  });
});

describe('external data', () => {
  it('gathers the weights into the version folder, so the model needs nothing outside it', async () => {
    const source = join(scratch, 'ext');
    await mkdir(join(source, 'weights'), { recursive: true });
    const { bytes } = mlp();
    await saveModel(decodeModel(bytes), join(source, 'mlp.onnx'), { externalData: { location: 'weights/w.bin', threshold: 0 } });
    const result = await exportTriton(join(source, 'mlp.onnx'), { repo, format: 'onnx' });
    expect((await readdir(join(result.path, '1'))).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    const x = new Tensor('float32', randomArray(3 * 4, 11), [3, 4]);
    await using original = await InferenceSession.create(join(source, 'mlp.onnx'), { backend: 'cpu' });
    const expected = (await original.run({ x })).y!.as('float32').data;
    await rm(source, { recursive: true });
    await using exported = await InferenceSession.create(result.modelPath, { backend: 'cpu' });
    expect(Array.from((await exported.run({ x })).y!.as('float32').data)).toEqual(Array.from(expected));
  });

  it('leaves nothing behind when the weights cannot be read', async () => {
    const source = join(scratch, 'broken');
    await mkdir(source);
    await saveModel(decodeModel(mlp().bytes), join(source, 'broken.onnx'), {
      externalData: { location: 'w.bin', threshold: 0 },
    });
    await rm(join(source, 'w.bin'));
    const before = await readdir(repo);
    const error = await rejection(exportTriton(join(source, 'broken.onnx'), { repo, format: 'onnx' }));
    expect(error.code).toBe(ErrorCode.MODEL_LOAD);
    expect(await readdir(repo)).toEqual(before);
  });
});
