// buildEngine on the simulated TensorRT: precision through lib/optimize, profiles checked in
// TypeScript, build options recorded in the plan, timing cache, progress, cancellation, external
// data, plugins, and builds that stay off libuv's pool.
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { requireBinding, simBindingPath } from '../../lib/binding.js';
import { ErrorCode } from '../../lib/errors.js';
import { buildModel, decodeModel, saveModel } from '../../lib/onnx/index.js';
import type { Feeds } from '../../lib/optimize/feeds.js';
import { type BuildProgress, buildEngine } from '../../lib/tensorrt/builder.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { Tensor } from '../../lib/tensor.js';
import { convQdq, mlp, randomArray, staticTanh } from '../fixtures/trt-models.js';
import { maxAbsDiff, referenceRun } from './trt-helpers.js';
import { rejection } from '../shared/rejection.js';

interface SimPlanRecord {
  flags: number;
  workspace: number;
  optimizationLevel: number;
  hardwareCompatibility: number;
  maxAuxStreams: number;
  timingCacheHits: number;
  timingCacheMisses: number;
  sparseLayers: number;
  hostCode: boolean;
  plugins: string[];
}

function testing() {
  const hooks = requireBinding().testing;
  if (hooks === undefined) throw new Error('the sim addon has testing hooks');
  return hooks;
}

function record(plan: Uint8Array): SimPlanRecord {
  return JSON.parse(testing().describeSimPlan(plan)) as SimPlanRecord;
}

async function runPlan(plan: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const backend = await TensorRTBackend.load(plan);
  try {
    const out = await backend.run({ x: new Tensor('float32', x, dims) }, ['y']);
    return out.y?.data as Float32Array;
  } finally {
    await backend.dispose();
  }
}

