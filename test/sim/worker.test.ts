// The addon is context-aware: it loads in worker threads, each with its own state, and a worker
// terminated with work in flight releases that work without crashing the process.
import './use-sim.js';

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { CudaStream, DeviceBuffer, memoryInfo } from '../../lib/index.js';
import { eventuallyReleased, releasesSettled } from '../shared/eventually.js';

// Workers use the raw binding (plain JS), as the package's compiled code would.
const roundTrip = `
  const { parentPort, workerData } = require('node:worker_threads');
  const binding = require(workerData.path);
  (async () => {
    const stream = new binding.Stream();
    const device = new binding.DeviceBuffer(256);
    const result = new Uint8Array(256);
    await stream.copyHostToDevice(device, 0, new Uint8Array(256).fill(workerData.value));
    await stream.copyDeviceToHost(result, device, 0);
    stream.dispose();
    device.dispose();
    parentPort.postMessage(Array.from(new Set(result)));
  })();
`;

const stuckWork = `
  const { parentPort, workerData } = require('node:worker_threads');
  const binding = require(workerData.path);
  const stream = new binding.Stream();
  const device = new binding.DeviceBuffer(1 << 20);
  binding.testing.gateStream(stream); // never released: the worker is terminated mid-flight
  stream.copyHostToDevice(device, 0, new Uint8Array(1 << 20));
  stream.copyDeviceToHost(new Uint8Array(1 << 20), device, 0);
  parentPort.postMessage('enqueued');
`;

function runWorker(code: string, value: number): { worker: Worker; message: Promise<unknown> } {
  const worker = new Worker(code, { eval: true, workerData: { path: simBindingPath(), value } });
  const message = new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, message };
}

describe('worker threads', () => {
  it('loads and copies in several workers at once, alongside the main thread', async () => {
    const workers = [1, 2, 3].map((value) => runWorker(roundTrip, value));
    const stream = new CudaStream();
    const device = new DeviceBuffer(4);
    await stream.copyToDevice(device, new Uint32Array([9]));
    const main = new Uint32Array(1);
    await stream.copyToHost(main, device);
    expect(await Promise.all(workers.map((w) => w.message))).toEqual([[1], [2], [3]]);
    expect(main[0]).toBe(9);
    await Promise.all(workers.map((w) => w.worker.terminate()));
    stream.dispose();
    device.dispose();
  });

  it('survives terminating a worker right after its copies completed', async () => {
    const { worker, message } = runWorker(roundTrip, 4);
    expect(await message).toEqual([4]);
    await worker.terminate();
  });

  it('releases in-flight work of a terminated worker (environment cleanup hook)', async () => {
    await releasesSettled();
    const before = memoryInfo().free;
    const { worker, message } = runWorker(stuckWork, 0);
    expect(await message).toBe('enqueued');
    expect(memoryInfo().free).toBe(before - (1 << 20));
    await worker.terminate();
    expect(await eventuallyReleased(() => memoryInfo().free === before)).toBe(true);
    // The main thread's CUDA state is untouched.
    const stream = new CudaStream();
    await stream.synchronize();
    stream.dispose();
  });
});
