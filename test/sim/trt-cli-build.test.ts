// `tensorrt-node build` and `tensorrt-node cache` on the simulated TensorRT (the built CLI in a
// child process): trtexec-style flags and their aliases, the summary, Ctrl-C, and the cache commands.
import './use-sim.js';

import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireBinding } from '../../lib/binding.js';
import { encodeNpy } from '../../lib/npy.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { cachedBuild, listCache } from '../../lib/tensorrt/engine-cache.js';
import { Tensor } from '../../lib/tensor.js';
import { ensureBuilt, runCli, startHeldBuild } from '../cli/cli-helper.js';
import { convQdq, mlp, randomArray, staticTanh } from '../fixtures/trt-models.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trt-cli-build-'));
  await writeFile(join(dir, 'mlp.onnx'), mlp().bytes);
  await writeFile(join(dir, 'conv.onnx'), convQdq().bytes);
  await ensureBuilt();
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

function simRecord(plan: Uint8Array): Record<string, unknown> {
  return JSON.parse(requireBinding().testing?.describeSimPlan(plan) ?? '{}') as Record<string, unknown>;
}

describe('tensorrt-node build', () => {
  it('builds with a dynamic profile and prints a summary; inspect reads the plan back', async () => {
    const output = join(dir, 'conv.plan');
    const result = await runCli([
      'build',
      join(dir, 'conv.onnx'),
      '-o',
      output,
      '--min-shapes',
      'x:1x3x4x4',
      '--opt-shapes',
      'x:1x3x8x8',
      '--max-shapes',
      'x:2x3x16x16',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^wrote .*conv\.plan \(.+\) in \d+\.\d\d s, precision fp32$/m);
    expect(result.stdout).toContain('input  x: float32 [?, 3, ?, ?]');
    expect(result.stdout).toContain('profile 0: x min [1, 3, 4, 4] opt [1, 3, 8, 8] max [2, 3, 16, 16]');
    const inspect = await runCli(['inspect', output, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    const report = JSON.parse(inspect.stdout) as {
      profiles: unknown[];
      simulatorBuild: { optimizationLevel: number; timingCacheMisses: number };
    };
    expect(report.profiles).toEqual([{ index: 0, inputs: { x: { min: [1, 3, 4, 4], opt: [1, 3, 8, 8], max: [2, 3, 16, 16] } } }]);
    // The simulator's plan says how it was built.
    expect(report.simulatorBuild).toMatchObject({ optimizationLevel: 3 });
    expect(report.simulatorBuild.timingCacheMisses).toBeGreaterThan(0);
  });

  it('accepts trtexec’s spellings and passes every option to the builder', async () => {
    const output = join(dir, 'aliases.plan');
    const cache = join(dir, 'aliases.timing');
    const result = await runCli([
      'build',
      join(dir, 'mlp.onnx'),
      `--saveEngine=${output}`,
      '--minShapes=x:1x4',
      '--optShapes=x:2x4',
      '--maxShapes=x:4x4',
      '--memPoolSize=workspace:1',
      `--timingCacheFile=${cache}`,
      '--fp16',
      '--builderOptimizationLevel=2',
      '--hardwareCompatibilityLevel=ampere+',
      '--maxAuxStreams=3',
      '--sparsity=enable',
      '--versionCompatible',
      '--excludeLeanRuntime',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { precision: string; planBytes: number; profiles: unknown[]; timingCache: string };
    expect(summary).toMatchObject({ precision: 'fp16', timingCache: cache, profiles: [{ x: { min: [1, 4], opt: [2, 4], max: [4, 4] } }] });
    const plan = new Uint8Array(await readFile(output));
    expect(plan.length).toBe(summary.planBytes);
    expect(simRecord(plan)).toMatchObject({
      workspace: 1024 * 1024,
      optimizationLevel: 2,
      hardwareCompatibility: 1,
      maxAuxStreams: 3,
      flags: (1 << 7) | (1 << 12) | (1 << 13),
    });
    expect((await readFile(cache)).subarray(0, 4).toString()).toBe('TSTC');
  });

  it('builds int8 from a folder of calibration samples', async () => {
    const samples = join(dir, 'calibration');
    await mkdir(samples);
    for (let i = 0; i < 8; i++)
      await writeFile(join(samples, `${i}.npy`), encodeNpy(new Tensor('float32', randomArray(8 * 4, 900 + i, 2), [8, 4])));
    const output = join(dir, 'int8.plan');
    const result = await runCli(['build', join(dir, 'mlp.onnx'), '-o', output, '--int8', '--calibration', samples, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ precision: 'int8' });
    const engine = await Engine.load(new Uint8Array(await readFile(output)));
    expect(engine.layers).toBeGreaterThan(3); // Q/DQ pairs around the Gemm
    engine.dispose();
  });

  it('reports bad flags and profile errors with their codes', async () => {
    const badSpec = await runCli(['build', join(dir, 'mlp.onnx'), '--shapes', 'x=1x4']);
    expect(badSpec.code).toBe(1);
    expect(lastLine(badSpec.stderr)).toMatch(
      /^error \[ERR_INVALID_ARGUMENT\]: Expected input:dims items like x:1x3x224x224 \(comma separated\) for --shapes but received "x=1x4"$/,
    );
    const noProfile = await runCli(['build', join(dir, 'conv.onnx')]);
    expect(noProfile.code).toBe(1);
    expect(lastLine(noProfile.stderr)).toContain('input x has dynamic dims [?, 3, ?, ?] beyond the batch dim');
    expect(await readdir(dir)).not.toContain('conv.plan.tmp');
    const partial = await runCli(['build', join(dir, 'mlp.onnx'), '--min-shapes', 'x:1x4', '--max-shapes', 'x:4x4']);
    expect(lastLine(partial.stderr)).toContain('--opt-shapes');
  });

  it('Ctrl-C cancels the build and leaves no file behind', async () => {
    const folder = await mkdtemp(join(dir, 'sigint-'));
    const output = join(folder, 'never.plan');
    const held = await startHeldBuild(['build', join(dir, 'mlp.onnx'), '-o', output]);
    const { code, stderr } = await held.interrupt();
    expect(code).toBe(1);
    expect(lastLine(stderr)).toMatch(/^error \[ERR_ABORTED\]: The operation was aborted: interrupted \(Ctrl-C\)$/);
    expect(await readdir(folder)).toEqual([]);
  });
});

describe('tensorrt-node cache', () => {
  it('lists, prunes and clears', async () => {
    const cacheDir = await mkdtemp(join(dir, 'cache-'));
    const open = async (plan: Uint8Array) => plan.length;
    await cachedBuild(staticTanh().bytes, { cacheDir }, open);
    await cachedBuild(mlp().bytes, { cacheDir }, open);
    const list = await runCli(['cache', 'list', '--dir', cacheDir, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { entries: { key: string; model: string; precision: string }[]; totalBytes: number };
    expect(listed.entries.map((e) => e.key).sort()).toEqual((await listCache(cacheDir)).map((e) => e.key).sort());
    expect(listed.entries[0]).toMatchObject({ model: '(bytes)', precision: 'fp32' });
    const text = await runCli(['cache', 'list', '--dir', cacheDir]);
    expect(text.stdout).toContain(`${cacheDir}: 2 engines`);
    const pruned = await runCli([
      'cache',
      'prune',
      '--dir',
      cacheDir,
      '--max-bytes',
      String(Math.max(...(await listCache(cacheDir)).map((e) => e.size))),
      '--json',
    ]);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect((JSON.parse(pruned.stdout) as { removed: unknown[] }).removed).toHaveLength(1);
    const cleared = await runCli(['cache', 'clear', '--dir', cacheDir]);
    expect(cleared.stdout).toContain('removed 1 engine');
    expect(await readdir(cacheDir)).toEqual([]);
  });
});
