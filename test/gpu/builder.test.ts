// The engine builder on a real GPU with real TensorRT (scripts/gpu-check.sh): build -> run, compared
// with the CPU backend, for an MLP with a batch profile, PP-OCRv4 det in fp16 with a dynamic
// profile and the PP-OCR cls in int8; the engine cache and cancellation on real builds. Skipped
// without a GPU and TensorRT.
import '../shared/use-release.js';

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tensorrtAvailability } from '../../lib/backends/availability.js';
import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { ErrorCode, TensorRTNodeError } from '../../lib/errors.js';
import { InferenceSession } from '../../lib/session.js';
import { buildEngine } from '../../lib/tensorrt/builder.js';
import { Tensor } from '../../lib/tensor.js';
import { ocrFeeds } from '../data/ocr-inputs.js';
import { binaryMapIoU } from '../data/ocr-metrics.js';
import { realModels } from '../fixtures/real-models.js';
import { mlp, randomArray } from '../fixtures/trt-models.js';

const available = tensorrtAvailability().available;

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

async function cpuOutputs(model: string | Uint8Array, feeds: Record<string, Tensor>[]): Promise<Tensor[]> {
  const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' });
  try {
    const out: Tensor[] = [];
    for (const feed of feeds) out.push(Object.values(await session.run(feed))[0] as Tensor);
    return out;
  } finally {
    await session.dispose();
  }
}

async function gpuOutputs(plan: Uint8Array, feeds: Record<string, Tensor>[]): Promise<Tensor[]> {
  const backend = await TensorRTBackend.load(plan);
  try {
    const out: Tensor[] = [];
    for (const feed of feeds)
      out.push(
        Object.values(
          await backend.run(
            feed,
            backend.outputs.map((o) => o.name),
          ),
        )[0] as Tensor,
      );
    return out;
  } finally {
    await backend.dispose();
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpu-builder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('engine builder on real TensorRT', () => {
  it('MLP with a batch profile matches the CPU at every batch size', async () => {
    const started = Date.now();
    const plan = await buildEngine(mlp().bytes, { profiles: [{ x: { min: [1, 4], opt: [8, 4], max: [32, 4] } }] });
    console.log(`gpu-check: mlp built in ${Date.now() - started} ms, ${plan.length} bytes`);
    const feeds = [1, 5, 32].map((n) => ({ x: new Tensor('float32', randomArray(n * 4, n, 2), [n, 4]) }));
    const cpu = await cpuOutputs(mlp().bytes, feeds);
    const gpu = await gpuOutputs(plan, feeds);
    // TF32 math is TensorRT's default for float32 layers.
    gpu.forEach((t, i) => expect(cosine(t.data as Float32Array, cpu[i]?.data as Float32Array)).toBeGreaterThan(0.9999));
  }, 300_000);

  it('PP-OCRv4 det in fp16 with a dynamic profile: IoU >= 0.97 and cosine >= 0.99 against the CPU', async () => {
    const started = Date.now();
    const plan = await buildEngine(realModels.ocrDet, {
      precision: 'fp16',
      profiles: [{ x: { min: [1, 3, 320, 320], opt: [1, 3, 640, 640], max: [2, 3, 960, 960] } }],
      timingCache: join(dir, 'det.timing'),
    });
    console.log(`gpu-check: det fp16 built in ${Date.now() - started} ms, ${plan.length} bytes`);
    const feeds = [
      ...(await ocrFeeds('det', { split: 'evaluation', count: 2 })),
      ...(await ocrFeeds('det', { split: 'evaluation', count: 2, offset: 2, detSize: { width: 480, height: 320 } })),
    ];
    const cpu = await cpuOutputs(realModels.ocrDet, feeds);
    const gpu = await gpuOutputs(plan, feeds);
    gpu.forEach((t, i) => {
      const ref = cpu[i] as Tensor;
      expect(t.dims).toEqual(ref.dims);
      expect(binaryMapIoU(t, ref)).toBeGreaterThanOrEqual(0.97);
      expect(cosine(t.data as Float32Array, ref.data as Float32Array)).toBeGreaterThanOrEqual(0.99);
    });
  }, 600_000);

  it('PP-OCR cls in int8 (Q/DQ from calibration): top-1 agrees with the CPU on >= 95% of 32 lines', async () => {
    const calibration = await ocrFeeds('cls', { split: 'calibration', count: 16 });
    const started = Date.now();
    const plan = await buildEngine(realModels.ocrCls, {
      precision: 'int8',
      calibration,
      profiles: [{ x: { min: [1, 3, 48, 192], opt: [1, 3, 48, 192], max: [8, 3, 48, 192] } }],
    });
    console.log(`gpu-check: cls int8 built in ${Date.now() - started} ms, ${plan.length} bytes`);
    const feeds = await ocrFeeds('cls', { split: 'evaluation', count: 32 });
    const cpu = await cpuOutputs(realModels.ocrCls, feeds);
    const gpu = await gpuOutputs(plan, feeds);
    const top1 = (t: Tensor) => ((t.data[1] as number) > (t.data[0] as number) ? 1 : 0);
    const agreement = gpu.filter((t, i) => top1(t) === top1(cpu[i] as Tensor)).length / gpu.length;
    console.log(`gpu-check: cls int8 top-1 agreement ${agreement.toFixed(3)}`);
    expect(agreement).toBeGreaterThanOrEqual(0.95);
  }, 600_000);

  it('a session builds once, then takes the engine from the cache', async () => {
    const cacheDir = join(dir, 'cache');
    let steps = 0;
    const options = { backend: 'tensorrt' as const, tensorrt: { cacheDir, onProgress: () => steps++ } };
    await using first = await InferenceSession.create(mlp().bytes, options);
    expect(steps).toBeGreaterThan(0);
    steps = 0;
    await using second = await InferenceSession.create(mlp().bytes, options);
    expect(steps).toBe(0);
    expect((await second.run({ x: new Tensor('float32', randomArray(8, 1), [2, 4]) })).y?.dims).toEqual([2, 3]);
    expect(first.backend).toBe('tensorrt');
  }, 300_000);

  it('an abort at the first progress step cancels a real build', async () => {
    const controller = new AbortController();
    const error = await buildEngine(realModels.ocrDet, {
      profiles: [{ x: { min: [1, 3, 320, 320], opt: [1, 3, 640, 640], max: [1, 3, 960, 960] } }],
      signal: controller.signal,
      onProgress: (p) => p.kind === 'step' && controller.abort(new Error('stop')),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TensorRTNodeError);
    expect((error as TensorRTNodeError).code).toBe(ErrorCode.ABORTED);
  }, 300_000);
});