function* calibrationFeeds(count: number): Generator<Feeds> {
  for (let i = 0; i < count; i++) yield { x: new Tensor('float32', randomArray(8 * 4, 500 + i, 2), [8, 4]) };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trt-builder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('precision', () => {
  const x = randomArray(5 * 4, 42, 2);

  it('fp32, fp16 and int8 engines match the CPU backend within their precision', async () => {
    const fixture = mlp();
    const ref = (await referenceRun(fixture, { x: { dtype: 'float32', data: x, dims: [5, 4] } })).y?.data as Float32Array;
    const profiles = [{ x: { min: [1, 4], opt: [4, 4], max: [8, 4] } }];
    const fp32 = await runPlan(await buildEngine(fixture.bytes, { profiles }), x, [5, 4]);
    expect(maxAbsDiff(fp32, ref)).toBeLessThan(1e-6);
    const fp16Plan = await buildEngine(fixture.bytes, { profiles, precision: 'fp16' });
    const fp16 = await runPlan(fp16Plan, x, [5, 4]);
    expect(maxAbsDiff(fp16, ref)).toBeLessThan(5e-3);
    expect(maxAbsDiff(fp16, ref)).toBeGreaterThan(0); // really computed in half precision
    const int8Plan = await buildEngine(fixture.bytes, { profiles, precision: 'int8', calibration: [...calibrationFeeds(16)] });
    const int8 = await runPlan(int8Plan, x, [5, 4]);
    expect(maxAbsDiff(int8, ref)).toBeLessThan(0.05);
    expect(maxAbsDiff(int8, fp32)).toBeGreaterThan(0);
    const best = await runPlan(
      await buildEngine(fixture.bytes, { profiles, precision: 'best', calibration: [...calibrationFeeds(16)] }),
      x,
      [5, 4],
    );
    expect(maxAbsDiff(best, ref)).toBeLessThan(0.05);
  });

  it('int8 and best need calibration samples', async () => {
    const error = await rejection(buildEngine(mlp().bytes, { precision: 'int8' }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toMatch(/^Expected calibration samples .* for options\.calibration but received undefined/);
  });
});

describe('profiles checked before anything native runs', () => {
  const conv = convQdq().bytes; // x[n, 3, h, w]
  const cases: [string, Parameters<typeof buildEngine>[1], RegExp][] = [
    [
      'min > opt',
      { profiles: [{ x: { min: [1, 3, 8, 8], opt: [1, 3, 4, 8], max: [1, 3, 16, 16] } }] },
      /^Expected min <= opt <= max for options\.profiles\[0\]\.x dim 2 but received min 8, opt 4, max 16$/,
    ],
    [
      'opt > max',
      {
        profiles: [
          { x: { min: [1, 3, 4, 4], opt: [1, 3, 4, 4], max: [1, 3, 4, 4] } },
          { x: { min: [1, 3, 4, 4], opt: [9, 3, 4, 4], max: [8, 3, 4, 4] } },
        ],
      },
      /^Expected min <= opt <= max for options\.profiles\[1\]\.x dim 0 but received min 1, opt 9, max 8$/,
    ],
    [
      'wrong rank',
      { profiles: [{ x: { min: [1, 3, 4], opt: [1, 3, 4, 4], max: [1, 3, 4, 4] } }] },
      /^Expected 4 dims \(the rank of input x\) for options\.profiles\[0\]\.x\.min but received/,
    ],
    [
      'static dim changed',
      { profiles: [{ x: { min: [1, 3, 4, 4], opt: [1, 4, 4, 4], max: [1, 3, 4, 4] } }] },
      /^Expected 3 \(input x is static in dim 1\) for options\.profiles\[0\]\.x\.opt\[1\] but received 4$/,
    ],
    [
      'unknown input',
      { profiles: [{ x: { min: [1, 3, 4, 4], opt: [1, 3, 4, 4], max: [1, 3, 4, 4] }, z: { min: [1], opt: [1], max: [1] } }] },
      /^Expected an input of the model \(x\) for options\.profiles\[0\]\.z but received "z"$/,
    ],
    [
      'dynamic input not covered',
      { profiles: [{}] },
      /^Expected dims for dynamic input x \[\?, 3, \?, \?\] in options\.profiles\[0\] but received none$/,
    ],
    [
      'negative dim',
      { profiles: [{ x: { min: [-1, 3, 4, 4], opt: [1, 3, 4, 4], max: [1, 3, 4, 4] } }] },
      /^Expected an array of non-negative integers for options\.profiles\[0\]\.x\.min but received/,
    ],
    [
      'no profile for a model dynamic beyond the batch',
      {},
      /^Expected options\.profiles or options\.shapes for options but received none: input x has dynamic dims \[\?, 3, \?, \?\] beyond the batch dim/,
    ],
    [
      'profiles and shapes',
      { profiles: [], shapes: { x: [1, 3, 4, 4] } },
      /^Expected either options\.profiles or options\.shapes for options but received both$/,
    ],
    [
      'shapes with a static dim changed',
      { shapes: { x: [1, 2, 4, 4] } },
      /^Expected 3 \(input x is static in dim 1\) for options\.shapes\.x\[1\] but received 2$/,
    ],
  ];
  for (const [name, options, message] of cases) {
    it(name, async () => {
      const error = await rejection(buildEngine(conv, options));
      expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(error.message).toMatch(message);
    });
  }

  it('rejects bad build options with their names', async () => {
    const bad: [Parameters<typeof buildEngine>[1], string][] = [
      [{ optimizationLevel: 6 }, 'options.optimizationLevel'],
      [{ workspace: -1 }, 'options.workspace'],
      [{ hardwareCompatibility: 'turing+' as never }, 'options.hardwareCompatibility'],
      [{ precision: 'fp8' as never }, 'options.precision'],
      [{ maxAuxStreams: 1.5 }, 'options.maxAuxStreams'],
      [{ plugins: [''] }, 'options.plugins'],
      [{ excludeLeanRuntime: true }, 'options.excludeLeanRuntime'],
    ];
    for (const [options, name] of bad) {
      const error = await rejection(buildEngine(staticTanh().bytes, options));
      expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(error.message).toContain(`for ${name}`);
    }
  });

  it('shapes is one fixed profile; a batch-only dynamic model gets batch 1..16', async () => {
    const fixed = await Engine.load(await buildEngine(convQdq().bytes, { shapes: { x: [2, 3, 8, 8] } }));
    expect(fixed.profiles[0]?.inputs.x).toEqual({ min: [2, 3, 8, 8], opt: [2, 3, 8, 8], max: [2, 3, 8, 8] });
    fixed.dispose();
    const batch = await Engine.load(await buildEngine(mlp().bytes));
    expect(batch.profiles[0]?.inputs.x).toEqual({ min: [1, 4], opt: [1, 4], max: [16, 4] });
    batch.dispose();
  });
});

describe('build options reach the builder', () => {
  it('records workspace, optimization level, hardware compatibility, aux streams, version compatibility and sparsity', async () => {
    const plan = await buildEngine(staticTanh().bytes, {
      workspace: 1 << 20,
      optimizationLevel: 5,
      hardwareCompatibility: 'ampere+',
      maxAuxStreams: 2,
      versionCompatible: true,
      excludeLeanRuntime: true,
      sparsity: true,
    });
    const r = record(plan);
    expect(r).toMatchObject({ workspace: 1 << 20, optimizationLevel: 5, hardwareCompatibility: 1, maxAuxStreams: 2, hostCode: false });
    // kSPARSE_WEIGHTS = 7, kVERSION_COMPATIBLE = 12, kEXCLUDE_LEAN_RUNTIME = 13
    expect(r.flags).toBe((1 << 7) | (1 << 12) | (1 << 13));
    const defaults = record(await buildEngine(staticTanh().bytes));
    expect(defaults).toMatchObject({ flags: 0, optimizationLevel: 3, hardwareCompatibility: 0, maxAuxStreams: -1 });
  });

  it('sparsity finds layers whose weights have the 2:4 pattern', async () => {
    const w = Float32Array.from({ length: 8 * 2 }, (_, i) => (Math.floor(i / 2) % 2 === 0 ? i + 1 : 0)); // rows k: pairs zero
    const model = (weights: Float32Array) =>
      buildModel({
        inputs: [{ name: 'x', dtype: 'float32', dims: [1, 8] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2] }],
        initializers: [{ name: 'W', dtype: 'float32', dims: [8, 2], data: weights }],
        nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
      });
    expect(record(await buildEngine(model(w), { sparsity: true })).sparseLayers).toBe(1);
    expect(record(await buildEngine(model(w))).sparseLayers).toBe(0);
    expect(record(await buildEngine(model(Float32Array.from({ length: 16 }, (_, i) => i + 1)), { sparsity: true })).sparseLayers).toBe(0);
  });

  it('fails with the loader’s reason when a plugin library cannot be loaded', async () => {
    const error = await rejection(buildEngine(staticTanh().bytes, { plugins: [join(dir, 'missing-plugin.so')] }));
    expect(error.code).toBe(ErrorCode.BUILD_FAILED);
    expect(error.message).toContain('missing-plugin.so');
    expect(error.details).toMatch(/could not load plugin library .*missing-plugin\.so/);
    // A library that is not a plugin library (no creator entry points) is refused too.
    const notPlugin = await rejection(buildEngine(staticTanh().bytes, { plugins: ['libm.so.6'] }));
    expect(notPlugin.details).toContain('exports neither getCreators nor getPluginCreators');
  });

  it('loads a plugin library before parsing and records it in the plan', async () => {
    // The smallest plugin library TensorRT accepts: the creator entry point, with no creators.
    const source = join(dir, 'plugin.c');
    const library = join(dir, 'libtrtn_test_plugin.so');
    await writeFile(source, 'void* const* getPluginCreators(int* count) { *count = 0; return 0; }\n');
    execFileSync(process.env.CC ?? 'cc', ['-shared', '-fPIC', '-o', library, source]);
    const plan = await buildEngine(staticTanh().bytes, { plugins: [library] });
    expect(record(plan).plugins).toContain(library);
  });

  it('reads weights stored as external data next to the model', async () => {
    const fixture = mlp();
    const folder = await mkdtemp(join(dir, 'external-'));
    const path = join(folder, 'mlp.onnx');
    await saveModel(decodeModel(fixture.bytes), path, { externalData: { location: 'mlp.weights', threshold: 0 } });
    expect(await readdir(folder)).toContain('mlp.weights');
    const x = randomArray(3 * 4, 7, 2);
    const ref = (await referenceRun(fixture, { x: { dtype: 'float32', data: x, dims: [3, 4] } })).y?.data as Float32Array;
    expect(maxAbsDiff(await runPlan(await buildEngine(path), x, [3, 4]), ref)).toBeLessThan(1e-6);
    // From bytes the parser has no folder to look in: it says which file it could not find.
    const error = await rejection(buildEngine(await readFile(path)));
    expect(error.code).toBe(ErrorCode.BUILD_FAILED);
    expect(error.details).toContain('no model path was given to find mlp.weights');
  });

  it('names the node and op when the parser rejects the model', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
      nodes: [{ op: 'Erf', name: 'the_erf', inputs: ['x'], outputs: ['y'] }],
    });
    const error = await rejection(buildEngine(bytes));
    expect(error.code).toBe(ErrorCode.BUILD_FAILED);
    expect(error.details).toMatch(/\[parser\] .*\(node 0 the_erf: Erf\)/);
  });
});

