// Loading plans on the simulated TensorRT: metadata, profile handling and the ways a plan can be
// unusable (not a plan, truncated, corrupted, built by another TensorRT version, embedded host code).
import './use-sim.js';

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { requireBinding } from '../../lib/binding.js';
import { ErrorCode } from '../../lib/errors.js';
import { buildEngine } from '../../lib/tensorrt/builder.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { Tensor } from '../../lib/tensor.js';
import { convQdq, mlp, randomArray, staticTanh } from '../fixtures/trt-models.js';
import { planFor, profilesOf } from './trt-helpers.js';
import { rejection } from '../shared/rejection.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trt-engine-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Engine metadata', () => {
  it('describes I/O tensors, profiles, memory and version, and loads from a file', async () => {
    const path = join(dir, 'conv.plan');
    await writeFile(path, await planFor(convQdq()));
    const engine = await Engine.load(path);
    expect(engine.tensorrtVersion).toBe('11.1.0');
    expect(engine.inputs).toEqual([
      {
        name: 'x',
        mode: 'input',
        dtype: 'float32',
        tensorrtType: 'kFLOAT',
        shape: [-1, 3, -1, -1],
        format: expect.stringContaining('kLINEAR'),
        location: 'device',
      },
    ]);
    expect(engine.outputs.map((t) => [t.name, t.dtype, t.shape])).toEqual([['y', 'float32', [-1, -1]]]);
    expect(engine.profiles).toEqual([
      { index: 0, inputs: { x: { min: [1, 3, 4, 4], opt: [1, 3, 8, 8], max: [2, 3, 8, 8] } } },
      { index: 1, inputs: { x: { min: [1, 3, 9, 9], opt: [2, 3, 16, 16], max: [4, 3, 16, 20] } } },
    ]);
    // The simulator sizes a context's scratch memory as TensorRT sizes activations: every tensor between
    // the layers (not the output) at the largest profile max, each allocation 256-byte aligned. Profile
    // 1's max x [4, 3, 16, 20] through the stride-2 Conv gives 4 x 4 x 8 x 10 = 1280 elements for c, s,
    // t, f and dq (float32) and q (int8); profile 0's max needs less.
    const aligned = (bytes: number) => Math.ceil(bytes / 256) * 256;
    expect(engine.deviceMemorySize).toBe(5 * aligned(1280 * 4) + aligned(1280));
    expect(engine.layers).toBe(7);
    expect(engine.inspect()).toContain('x: min [1, 3, 4, 4] opt [1, 3, 8, 8] max [2, 3, 8, 8]');
    engine.dispose();
    expect(engine.disposed).toBe(true);
    expect(() => engine.createContext()).toThrow(expect.objectContaining({ code: ErrorCode.DISPOSED }));
  });

  it('serializes back to a plan that loads again', async () => {
    const engine = await Engine.load(await planFor(staticTanh()));
    const again = await Engine.load(engine.serialize());
    expect(again.inputs).toEqual(engine.inputs);
    expect(again.profiles).toEqual([{ index: 0, inputs: { x: { min: [1, 16], opt: [1, 16], max: [1, 16] } } }]);
    engine.dispose();
    again.dispose();
  });

  it('reports a missing file as ERR_IO', async () => {
    const error = await rejection(Engine.load(join(dir, 'missing.plan')));
    expect(error.code).toBe(ErrorCode.IO);
    expect(error.message).toContain('missing.plan');
  });
});

