// The engine cache on the simulated TensorRT: hit and miss, keys that follow the options, two
// processes racing on one key, damaged entries rebuilt, LRU pruning, and InferenceSession over
// ONNX models building through it.
import './use-sim.js';

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode } from '../../lib/errors.js';
import { InferenceSession } from '../../lib/session.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { cachedBuild, clearCache, listCache, pruneCache } from '../../lib/tensorrt/engine-cache.js';
import { Tensor } from '../../lib/tensor.js';
import { ensureBuilt, root } from '../cli/cli-helper.js';
import { convQdq, mlp, randomArray, staticTanh } from '../fixtures/trt-models.js';
import { maxAbsDiff, referenceRun } from './trt-helpers.js';
import { expectCode } from '../shared/rejection.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trt-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function newCacheDir(name: string): Promise<string> {
  return mkdtemp(join(dir, `${name}-`));
}

const openEngine = async (plan: Uint8Array) => {
  const engine = await Engine.load(plan);
  const profiles = engine.profiles.length;
  engine.dispose();
  return profiles;
};

async function captureWarnings<T>(work: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on('warning', onWarning);
  try {
    const value = await work();
    await new Promise((resolve) => setImmediate(resolve));
    return { value, warnings };
  } finally {
    process.off('warning', onWarning);
  }
}

describe('engine cache', () => {
  it('misses, then hits; other options are another entry', async () => {
    const cacheDir = await newCacheDir('hit');
    const model = join(dir, 'mlp.onnx');
    await writeFile(model, mlp().bytes);
    const first = await cachedBuild(model, { cacheDir }, openEngine);
    expect(first.hit).toBe(false);
    let steps = 0;
    const second = await cachedBuild(model, { cacheDir, onProgress: () => steps++ }, openEngine);
    expect(second).toMatchObject({ hit: true, key: first.key, value: 1 });
    expect(steps).toBe(0);
    // Option order does not matter; option values do.
    const a = await cachedBuild(model, { cacheDir, shapes: { x: [2, 4] }, optimizationLevel: 2 }, openEngine);
    const b = await cachedBuild(model, { cacheDir, optimizationLevel: 2, shapes: { x: [2, 4] } }, openEngine);
    expect(a.hit).toBe(false);
    expect(b).toMatchObject({ hit: true, key: a.key });
    // The same bytes from memory are the same model.
    expect((await cachedBuild(mlp().bytes, { cacheDir }, openEngine)).key).toBe(first.key);
    const entries = await listCache(cacheDir);
    expect(entries.map((e) => e.key).sort()).toEqual([first.key, a.key].sort());
    expect(entries[0]?.key).toBe(first.key); // most recently used first
    expect(((await stat(cacheDir)).mode & 0o777).toString(8)).toBe('700');
  });

  it('rebuilds an entry whose plan fails its checksum, with a warning', async () => {
    const cacheDir = await newCacheDir('corrupt');
    const first = await cachedBuild(staticTanh().bytes, { cacheDir }, openEngine);
    const plan = await readFile(first.planPath);
    plan[plan.length - 3] = (plan[plan.length - 3] as number) ^ 0xff;
    await writeFile(first.planPath, plan);
    const { value, warnings } = await captureWarnings(() => cachedBuild(staticTanh().bytes, { cacheDir }, openEngine));
    expect(value.hit).toBe(false);
    expect(warnings.join('\n')).toContain('is damaged (checksum mismatch) and is rebuilt');
    expect((await cachedBuild(staticTanh().bytes, { cacheDir }, openEngine)).hit).toBe(true);
  });

  it('rebuilds an entry TensorRT refuses to deserialize, with a warning', async () => {
    const cacheDir = await newCacheDir('refused');
    const first = await cachedBuild(staticTanh().bytes, { cacheDir }, openEngine);
    // A plan that passes the cache's own checksum but not TensorRT: rewrite plan and meta together.
    const garbage = new TextEncoder().encode('ftrt but not really a plan at all, just bytes');
    const metaPath = first.planPath.replace(/\.plan$/, '.json');
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { sha256: string; size: number };
    const { createHash } = await import('node:crypto');
    await writeFile(first.planPath, garbage);
    await writeFile(
      metaPath,
      JSON.stringify({ ...meta, sha256: createHash('sha256').update(garbage).digest('hex'), size: garbage.length }),
    );
    const { value, warnings } = await captureWarnings(() => cachedBuild(staticTanh().bytes, { cacheDir }, openEngine));
    expect(value.hit).toBe(false);
    expect(warnings.join('\n')).toMatch(/could not be loaded and is rebuilt/);
    expect((await readFile(first.planPath)).length).toBeGreaterThan(garbage.length);
  });

  it('prunes least recently used entries past the size limit, never the one just built', async () => {
    const cacheDir = await newCacheDir('prune');
    const a = await cachedBuild(mlp().bytes, { cacheDir, shapes: { x: [1, 4] } }, openEngine);
    const b = await cachedBuild(mlp().bytes, { cacheDir, shapes: { x: [2, 4] } }, openEngine);
    await cachedBuild(mlp().bytes, { cacheDir, shapes: { x: [1, 4] } }, openEngine); // a is used again: b is now the oldest
    const sizes = (await listCache(cacheDir)).map((e) => e.size);
    const limit = Math.max(...sizes) + 1; // room for one entry only
    const c = await cachedBuild(mlp().bytes, { cacheDir, shapes: { x: [3, 4] }, maxCacheBytes: limit }, openEngine);
    expect((await listCache(cacheDir)).map((e) => e.key)).toEqual([c.key]);
    expect([a.key, b.key]).not.toContain(c.key);
    // Pruning by hand, and clearing.
    await cachedBuild(mlp().bytes, { cacheDir, shapes: { x: [1, 4] } }, openEngine);
    const pruned = await pruneCache(cacheDir, 0);
    expect(pruned.removed).toHaveLength(2);
    await cachedBuild(mlp().bytes, { cacheDir }, openEngine);
    expect(await clearCache(cacheDir)).toBe(1);
    expect(await readdir(cacheDir)).toEqual([]);
  });
});

