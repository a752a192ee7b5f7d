// Outputs whose shape depends on the data (NonZero): the addon hands TensorRT an output allocator,
// TensorRT asks it for memory and reports the shape inside enqueueV3, and the run returns the
// right number of elements, matching ONNX Runtime.
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { ErrorCode } from '../../lib/errors.js';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { Tensor } from '../../lib/tensor.js';
import { nonZero, randomArray } from '../fixtures/trt-models.js';
import { planFor, referenceRun } from './trt-helpers.js';

it('returns data-dependent outputs with the shape the data gives, run after run', async () => {
  const fixture = nonZero();
  const backend = await TensorRTBackend.load(await planFor(fixture), { size: 1 });
  expect(backend.outputs).toEqual([
    { name: 'y', dtype: 'float32', shape: [-1] },
    { name: 'indices', dtype: 'int64', shape: [1, -1] },
  ]);
  // Growing and shrinking counts on one context exercise the allocator's grow-only memory.
  for (const [n, seed, allNegative] of [
    [8, 1, false],
    [64, 2, false],
    [5, 3, true],
    [40, 5, false],
  ] as const) {
    const x = randomArray(n, seed);
    if (allNegative) x.fill(-1);
    const out = await backend.run({ x: new Tensor('float32', x, [n]) }, ['indices', 'y']);
    const ref = await referenceRun(fixture, { x: { dtype: 'float32', data: x, dims: [n] } });
    expect(out.indices?.dims).toEqual(ref.indices?.dims);
    expect(out.indices?.dims).toEqual([1, allNegative ? 0 : x.filter((v) => v > 0).length]);
    expect(out.indices?.dtype).toBe('int64');
    expect(Array.from(out.indices?.data as BigInt64Array)).toEqual(Array.from(ref.indices?.data as BigInt64Array));
    expect(Array.from(out.y?.data as Float32Array)).toEqual(Array.from(ref.y?.data as Float32Array));
  }
  await backend.dispose();
});

it('recovers extents TensorRT reports to notifyShape as -1, and names the allocation that failed', async () => {
  // TensorRT 10.16.1 reports data-dependent extents as -1 (NVIDIA/TensorRT#4744); the simulator
  // does too with TENSORRT_NODE_SIM_NOTIFY_WILDCARDS=1, read once per process: hence a child.
  const dir = mkdtempSync(join(tmpdir(), 'trtn-wildcards-'));
  try {
    const planPath = join(dir, 'model.plan');
    writeFileSync(planPath, await planFor(nonZero()));
    const script = fileURLToPath(new URL('./fixtures/notify-wildcards.cjs', import.meta.url));
    const runs = JSON.parse(
      execFileSync(process.execPath, [script, simBindingPath(), planPath], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, TENSORRT_NODE_SIM_NOTIFY_WILDCARDS: '1', TENSORRT_NODE_SIM_DEVICE_MEMORY: String(64 << 20) },
      }),
    );
    expect(runs).toEqual([
      { dims: [1, 3], values: [0, 2, 4] },
      { dims: [1, 0], values: [] },
      { dims: [1, 8], values: [0, 1, 2, 3, 4, 5, 6, 7] },
      {
        code: ErrorCode.OUT_OF_MEMORY,
        message: expect.stringMatching(
          /^TensorRT could not enqueue the inference: cudaMalloc\(512 bytes\) for "indices" failed: cudaErrorMemoryAllocation/,
        ),
      },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
