// The real build (linked with the CUDA runtime) on a machine without a usable GPU: it must load
// and fail cleanly, every entry point with ERR_CUDA naming why, never a crash. On a machine with
// a GPU these are skipped and test/gpu runs instead.
import '../shared/use-release.js';

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { loadBinding } from '../../lib/binding.js';
import { isTensorRTNodeError } from '../../lib/errors.js';
import { CudaEvent, CudaStream, DeviceBuffer, PinnedBuffer, backends, cudaInfo, devices, memoryInfo } from '../../lib/index.js';
import { hasCudaToolkit } from '../shared/toolkit.js';

const load = loadBinding('release');
const noGpuErrors = /cudaErrorInsufficientDriver|cudaErrorNoDevice/;
const gpuAvailable = load.ok && load.binding.cudaInfo().available;

describe('real build', () => {
  // Whichever way it came (built here or prebuilt), a loaded addon is the shipped kind: the real CUDA
  // build from build/Release or prebuilds/, without the simulator or its test hooks, its static CUDA
  // runtime the version of the headers it was compiled with.
  it.runIf(load.ok)('is the real CUDA build, from build/Release or prebuilds/', () => {
    if (!load.ok) return;
    expect(load.path).toMatch(/[/\\](build[/\\]Release|prebuilds[/\\][\w-]+)[/\\][\w.@-]+\.node$/);
    expect(load.binding.simulator).toBe(false);
    expect(load.binding.testing).toBeUndefined();
    expect(load.binding.cudaInfo().runtimeVersion).toBe(load.binding.cudaHeadersVersion);
  });

  it.runIf(!load.ok)('is missing only where no CUDA toolkit could have built it, and says how to build it', () => {
    expect(hasCudaToolkit(), load.ok ? '' : load.reason).toBe(false);
    if (!load.ok) expect(load.reason).toMatch(/npm run build:native/);
  });
});

describe.skipIf(!load.ok || gpuAvailable)('real build without a GPU', () => {
  it('reports why CUDA is unavailable', () => {
    const info = cudaInfo();
    expect(info).toMatchObject({ available: false, simulator: false, runtimeVersion: '13.0', devices: [] });
    expect(info.errorName).toMatch(noGpuErrors);
    expect(info.reason).toMatch(/^cudaGetDeviceCount failed: cudaError\w+ \(.+\)$/);
  });

  it('fails every entry point with ERR_CUDA naming the CUDA error', () => {
    const calls: Record<string, () => unknown> = {
      devices: () => devices(),
      memoryInfo: () => memoryInfo(0),
      CudaStream: () => new CudaStream(),
      CudaEvent: () => new CudaEvent(),
      DeviceBuffer: () => new DeviceBuffer(16),
      PinnedBuffer: () => new PinnedBuffer(16),
    };
    for (const [name, call] of Object.entries(calls)) {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(isTensorRTNodeError(caught, 'ERR_CUDA'), name).toBe(true);
      expect((caught as Error).message, name).toMatch(noGpuErrors);
      expect((caught as { details?: string }).details, name).toMatch(noGpuErrors);
    }
  });

  it('fails the same way through the raw binding in a fresh process', () => {
    const script = fileURLToPath(new URL('../shared/entry-points.cjs', import.meta.url));
    const output = execFileSync(process.execPath, [script, load.ok ? load.path : ''], { encoding: 'utf8' });
    const report = JSON.parse(output) as { outcomes: Record<string, { ok: boolean; code: string; message: string }> };
    for (const [name, outcome] of Object.entries(report.outcomes)) {
      expect(outcome, name).toMatchObject({ ok: false, code: 'ERR_CUDA' });
      expect(outcome.message, name).toMatch(noGpuErrors);
    }
  });

  it('explains in backends() why TensorRT cannot run', async () => {
    const report = await backends();
    expect(report.tensorrt.available).toBe(false);
    expect(report.tensorrt.reason).toMatch(noGpuErrors);
    expect(report.cpu.available).toBe(true);
  });
});
