// `tensorrt-node inspect model.plan` on the simulated TensorRT (the built CLI in a child process).
import './use-sim.js';

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { mlp } from '../fixtures/trt-models.js';
import { ensureBuilt, expectedError, runCli } from '../cli/cli-helper.js';
import { planFor } from './trt-helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trt-cli-'));
  await ensureBuilt();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('describes a plan: version, I/O, profiles and memory, as text and as JSON', async () => {
  const path = join(dir, 'mlp.plan');
  await writeFile(path, await planFor(mlp()));
  const text = await runCli(['inspect', path]);
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout).toContain('TensorRT engine "mlp" (TensorRT 11.1.0)');
  expect(text.stdout).toContain('input x: float32 [?, 4]');
  expect(text.stdout).toContain('x: min [1, 4] opt [4, 4] max [8, 4]');
  const json = await runCli(['inspect', path, '--json']);
  expect(json.code, json.stderr).toBe(0);
  const report = JSON.parse(json.stdout) as { tensorrtVersion: string; inputs: { name: string; shape: number[] }[]; profiles: unknown[] };
  expect(report.tensorrtVersion).toBe('11.1.0');
  expect(report.inputs[0]).toMatchObject({ name: 'x', shape: [-1, 4] });
  expect(report.profiles).toHaveLength(1);
});

it('reports a damaged plan with its error code', async () => {
  const path = join(dir, 'broken.plan');
  await writeFile(path, (await planFor(mlp())).subarray(0, 60));
  const result = await runCli(['inspect', path]);
  expect(result.code).not.toBe(0);
  expect(expectedError(result)?.code).toBe('ERR_ENGINE_CORRUPT');
});
