// The package as a user gets it: `npm pack`, then `npm install <tarball>` into a fresh project with
// only the npm registry. onnxruntime-node is an optional dependency whose postinstall downloads CUDA
// libraries; where that download fails, npm drops it and the install must still succeed, with the
// CPU backend reporting exactly how to add it back.
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realModels as models } from '../fixtures/real-models.js';
import { hasCudaToolkit } from '../shared/toolkit.js';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

// Without the repo's .npmrc and without inherited npm_config_* variables: a user's environment.
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'ONNXRUNTIME_NODE_INSTALL'));
  return { ...env, ...extra };
}

async function npm(args: string[], cwd: string, env = userEnv()) {
  return exec('npm', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
}

describe('npm pack + install into a fresh project', () => {
  let work: string;
  let tarball: string;
  let packed: string[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'trtn-pack-'));
    await exec('npm', ['run', 'build'], { cwd: root });
    const { stdout } = await npm(['pack', '--json', '--pack-destination', work], root);
    const [pack] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, pack.filename);
    packed = pack.files.map((file) => file.path);
  }, 300_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('ships the addon sources users build, not the simulator or the test hooks', () => {
    expect(packed).toContain('native/addon.cc');
    expect(packed).toContain('native/tensorrt/engine.cc');
    expect(packed.filter((path) => path.startsWith('native/sim/') || path.startsWith('native/testing/'))).toEqual([]);
  });

  it('installs, imports, and runs a real model once onnxruntime-node is added', async () => {
    const project = join(work, 'app');
    await exec('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    await npm(['install', '--no-audit', '--no-fund', tarball], project);
    // With a CUDA toolkit the install step builds the real addon from the shipped sources alone.
    if (hasCudaToolkit()) await access(join(project, 'node_modules', 'tensorrt-node', 'build', 'Release', 'tensorrt_node.node'));

    const probe = `
      import { cpuAvailability, InferenceSession, Tensor } from 'tensorrt-node';
      const cpu = cpuAvailability();
      if (!cpu.available) { console.log(JSON.stringify({ cpu })); process.exit(0); }
      const session = await InferenceSession.create(${JSON.stringify(models.ocrCls)});
      const out = await session.run({ x: new Tensor('float32', new Float32Array(3 * 48 * 192), [1, 3, 48, 192]) });
      await session.dispose();
      console.log(JSON.stringify({ cpu, backend: session.backend, dims: Object.values(out)[0].dims }));
    `;
    await writeFile(join(project, 'probe.mjs'), probe);
    const first = JSON.parse((await exec('node', ['probe.mjs'], { cwd: project })).stdout);
    if (!first.cpu.available) {
      // The optional dependency was dropped (its CUDA download cannot succeed here): the reason says how to fix it.
      expect(first.cpu.reason).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);
      await npm(['install', '--no-audit', '--no-fund', 'onnxruntime-node@1.30.0'], project, userEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip' }));
    }
    const second = JSON.parse((await exec('node', ['probe.mjs'], { cwd: project })).stdout);
    expect(second.cpu.available).toBe(true);
    expect(second.backend).toBe('cpu');
    expect(second.dims).toEqual([1, 2]);
  }, 600_000);
});
