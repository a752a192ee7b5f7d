// Where real TensorRT differs from kinder models of it, on a real GPU (scripts/gpu-check.sh): shape
// tensor inputs (values in the profile, kept on the host), a plan with a standard plugin layer,
// a second device, CUDA graphs across shape changes, on-demand device memory and data-dependent
// output shapes, each compared with the CPU backend or with known results. Each case is skipped,
// with its reason in the name, when what it needs is missing.
import '../shared/use-release.js';

import { describe, expect, it } from 'vitest';

import { backends } from '../../lib/backends/availability.js';
import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { devices } from '../../lib/cuda/devices.js';
import { attr, buildModel } from '../../lib/onnx/index.js';
import { InferenceSession } from '../../lib/session.js';
import { buildEngine } from '../../lib/tensorrt/builder.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { Tensor } from '../../lib/tensor.js';
import { mlp, nonZero, randomArray } from '../fixtures/trt-models.js';

const report = await backends();
const tensorrt = report.tensorrt.available;
const plugins = tensorrt && report.tensorrt.plugins.available;
const deviceCount = tensorrt ? devices().length : 0;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) max = Math.max(max, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return max;
}

async function cpuRun(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' });
  try {
    return await session.run(feeds);
  } finally {
    await session.dispose();
  }
}

const mlpProfile = [{ x: { min: [1, 4], opt: [4, 4], max: [32, 4] } }];

