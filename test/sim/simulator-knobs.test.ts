// The simulator's environment knobs reproduce machines without a device, without a driver and
// with little memory. Each runs in a child process: the simulator reads them once per process.
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';

const entryPoints = fileURLToPath(new URL('../shared/entry-points.cjs', import.meta.url));
const memoryCap = fileURLToPath(new URL('./fixtures/memory-cap.cjs', import.meta.url));

function runChild(script: string, env: Record<string, string>, execArgv: string[] = []): Record<string, unknown> {
  const output = execFileSync(process.execPath, [...execArgv, script, simBindingPath()], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(output) as Record<string, unknown>;
}

interface EntryPointReport {
  cudaInfo: { available: boolean; driverVersion: number; error?: { name: string; code: string } };
  outcomes: Record<string, { ok: boolean; isCodedError: boolean; code: string; message: string; details: string }>;
}

function expectEveryEntryPointToFail(report: EntryPointReport, errorName: string): void {
  expect(report.cudaInfo.available).toBe(false);
  expect(report.cudaInfo.error?.name).toBe(errorName);
  for (const [name, outcome] of Object.entries(report.outcomes)) {
    expect(outcome, name).toMatchObject({ ok: false, isCodedError: true, code: 'ERR_CUDA' });
    expect(outcome.message, name).toContain(errorName);
    expect(outcome.details, name).toMatch(new RegExp(`^${errorName}: `));
  }
}

describe('simulator knobs', () => {
  it('without a device, every entry point fails with ERR_CUDA naming cudaErrorNoDevice', () => {
    const report = runChild(entryPoints, { TENSORRT_NODE_SIM_DEVICES: '0' }) as unknown as EntryPointReport;
    expectEveryEntryPointToFail(report, 'cudaErrorNoDevice');
  });

  it('without a driver, every entry point fails with ERR_CUDA naming cudaErrorInsufficientDriver', () => {
    const report = runChild(entryPoints, { TENSORRT_NODE_SIM_DRIVER_VERSION: '0' }) as unknown as EntryPointReport;
    expect(report.cudaInfo.driverVersion).toBe(0);
    expectEveryEntryPointToFail(report, 'cudaErrorInsufficientDriver');
  });

  it('enforces the device memory cap with ERR_OUT_OF_MEMORY, and finalizers give memory back', () => {
    const result = runChild(memoryCap, { TENSORRT_NODE_SIM_DEVICE_MEMORY: String(64 << 20) }, ['--expose-gc']);
    expect(result.secondAllocation).toMatchObject({ code: 'ERR_OUT_OF_MEMORY' });
    expect((result.secondAllocation as { message: string }).message).toBe(
      'cudaMalloc(41943040 bytes) failed: cudaErrorMemoryAllocation (out of memory)',
    );
    expect(result.afterDispose).toEqual({ free: 64 << 20, total: 64 << 20 });
    expect(result.unrecoverableFailures).toBe(0);
  });
});
