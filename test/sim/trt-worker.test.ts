// The TensorRT runtime in worker threads: each worker loads its own engines (the addon is
// context-aware), runs agree with the main thread, and terminating a worker with runs queued
// does not take the process down.
import './use-sim.js';

import { Worker } from 'node:worker_threads';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { randomArray, staticTanh } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';

// Workers use the raw binding (plain JS), as the package's compiled code would.
const runInWorker = `
  const { parentPort, workerData } = require('node:worker_threads');
  const binding = require(workerData.path);
  (async () => {
    const engine = await binding.loadEngine(workerData.plan, false);
    const context = engine.createContext();
    const [y] = await context.run([{ name: 'x', data: workerData.x, dims: [1, 16] }], [{ name: 'y' }], 0);
    context.dispose();
    engine.dispose();
    parentPort.postMessage(Array.from(new Float32Array(y.data)));
  })().catch((error) => parentPort.postMessage(String(error)));
`;

const abandonInWorker = `
  const { parentPort, workerData } = require('node:worker_threads');
  const binding = require(workerData.path);
  (async () => {
    const engine = await binding.loadEngine(workerData.plan, false);
    const contexts = [engine.createContext(), engine.createContext()];
    for (const context of contexts) context.run([{ name: 'x', data: workerData.x, dims: [1, 16] }], [{ name: 'y' }], 0);
    parentPort.postMessage('enqueued');
  })();
`;

let plan: Uint8Array;
let engine: Engine;
beforeAll(async () => {
  plan = await planFor(staticTanh());
  engine = await Engine.load(plan);
});
afterAll(() => engine.dispose());

function start(code: string, x: Float32Array): { worker: Worker; message: Promise<unknown> } {
  const worker = new Worker(code, { eval: true, workerData: { path: simBindingPath(), plan, x } });
  const message = new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, message };
}

it('loads and runs engines in several workers at once, matching the main thread', async () => {
  const inputs = [1, 2, 3].map((seed) => randomArray(16, 300 + seed));
  const workers = inputs.map((x) => start(runInWorker, x));
  const context = engine.createContext();
  const expected = [];
  for (const x of inputs) {
    const [y] = await context.run([{ name: 'x', data: x, dims: [1, 16] }], [{ name: 'y' }], 0);
    expected.push(Array.from(new Float32Array(y?.data as ArrayBuffer)));
  }
  expect(await Promise.all(workers.map((w) => w.message))).toEqual(expected);
  await Promise.all(workers.map((w) => w.worker.terminate()));
  context.dispose();
});

it('survives a worker terminated with TensorRT runs queued', async () => {
  const { worker, message } = start(abandonInWorker, randomArray(16, 9));
  expect(await message).toBe('enqueued');
  await worker.terminate();
  // The main thread's runtime is unaffected.
  const context = engine.createContext();
  const [y] = await context.run([{ name: 'x', data: randomArray(16, 10), dims: [1, 16] }], [{ name: 'y' }], 0);
  expect(y?.dims).toEqual([1, 16]);
  context.dispose();
});