describe('timing cache', () => {
  it('is saved after a build and reused by the next, atomically', async () => {
    const cache = join(dir, 'timing.cache');
    const first = record(await buildEngine(convQdq().bytes, { shapes: { x: [1, 3, 8, 8] }, timingCache: cache }));
    expect(first.timingCacheHits).toBe(0);
    expect(first.timingCacheMisses).toBeGreaterThan(0);
    const saved = await readFile(cache);
    expect(saved.subarray(0, 4).toString()).toBe('TSTC');
    const second = record(await buildEngine(convQdq().bytes, { shapes: { x: [1, 3, 8, 8] }, timingCache: cache }));
    expect(second).toMatchObject({ timingCacheHits: first.timingCacheMisses, timingCacheMisses: 0 });
    // Other shapes are new timings; the file keeps the old ones too.
    const third = record(await buildEngine(convQdq().bytes, { shapes: { x: [1, 3, 16, 16] }, timingCache: cache }));
    expect(third.timingCacheMisses).toBeGreaterThan(0);
    expect((await readFile(cache)).length).toBeGreaterThan(saved.length);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('builds sharing one file keep each other’s timings', async () => {
    const cache = join(dir, 'shared.cache');
    // Both builds load the (absent) file before either saves: held at their first step.
    const release = testing().holdBuilds();
    const started: Promise<void>[] = [];
    const builds = [8, 16].map((size) => {
      let stepped!: () => void;
      started.push(new Promise<void>((resolve) => (stepped = resolve)));
      return buildEngine(convQdq().bytes, {
        shapes: { x: [1, 3, size, size] },
        timingCache: cache,
        onProgress: (p) => p.kind === 'step' && stepped(),
      });
    });
    await Promise.all(started);
    release();
    await Promise.all(builds);
    for (const size of [8, 16]) {
      const again = record(await buildEngine(convQdq().bytes, { shapes: { x: [1, 3, size, size] }, timingCache: cache }));
      expect(again.timingCacheMisses).toBe(0);
    }
    expect((await readdir(dir)).filter((name) => name.startsWith('shared.cache.'))).toEqual([]);
  });

  it('replaces an unreadable cache with a warning', async () => {
    const cache = join(dir, 'broken.cache');
    await writeFile(cache, 'not a timing cache');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await buildEngine(staticTanh().bytes, { timingCache: cache });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.join('\n')).toContain('The timing cache could not be read and was replaced');
    expect((await readFile(cache)).subarray(0, 4).toString()).toBe('TSTC');
  });
});

describe('progress and cancellation', () => {
  it('reports phases and steps in order', async () => {
    const events: BuildProgress[] = [];
    await buildEngine(convQdq().bytes, {
      profiles: convQdq().profiles.map((p) => Object.fromEntries(Object.entries(p).map(([k, [min, opt, max]]) => [k, { min, opt, max }]))),
      onProgress: (p) => events.push(p),
    });
    expect(events[0]).toMatchObject({ kind: 'start', phase: 'Building engine', parent: undefined, step: 0, steps: 2 });
    const tactic = events.filter((e) => e.phase === 'Tactic selection');
    expect(tactic[0]).toMatchObject({ kind: 'start', parent: 'Building engine', step: 0 });
    const steps = tactic.filter((e) => e.kind === 'step').map((e) => e.step);
    expect(steps).toEqual(Array.from({ length: tactic[0]?.steps ?? 0 }, (_, i) => i + 1));
    expect(tactic.at(-1)?.kind).toBe('finish');
    expect(events.at(-1)).toMatchObject({ kind: 'finish', phase: 'Building engine', step: 2 });
    // The child phase sits inside its parent.
    const parentStart = events.findIndex((e) => e.phase === 'Building engine' && e.kind === 'start');
    const parentFinish = events.findIndex((e) => e.phase === 'Building engine' && e.kind === 'finish');
    expect(events.findIndex((e) => e.phase === 'Tactic selection')).toBeGreaterThan(parentStart);
    expect(events.findLastIndex((e) => e.phase === 'Tactic selection')).toBeLessThan(parentFinish);
  });

  it('an abort mid-build makes stepComplete answer false: ERR_ABORTED and no output file', async () => {
    const release = testing().holdBuilds();
    const controller = new AbortController();
    const output = join(dir, 'aborted.plan');
    let firstStep!: () => void;
    const stepped = new Promise<void>((resolve) => (firstStep = resolve));
    const events: BuildProgress[] = [];
    const build = rejection(
      buildEngine(mlp().bytes, {
        signal: controller.signal,
        output,
        onProgress: (p) => {
          events.push(p);
          if (p.kind === 'step') firstStep();
        },
      }),
    );
    await stepped;
    controller.abort(new Error('user pressed Ctrl-C'));
    release();
    const error = await build;
    expect(error.code).toBe(ErrorCode.ABORTED);
    // The builder stopped at the step it was on: one step reported, then only the phases closing.
    expect(events.filter((e) => e.kind === 'step')).toHaveLength(1);
    expect(events.slice(-2).map((e) => `${e.kind} ${e.phase}`)).toEqual(['finish Tactic selection', 'finish Building engine']);
    expect(error.message).toContain('user pressed Ctrl-C');
    expect(await readdir(dir)).not.toContain('aborted.plan');
  });

  it('an already aborted signal never starts a build', async () => {
    const events: BuildProgress[] = [];
    const error = await rejection(buildEngine(mlp().bytes, { signal: AbortSignal.abort(), onProgress: (p) => events.push(p) }));
    expect(error.code).toBe(ErrorCode.ABORTED);
    expect(events).toEqual([]);
  });

  it('builds run on threads of their own, not on libuv’s pool', async () => {
    // Five builds held mid-way would take every pool thread (four) if they ran there, and the file
    // read below could never finish.
    const release = testing().holdBuilds();
    try {
      const started: Promise<void>[] = [];
      const builds = Array.from({ length: 5 }, () => {
        let stepped!: () => void;
        started.push(new Promise<void>((resolve) => (stepped = resolve)));
        return buildEngine(mlp().bytes, { onProgress: (p) => p.kind === 'step' && stepped() });
      });
      await Promise.all(started);
      const text = await readFile(new URL(import.meta.url));
      expect(text.length).toBeGreaterThan(0);
      release();
      expect((await Promise.all(builds)).every((plan) => plan.length > 0)).toBe(true);
    } finally {
      release();
    }
  });

  it('terminating a worker in the middle of its build neither hangs nor crashes the process', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const binding = require(workerData.path);
      binding.testing.holdBuilds(); // never released: only the worker's teardown ends the build
      let told = false;
      binding.buildEngine(workerData.onnx, { profiles: [] }, (kind) => {
        if (kind === 'step' && !told) { told = true; parentPort.postMessage('building'); }
      }).promise.catch(() => undefined);
    `;
    const worker = new Worker(code, { eval: true, workerData: { path: simBindingPath(), onnx: staticTanh().bytes } });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    // The process goes on building.
    expect((await buildEngine(staticTanh().bytes)).length).toBeGreaterThan(0);
  });

  it('writes options.output atomically', async () => {
    const output = join(dir, 'static.plan');
    const plan = await buildEngine(staticTanh().bytes, { output });
    expect(new Uint8Array(await readFile(output))).toEqual(new Uint8Array(plan));
  });
});
