// A machine with two GPUs (TENSORRT_NODE_SIM_DEVICES=2, read once per process: hence a child
// process). Work for device 1 must land on device 1 whichever thread does it: the pool thread that
// deserializes, the JS thread that creates contexts, pool threads that enqueue, the release thread
// that frees. The simulator's engines refuse to run with another device current and its kernels
// fault on another device's memory, so a device left behind anywhere fails the run.
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CudaStream, DeviceBuffer, Engine, ErrorCode, InferenceSession, Tensor } from '../../lib/index.js';
import { ensureBuilt, root } from '../cli/cli-helper.js';
import { mlp } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor, profilesOf } from './trt-helpers.js';

const script = fileURLToPath(new URL('./fixtures/second-device.mjs', import.meta.url));
const prohibitedScript = fileURLToPath(new URL('./fixtures/prohibited-device.mjs', import.meta.url));

interface Report {
  before: number[];
  output: { dims: number[]; data: number[] };
  withSession: number[];
  afterSession: number[];
  withBuffer: number[];
  bufferDevice: number;
  afterBuffer: number[];
  deviceTwo: { code: string; message: string } | 'created';
  cacheHits: boolean[];
  poolSteps: (number[] | { code: string; message: string })[];
}

describe('sessions and buffers on a second device', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trtn-devices-'));
  let report: Report;
  let plan: Uint8Array;

  beforeAll(async () => {
    await ensureBuilt();
    plan = await planFor(mlp());
    const planPath = join(dir, 'mlp.plan');
    writeFileSync(planPath, plan);
    const modelPath = join(dir, 'mlp.onnx');
    writeFileSync(modelPath, mlp().bytes);
    const args = [join(root, 'dist'), planPath, modelPath, JSON.stringify(profilesOf(mlp())), join(dir, 'cache')];
    const output = execFileSync(process.execPath, [script, ...args], {
      // One libuv pool thread: every pool step runs where the previous one left its device current.
      env: { ...process.env, TENSORRT_NODE_BINDING: 'sim', TENSORRT_NODE_SIM_DEVICES: '2', UV_THREADPOOL_SIZE: '1' },
      encoding: 'utf8',
    });
    report = JSON.parse(output) as Report;
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a session on device 1 with the results of device 0', async () => {
    await using reference = await InferenceSession.create(plan, { backend: 'tensorrt' });
    const x = new Float32Array([0.5, -1, 2, 0.25, 1, 1, -0.5, 3]);
    const expected = await reference.run({ x: new Tensor('float32', x, [2, 4]) });
    expect(report.output.dims).toEqual([2, 3]);
    expect(maxAbsDiff(report.output.data, expected.y?.data as Float32Array)).toBeLessThan(1e-6);
  });

  it('makes the device current in steps on the pool thread (graph captures), whichever device that thread last used', async () => {
    await using reference = await InferenceSession.create(plan, { backend: 'tensorrt' });
    const x = new Float32Array([0.5, -1, 2, 0.25, 1, 1, -0.5, 3]);
    const expected = Array.from((await reference.run({ x: new Tensor('float32', x, [2, 4]) })).y?.data as Float32Array);
    // Three rounds of device 0, device 1: uncaptured, captured on the pool, replayed.
    expect(report.poolSteps).toHaveLength(6);
    for (const step of report.poolSteps) {
      expect(step).toBeInstanceOf(Array);
      expect(maxAbsDiff(step as number[], Float32Array.from(expected))).toBeLessThan(1e-6);
    }
  });

  it("keeps the session's memory on device 1 and frees it there from the release thread", () => {
    const [free0, free1] = report.before;
    expect(report.withSession[0]).toBe(free0);
    expect(report.withSession[1]).toBeLessThan(free1 as number);
    expect(report.afterSession).toEqual(report.before);
  });

  it('allocates a DeviceBuffer on the device asked for', () => {
    expect(report.bufferDevice).toBe(1);
    expect(report.withBuffer).toEqual([report.before[0], (report.before[1] as number) - (1 << 20)]);
    expect(report.afterBuffer).toEqual(report.before);
  });

  it("caches engines built for device 1 under device 1's GPU", () => {
    expect(report.cacheHits).toEqual([false, false, true]);
  });

  it('refuses a device past the last one, naming how many there are', () => {
    expect(report.deviceTwo).toEqual({
      code: ErrorCode.INVALID_ARGUMENT,
      message: 'Expected a device index below 2 (this machine has 2 CUDA devices) for options.tensorrt.device but received 2',
    });
  });
});

// Real CUDA frees device-1 memory from any thread (unified addressing finds its context), but the
// call first binds the calling thread to its current device's primary context, creating it if
// need be: device 0's on a thread that never chose one. Where device 0 cannot take a context
// (compute mode Prohibited, or held exclusively by another process) that call fails and the
// memory stays allocated; elsewhere it costs a context on a GPU the application never asked for.
describe('a second device while the first is prohibited', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trtn-prohibited-'));
  let report: {
    before: number;
    output: { dims: number[]; data: number[] };
    withSession: number;
    afterSession: number;
    withBuffer: number;
    afterBuffer: number;
  };

  beforeAll(async () => {
    await ensureBuilt();
    const planPath = join(dir, 'mlp.plan');
    writeFileSync(planPath, await planFor(mlp()));
    const output = execFileSync(process.execPath, [prohibitedScript, join(root, 'dist'), planPath], {
      env: { ...process.env, TENSORRT_NODE_BINDING: 'sim', TENSORRT_NODE_SIM_DEVICES: '2', TENSORRT_NODE_SIM_PROHIBITED_DEVICES: '0' },
      encoding: 'utf8',
    });
    report = JSON.parse(output) as typeof report;
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs on device 1 and frees its memory there from the release thread', () => {
    expect(report.output.dims).toEqual([2, 3]);
    expect(report.withSession).toBeLessThan(report.before);
    expect(report.afterSession).toBe(report.before);
    expect(report.withBuffer).toBe(report.before - (1 << 20));
    expect(report.afterBuffer).toBe(report.before);
  });
});

describe('device options on a one-device machine', () => {
  it('refuses indices that are not devices of this machine', async () => {
    expect(() => new DeviceBuffer(16, { device: 1 })).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: 'Expected a device index below 1 (this machine has 1 CUDA device) for options.device but received 1',
      }),
    );
    expect(() => new CudaStream({ device: -1 })).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: 'Expected a non-negative integer device index for options.device but received -1',
      }),
    );
    await expect(Engine.load(new Uint8Array(8), { device: 0.5 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });
});