describe('dynamic shapes and profiles', () => {
  it('picks the profile that fits each run and rejects shapes no profile holds', async () => {
    const backend = await TensorRTBackend.load(await planFor(convQdq()));
    expect(backend.profileFor({ x: [2, 3, 8, 8] })).toBe(0);
    expect(backend.profileFor({ x: [4, 3, 16, 20] })).toBe(1);
    for (const dims of [
      [2, 3, 8, 8],
      [4, 3, 16, 20],
      [1, 3, 4, 4],
    ]) {
      const x = new Tensor(
        'float32',
        randomArray(
          dims.reduce((a, b) => a * b, 1),
          7,
        ),
        dims,
      );
      const out = await backend.run({ x }, ['y']);
      const [n, , h, w] = dims as [number, number, number, number];
      expect(out.y?.dims).toEqual([n, Math.floor((h - 1) / 2 + 1) * Math.floor((w - 1) / 2 + 1) * 4]);
    }
    const error = await rejection(backend.run({ x: Tensor.zeros('float32', [1, 3, 8, 30]) }, ['y']));
    expect(error.code).toBe(ErrorCode.SHAPE_MISMATCH);
    expect(error.message).toMatch(
      /No optimization profile of the engine accepts x \[1, 3, 8, 30\].*profile 1: x dims \[1, 3, 8, 30\] are outside min \[1, 3, 9, 9\] \.\. max \[4, 3, 16, 20\]/,
    );
    await backend.dispose();
  });

  it('passes TensorRT’s own profile-bound error and log lines through when a shape escapes the profile', async () => {
    const engine = await Engine.load(await planFor(mlp()));
    const context = engine.createContext();
    const x = randomArray(9 * 4, 1);
    // Native run() throws synchronously; the pool turns that into a rejection.
    const error = await rejection((async () => context.run([{ name: 'x', data: x, dims: [9, 4] }], [{ name: 'y' }], 0))());
    expect(error.code).toBe(ErrorCode.SHAPE_MISMATCH);
    expect(error.message).toContain('rejected the shape of input "x"');
    expect(error.details).toContain('exceed min ~ max range at index 0, maximum dimension in profile 0 is 8');
    // The context is still usable after the refusal.
    const [y] = await context.run([{ name: 'x', data: x.subarray(0, 8), dims: [2, 4] }], [{ name: 'y' }], 0);
    expect(y?.dims).toEqual([2, 3]);
    context.dispose();
    engine.dispose();
  });

  it('refuses to build when a dynamic input has no profile, with the builder’s log lines', async () => {
    // Straight to the native builder: buildEngine checks profiles in TypeScript first.
    const build = requireBinding().buildEngine;
    if (build === undefined) throw new Error('the sim addon has a builder');
    const error = await rejection(build(mlp().bytes, { profiles: [] }).promise);
    expect(error.code).toBe(ErrorCode.BUILD_FAILED);
    expect(error.details).toContain('Network has dynamic or shape inputs, but no optimization profile has been defined.');
    const inverted = await rejection(build(mlp().bytes, { profiles: [{ x: { min: [4, 4], opt: [2, 4], max: [8, 4] } }] }).promise);
    expect(inverted.code).toBe(ErrorCode.BUILD_FAILED);
    expect(inverted.details).toContain('violates kMIN <= kOPT <= kMAX');
  });

  it('reports parser errors for unsupported operators', async () => {
    const { buildModel } = await import('../../lib/onnx/index.js');
    const bytes = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
      nodes: [{ op: 'Erf', inputs: ['x'], outputs: ['y'] }],
    });
    const error = await rejection(buildEngine(bytes));
    expect(error.code).toBe(ErrorCode.BUILD_FAILED);
    expect(error.details).toMatch(/no importer registered for op: Erf/);
  });
});

describe('unusable plans', () => {
  it('rejects bytes that are not a plan, and too-short data, as ERR_ENGINE_CORRUPT', async () => {
    const notPlan = await rejection(Engine.load(mlp().bytes));
    expect(notPlan.code).toBe(ErrorCode.ENGINE_CORRUPT);
    expect(notPlan.message).toContain('not a TensorRT plan');
    const short = await rejection(Engine.load(new Uint8Array(10)));
    expect(short.code).toBe(ErrorCode.ENGINE_CORRUPT);
  });

  it('rejects truncated and corrupted plans with TensorRT’s log lines', async () => {
    const plan = await planFor(mlp());
    const truncated = await rejection(Engine.load(plan.subarray(0, plan.length - 17)));
    expect(truncated.code).toBe(ErrorCode.ENGINE_CORRUPT);
    expect(truncated.details).toContain('Serialization assertion plan size failed');
    const corrupted = new Uint8Array(plan);
    corrupted[corrupted.length - 40] ^= 0x55;
    const bad = await rejection(Engine.load(corrupted));
    expect(bad.code).toBe(ErrorCode.ENGINE_CORRUPT);
    expect(bad.details).toContain('checksum');
  });

  it('names both versions when the plan comes from another TensorRT', async () => {
    const plan = new Uint8Array(await planFor(mlp()));
    plan[24] = 10;
    plan[25] = 16;
    const error = await rejection(Engine.load(plan));
    expect(error.code).toBe(ErrorCode.ENGINE_INCOMPATIBLE);
    expect(error.message).toContain('built with TensorRT 10.16.0 but the loaded TensorRT library is 11.1.0');
    expect(error.message).toMatch(/Rebuild the engine/);
  });

  it('refuses plans with embedded host code unless allowHostCode is set', async () => {
    const fixture = mlp();
    const plan = await buildEngine(fixture.bytes, { profiles: profilesOf(fixture), versionCompatible: true });
    const refused = await rejection(Engine.load(plan));
    expect(refused.code).toBe(ErrorCode.ENGINE_INCOMPATIBLE);
    expect(refused.message).toContain('allowHostCode: true');
    expect(refused.details).toContain('setEngineHostCodeAllowed(true)');
    const engine = await Engine.load(plan, { allowHostCode: true });
    expect(engine.inputs[0]?.name).toBe('x');
    engine.dispose();
    // A version-compatible plan from an older 11.x runs on this library when host code is allowed.
    const older = new Uint8Array(plan);
    older[25] = 0;
    const olderEngine = await Engine.load(older, { allowHostCode: true });
    olderEngine.dispose();
    expect((await rejection(Engine.load(older))).code).toBe(ErrorCode.ENGINE_INCOMPATIBLE);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('not needed'));
    const error = await rejection(Engine.load(await planFor(mlp()), { signal: controller.signal }));
    expect(error.code).toBe(ErrorCode.ABORTED);
    expect(error.message).toBe('Engine.load was aborted: not needed');
  });

  it('validates arguments before reaching native code', async () => {
    const error = await rejection(Engine.load(42 as unknown as string));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected a file path or a Uint8Array of plan bytes for source but received 42');
    expect(requireBinding().tensorrtHeaders).toBe(true);
  });
});