describe.skipIf(!tensorrt)(
  `real TensorRT fidelity${tensorrt ? '' : ` (skipped: ${report.tensorrt.reason ?? 'TensorRT unavailable'})`}`,
  () => {
    it('builds a shape tensor input with its profile values, keeps it on the host and follows its value', async () => {
      const model = buildModel({
        name: 'gpu_reshape',
        inputs: [
          { name: 'x', dtype: 'float32', dims: [12] },
          { name: 'shape', dtype: 'int64', dims: [2] },
        ],
        outputs: [{ name: 'y', dtype: 'float32' }],
        nodes: [
          { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
          { op: 'Tanh', inputs: ['r'], outputs: ['y'] },
        ],
      });
      const plan = await buildEngine(model, {
        profiles: [
          {
            x: { min: [12], opt: [12], max: [12] },
            shape: { min: [2], opt: [2], max: [2], values: { min: [1, -1], opt: [3, 4], max: [12, 12] } },
          },
        ],
      });
      const backend = await TensorRTBackend.load(plan);
      try {
        expect(backend.engine.tensors.find((t) => t.name === 'shape')?.location).toBe('host');
        const x = randomArray(12, 7);
        for (const target of [
          [3, 4],
          [6, -1],
          [12, 1],
        ]) {
          const shape = new Tensor(
            'int64',
            BigInt64Array.from(target, (v) => BigInt(v)),
            [2],
          );
          const feeds = { x: new Tensor('float32', x, [12]), shape };
          const [gpu, cpu] = [await backend.run(feeds, ['y']), await cpuRun(model, feeds)];
          expect(gpu.y?.dims).toEqual(cpu.y?.dims);
          expect(maxAbsDiff(gpu.y?.data as Float32Array, cpu.y?.data as Float32Array)).toBeLessThan(1e-5);
        }
      } finally {
        await backend.dispose();
      }
    });

    it.skipIf(!plugins)(
      `loads and runs a plan with a standard plugin layer (EfficientNMS_TRT)${plugins ? '' : ' (skipped: libnvinfer_plugin missing)'}`,
      async () => {
        const model = buildModel({
          name: 'gpu_nms',
          opset: [
            { domain: '', version: 17 },
            { domain: 'TRT', version: 1 },
          ],
          inputs: [
            { name: 'boxes', dtype: 'float32', dims: [1, 4, 4] },
            { name: 'scores', dtype: 'float32', dims: [1, 4, 1] },
          ],
          outputs: [
            { name: 'num_detections', dtype: 'int32', dims: [1, 1] },
            { name: 'detection_boxes', dtype: 'float32', dims: [1, 3, 4] },
            { name: 'detection_scores', dtype: 'float32', dims: [1, 3] },
            { name: 'detection_classes', dtype: 'int32', dims: [1, 3] },
          ],
          nodes: [
            {
              op: 'EfficientNMS_TRT',
              domain: 'TRT',
              inputs: ['boxes', 'scores'],
              outputs: ['num_detections', 'detection_boxes', 'detection_scores', 'detection_classes'],
              attributes: {
                background_class: -1,
                box_coding: 0,
                iou_threshold: attr.float(0.5),
                max_output_boxes: 3,
                plugin_version: '1',
                score_activation: 0,
                score_threshold: attr.float(0.1),
              },
            },
          ],
        });
        const plan = await buildEngine(model);
        const backend = await TensorRTBackend.load(plan);
        try {
          // A and B overlap (B is suppressed), C stands alone, D scores below the threshold.
          const boxes = Float32Array.from([0, 0, 10, 10, 1, 1, 10, 10, 20, 20, 30, 30, 0, 0, 1, 1]);
          const scores = Float32Array.from([0.9, 0.8, 0.7, 0.05]);
          const out = await backend.run(
            { boxes: new Tensor('float32', boxes, [1, 4, 4]), scores: new Tensor('float32', scores, [1, 4, 1]) },
            ['num_detections', 'detection_boxes', 'detection_scores'],
          );
          expect(Array.from(out.num_detections?.data as Int32Array)).toEqual([2]);
          expect(Array.from((out.detection_boxes?.data as Float32Array).subarray(0, 8))).toEqual([0, 0, 10, 10, 20, 20, 30, 30]);
          expect(maxAbsDiff((out.detection_scores?.data as Float32Array).subarray(0, 2), [0.9, 0.7])).toBeLessThan(1e-6);
        } finally {
          await backend.dispose();
        }
      },
    );

    it.skipIf(deviceCount < 2)(
      `runs a session on a second device with the first one's results${deviceCount < 2 ? ` (skipped: ${deviceCount} device)` : ''}`,
      async () => {
        const plan = await buildEngine(mlp().bytes, { profiles: mlpProfile, device: 1 });
        const x = new Tensor('float32', randomArray(8 * 4, 11), [8, 4]);
        await using zero = await InferenceSession.create(plan, { backend: 'tensorrt' });
        await using one = await InferenceSession.create(plan, { backend: 'tensorrt', tensorrt: { device: 1 } });
        // Taking turns: each run makes its own device current on the thread it runs on.
        for (let round = 0; round < 3; round++) {
          const [a, b] = [await zero.run({ x }), await one.run({ x })];
          expect(maxAbsDiff(a.y?.data as Float32Array, b.y?.data as Float32Array)).toBeLessThan(1e-5);
        }
      },
    );

    it('replays CUDA graphs only for the shapes they were captured with, across shape changes', async () => {
      const fixture = mlp();
      const plan = await buildEngine(fixture.bytes, { profiles: mlpProfile });
      const backend = await TensorRTBackend.load(plan, { size: 1, cudaGraph: true });
      try {
        for (const batch of [1, 4, 1, 8, 4, 8, 1, 4]) {
          const x = new Tensor('float32', randomArray(batch * 4, batch), [batch, 4]);
          const [gpu, cpu] = [await backend.run({ x }, ['y']), await cpuRun(fixture.bytes, { x })];
          expect(gpu.y?.dims, `batch ${batch}`).toEqual(cpu.y?.dims);
          expect(maxAbsDiff(gpu.y?.data as Float32Array, cpu.y?.data as Float32Array), `batch ${batch}`).toBeLessThan(1e-4);
        }
      } finally {
        await backend.dispose();
      }
    });

    it('runs with on-demand device memory grown to the shapes run, never past the profile bound', async () => {
      const fixture = mlp();
      const plan = await buildEngine(fixture.bytes, { profiles: mlpProfile });
      const engine = await Engine.load(plan);
      const bound = engine.deviceMemorySizePerProfile[0] as number;
      engine.dispose();
      const backend = await TensorRTBackend.load(plan, { size: 2, deviceMemory: 'on-demand' });
      try {
        for (const batch of [1, 32, 2]) {
          const x = new Tensor('float32', randomArray(batch * 4, batch + 100), [batch, 4]);
          const [gpu, cpu] = [await backend.run({ x }, ['y']), await cpuRun(fixture.bytes, { x })];
          expect(maxAbsDiff(gpu.y?.data as Float32Array, cpu.y?.data as Float32Array), `batch ${batch}`).toBeLessThan(1e-4);
        }
        for (const memory of backend.pool.memory) expect(memory.tensorrt).toBeLessThanOrEqual(bound);
      } finally {
        await backend.dispose();
      }
    });

    it('returns data-dependent output shapes (NonZero) as the CPU does', async () => {
      const fixture = nonZero();
      const plan = await buildEngine(fixture.bytes, { profiles: [{ x: { min: [1], opt: [16], max: [64] } }] });
      const backend = await TensorRTBackend.load(plan);
      try {
        for (const n of [5, 64, 1]) {
          const x = new Tensor('float32', randomArray(n, n + 3), [n]);
          const [gpu, cpu] = [await backend.run({ x }, ['indices']), await cpuRun(fixture.bytes, { x })];
          expect(gpu.indices?.dims, `n ${n}`).toEqual(cpu.indices?.dims);
          expect(Array.from(gpu.indices?.data as BigInt64Array)).toEqual(Array.from(cpu.indices?.data as BigInt64Array));
        }
      } finally {
        await backend.dispose();
      }
    });
  },
);