describe('two processes after one key', () => {
  function start(args: string[]): { child: ChildProcessWithoutNullStreams; next: () => Promise<Record<string, unknown>> } {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/cache-race.mjs', import.meta.url)), ...args], {
      env: { ...process.env, TENSORRT_NODE_BINDING: 'sim' },
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    return {
      child,
      next: async () => {
        const line = await lines.next();
        if (line.done) throw new Error('the process ended early');
        return JSON.parse(line.value) as Record<string, unknown>;
      },
    };
  }

  beforeAll(ensureBuilt, 300_000);

  it('the second waits for the first’s build and reuses it', async () => {
    const cacheDir = await newCacheDir('race');
    const model = join(dir, 'race.onnx');
    await writeFile(model, mlp().bytes);
    const dist = join(root, 'dist');
    const first = start([dist, model, cacheDir, 'hold']);
    expect(await first.next()).toEqual({ event: 'building' }); // holds the lock, stopped mid-build
    const second = start([dist, model, cacheDir, 'plain']);
    expect(await second.next()).toEqual({ event: 'waiting' });
    first.child.stdin.end('go\n');
    const firstDone = await first.next();
    const secondDone = await second.next();
    expect(firstDone).toMatchObject({ event: 'done', hit: false });
    expect(secondDone).toMatchObject({ event: 'done', hit: true, steps: 0, size: firstDone.size });
    expect((await listCache(cacheDir)).length).toBe(1);
    expect((await readdir(cacheDir)).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp'))).toEqual([]);
  }, 180_000);
});

describe('InferenceSession over ONNX models on TensorRT', () => {
  it('builds with the default batch profile, and a second create takes the engine from the cache', async () => {
    const cacheDir = await newCacheDir('session');
    let steps = 0;
    const options = { tensorrt: { cacheDir, onProgress: () => steps++ } };
    await using first = await InferenceSession.create(mlp().bytes, options);
    expect(first.backend).toBe('tensorrt');
    expect(steps).toBeGreaterThan(0);
    steps = 0;
    await using second = await InferenceSession.create(mlp().bytes, options);
    expect(second.backend).toBe('tensorrt');
    expect(steps).toBe(0);
    const x = randomArray(16 * 4, 3, 2);
    const out = await second.run({ x: new Tensor('float32', x, [16, 4]) });
    const ref = await referenceRun(mlp(), { x: { dtype: 'float32', data: x, dims: [16, 4] } });
    expect(maxAbsDiff(out.y?.data as Float32Array, ref.y?.data as Float32Array)).toBeLessThan(1e-6);
  });

  it('models dynamic beyond the batch: auto stays on the CPU and says why; tensorrt asks for profiles', async () => {
    const cacheDir = await newCacheDir('dynamic');
    await using auto = await InferenceSession.create(convQdq().bytes, { tensorrt: { cacheDir } });
    expect(auto.backend).toBe('cpu');
    expect(auto.fallbackReason).toBe('TensorRT needs optimization profiles for this model.');
    expect(auto.fallbackDetails).toBe(
      'input x has dynamic dims [?, 3, ?, ?] beyond the batch dim: pass options.tensorrt.profiles or options.tensorrt.shapes',
    );
    await expectCode(
      InferenceSession.create(convQdq().bytes, { backend: 'tensorrt', tensorrt: { cacheDir } }),
      ErrorCode.INVALID_ARGUMENT,
      'Expected options.tensorrt.profiles or options.tensorrt.shapes for options.tensorrt but received none: input x has dynamic dims [?, 3, ?, ?] beyond the batch dim: pass options.tensorrt.profiles or options.tensorrt.shapes',
    );
    await using shaped = await InferenceSession.create(convQdq().bytes, {
      backend: 'tensorrt',
      tensorrt: { cacheDir, profiles: [{ x: { min: [1, 3, 4, 4], opt: [1, 3, 8, 8], max: [2, 3, 16, 16] } }] },
    });
    expect(shaped.backend).toBe('tensorrt');
  });

  it('fp16 and int8 sessions run and match the CPU within their precision', async () => {
    const cacheDir = await newCacheDir('precision');
    const x = randomArray(4 * 4, 9, 2);
    const ref = (await referenceRun(mlp(), { x: { dtype: 'float32', data: x, dims: [4, 4] } })).y?.data as Float32Array;
    const calibration = Array.from({ length: 8 }, (_, i) => ({ x: new Tensor('float32', randomArray(8 * 4, 700 + i, 2), [8, 4]) }));
    for (const [precision, tolerance] of [
      ['fp16', 5e-3],
      ['int8', 0.05],
    ] as const) {
      await using session = await InferenceSession.create(mlp().bytes, {
        backend: 'tensorrt',
        tensorrt: { cacheDir, precision, calibration },
      });
      const out = await session.run({ x: new Tensor('float32', x, [4, 4]) });
      expect(maxAbsDiff(out.y?.data as Float32Array, ref)).toBeLessThan(tolerance);
    }
    expect((await listCache(cacheDir)).map((e) => e.precision).sort()).toEqual(['fp16', 'int8']);
  });
});
