// cudaGraph: true. After one uncaptured run per profile, a context captures its run's work (input
// copies, enqueueV3, output copies) into a CUDA graph once per input shapes and requested outputs
// (on the libuv pool, once the stream is idle), keeps a few of them, and replays them with
// cudaGraphLaunch: the simulator records the captured copies and the simulated TensorRT's kernels
// and replays exactly those, so a replay that ignored new inputs or shapes would give wrong
// results here.
import './use-sim.js';

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { InferenceSession } from '../../lib/session.js';
import { ErrorCode } from '../../lib/errors.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { Tensor } from '../../lib/tensor.js';
import { type Fixture, mlp, nonZero, randomArray, staticTanh } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor } from './trt-helpers.js';

async function reference(fixture: Fixture, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(fixture.bytes);
  try {
    return (await session.run({ x: new ort.Tensor('float32', x, dims) })).y?.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('CUDA graphs', () => {
  it('replay the captured run with each run’s own inputs, recapturing when shapes change', async () => {
    const fixture = mlp();
    const engine = await Engine.load(await planFor(fixture));
    const context = engine.createContext({ cudaGraph: true });
    const launches: number[] = [];
    for (const [seed, batch] of [
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 3],
      [5, 3],
      [6, 2],
    ] as const) {
      const x = randomArray(batch * 4, seed, 2);
      const [out] = await context.run([{ name: 'x', data: x, dims: [batch, 4] }], [{ name: 'y' }], 0);
      expect(out?.dims).toEqual([batch, 3]);
      expect(maxAbsDiff(new Float32Array(out?.data as ArrayBuffer), await reference(fixture, x, [batch, 4])), `seed ${seed}`).toBeLessThan(
        1e-6,
      );
      launches.push(context.graphLaunches);
    }
    // The first run is uncaptured (TensorRT sets the profile up there); each new shape set is then
    // captured and served by its graph, and a shape set seen before replays its cached graph.
    expect(launches).toEqual([0, 1, 2, 3, 4, 5]);
    context.dispose();
    engine.dispose();
  });

  it('land replayed outputs in caller buffers, and stay off without the option', async () => {
    const fixture = staticTanh();
    const engine = await Engine.load(await planFor(fixture));
    const graphed = engine.createContext({ cudaGraph: true });
    const plain = engine.createContext();
    for (let seed = 10; seed < 13; seed++) {
      const x = randomArray(16, seed, 2);
      const y = new Float32Array(16);
      const [out] = await graphed.run([{ name: 'x', data: x, dims: [1, 16] }], [{ name: 'y', data: y }], 0);
      expect(out?.data).toBe(y);
      expect(maxAbsDiff(y, await reference(fixture, x, [1, 16]))).toBeLessThan(1e-6);
      await plain.run([{ name: 'x', data: x, dims: [1, 16] }], [{ name: 'y' }], 0);
    }
    expect(graphed.graphLaunches).toBe(2);
    expect(plain.graphLaunches).toBe(0);
    graphed.dispose();
    plain.dispose();
    engine.dispose();
  });

  it('never replay a graph whose TensorRT state went stale: profile switches and uncaptured runs drop them', async () => {
    // The simulator's captured kernels read the context's state as the last uncaptured enqueueV3
    // left it (as TensorRT's do): a graph replayed after the context ran uncaptured or switched
    // profiles computes garbage.
    const fixture: Fixture = {
      ...mlp(),
      name: 'mlp_two_profiles',
      profiles: [
        {
          x: [
            [1, 4],
            [2, 4],
            [4, 4],
          ],
        },
        {
          x: [
            [5, 4],
            [6, 4],
            [8, 4],
          ],
        },
      ],
    };
    const engine = await Engine.load(await planFor(fixture));
    const context = engine.createContext({ cudaGraph: true });
    const launches: number[] = [];
    const schedule = [
      [0, 2],
      [0, 2],
      [0, 3],
      [1, 6],
      [1, 6],
      [0, 2],
      [0, 3],
      [0, 2],
      [1, 6],
    ] as const;
    for (const [step, [profile, batch]] of schedule.entries()) {
      const x = randomArray(batch * 4, 40 + step, 2);
      const [out] = await context.run([{ name: 'x', data: x, dims: [batch, 4] }], [{ name: 'y' }], profile);
      expect(maxAbsDiff(new Float32Array(out?.data as ArrayBuffer), await reference(fixture, x, [batch, 4])), `step ${step}`).toBeLessThan(
        1e-6,
      );
      launches.push(context.graphLaunches);
    }
    // Per profile: one uncaptured run, then captures and replays; a switch starts over.
    expect(launches).toEqual([0, 1, 2, 2, 3, 3, 4, 5, 5]);
    context.dispose();
    engine.dispose();
  });

  it('leave engines with data-dependent output shapes uncaptured, and work through the backend', async () => {
    const backend = await TensorRTBackend.load(await planFor(nonZero()), { size: 1, cudaGraph: true });
    for (let i = 0; i < 3; i++) {
      const out = await backend.run({ x: new Tensor('float32', Float32Array.from([1, -1, 2, 0, 3]), [5]) }, ['indices']);
      expect(Array.from(out.indices?.data as BigInt64Array)).toEqual([0n, 2n, 4n]);
    }
    await backend.dispose();
    const plan = await planFor(staticTanh());
    await expect(
      InferenceSession.create(plan, { backend: 'tensorrt', tensorrt: { cudaGraph: 1 as unknown as boolean } }),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: 'Expected a boolean for options.tensorrt.cudaGraph but received 1',
    });
    await expect(TensorRTBackend.load(plan, { cudaGraph: 'yes' as unknown as boolean })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: 'Expected a boolean for options.cudaGraph but received "yes"',
    });
  });
});
