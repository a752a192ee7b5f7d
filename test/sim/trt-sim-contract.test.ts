// The simulated TensorRT itself must enforce TensorRT's contract and fail as TensorRT fails
// (false/nullptr plus a logger error) for misuse the addon never commits: this runs the C++
// contract check built with the simulator (native/sim/tensorrt/test/contract_test.cc).
import './use-sim.js';

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { mlp } from '../fixtures/trt-models.js';

it('passes every contract check of the simulated TensorRT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trt-contract-'));
  try {
    const model = join(dir, 'mlp.onnx');
    await writeFile(model, mlp().bytes);
    const program = join(dirname(simBindingPath()), 'trtn_sim_contract_test');
    const { stdout } = await promisify(execFile)(program, [model], { timeout: 60_000 }).catch((error: { stdout?: string }) => {
      throw new Error(`contract check failed:\n${error.stdout ?? String(error)}`);
    });
    const lines = stdout.trim().split('\n');
    expect(
      lines.filter((line) => !line.startsWith('ok ')),
      stdout,
    ).toEqual(['0 failed']);
    expect(lines.length).toBeGreaterThan(25);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
