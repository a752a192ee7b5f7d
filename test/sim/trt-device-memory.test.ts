// TensorRT's own device memory per context. kSTATIC contexts hold what the largest profile needs
// from creation; on-demand contexts (user-managed: createExecutionContext(kUSER_MANAGED),
// updateDeviceMemorySizeForShapes, setDeviceMemoryV2) hold what the shapes they ran need, which
// is the default for engines with dynamic shapes. The simulator's kernels write their scratch
// into that memory and refuse an enqueue whose memory is smaller than the shapes need.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { ErrorCode } from '../../lib/errors.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { Tensor } from '../../lib/tensor.js';
import { type Fixture, mlp, randomArray, staticTanh } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor, referenceRun } from './trt-helpers.js';

const twoProfiles: Fixture = {
  ...mlp(),
  name: 'mlp_memory',
  profiles: [
    {
      x: [
        [1, 4],
        [8, 4],
        [64, 4],
      ],
    },
    {
      x: [
        [65, 4],
        [128, 4],
        [256, 4],
      ],
    },
  ],
};

describe('device memory of execution contexts', () => {
  it('reports per-profile sizes, and on-demand contexts hold what their shapes need', async () => {
    const engine = await Engine.load(await planFor(twoProfiles));
    const [small, large] = engine.deviceMemorySizePerProfile as [number, number];
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
    expect(engine.deviceMemorySize).toBe(large);
    expect(engine.inspect()).toContain(`profile 1: device memory ${large} bytes`);

    const fixed = engine.createContext({ deviceMemory: 'static' });
    const onDemand = engine.createContext(); // auto: dynamic shapes
    expect(fixed.activationBytes).toBe(large);
    expect(onDemand.activationBytes).toBe(0);
    const seen: number[] = [];
    for (const [step, [profile, batch]] of (
      [
        [0, 1],
        [0, 32],
        [1, 100],
        [1, 256],
        [0, 2],
      ] as const
    ).entries()) {
      const x = randomArray(batch * 4, step + 1);
      const ref = await referenceRun(twoProfiles, { x: { dtype: 'float32', data: x, dims: [batch, 4] } });
      for (const context of [fixed, onDemand]) {
        const [out] = await context.run([{ name: 'x', data: x, dims: [batch, 4] }], [{ name: 'y' }], profile);
        expect(maxAbsDiff(new Float32Array(out?.data as ArrayBuffer), ref.y?.data as Float32Array), `step ${step}`).toBeLessThan(1e-6);
      }
      seen.push(onDemand.activationBytes);
    }
    // Grown to the shapes run so far, never past the largest profile's need; never shrunk.
    expect(seen[0]).toBeLessThan(small);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen[3]).toBeLessThanOrEqual(large);
    expect(seen[1]).toBeLessThan(seen[3] as number);
    expect(fixed.activationBytes).toBe(large);
    fixed.dispose();
    onDemand.dispose();
    engine.dispose();
  });

  it('picks static memory for fixed shapes, reports each pooled context, and checks the option', async () => {
    const engine = await Engine.load(await planFor(staticTanh()));
    expect(() => engine.createContext({ deviceMemory: 'lazy' as unknown as 'auto' })).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: "Expected one of 'static', 'on-demand', 'auto' for options.deviceMemory but received \"lazy\"",
      }),
    );
    engine.dispose();
    const backend = await TensorRTBackend.load(await planFor(twoProfiles), { size: 2, deviceMemory: 'on-demand' });
    await Promise.all([1, 2].map((batch) => backend.run({ x: new Tensor('float32', randomArray(batch * 4, batch), [batch, 4]) }, ['y'])));
    expect(backend.pool.memory).toHaveLength(2);
    for (const context of backend.pool.memory) {
      expect(context.io).toBeGreaterThan(0);
      expect(context.tensorrt).toBeGreaterThan(0);
      expect(context.tensorrt).toBeLessThan(backend.engine.deviceMemorySizePerProfile[0] as number);
    }
    await backend.dispose();
  });
});
