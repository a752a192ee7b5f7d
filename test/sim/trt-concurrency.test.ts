// Many runs on one engine through the context pool (results never mixed up), queueing, zero-copy
// outputs, dispose while runs are in flight, and GC of engines whose contexts are still alive.
import './use-sim.js';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TensorRTBackend } from '../../lib/backends/tensorrt.js';
import { requireBinding } from '../../lib/binding.js';
import { PinnedBuffer } from '../../lib/cuda/pinned-buffer.js';
import { ErrorCode, type TensorRTNodeError } from '../../lib/errors.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { Tensor } from '../../lib/tensor.js';
import { randomArray, staticTanh } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor } from './trt-helpers.js';

const fixture = staticTanh();
let plan: Uint8Array;
let reference: ort.InferenceSession;

beforeAll(async () => {
  plan = await planFor(fixture);
  reference = await ort.InferenceSession.create(fixture.bytes);
});
afterAll(async () => {
  await reference.release();
});

async function expected(x: Float32Array): Promise<Float32Array> {
  const result = await reference.run({ x: new ort.Tensor('float32', x, [1, 16]) });
  return result.y?.data as Float32Array;
}

function input(seed: number): Tensor {
  return new Tensor('float32', randomArray(16, seed, 2), [1, 16]);
}

async function settle(promise: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: TensorRTNodeError }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: error as TensorRTNodeError };
  }
}

describe('concurrent runs', () => {
  it('runs 48 requests on a pool of 3 contexts, every result matching its own input', async () => {
    const backend = await TensorRTBackend.load(plan, { size: 3 });
    const inputs = Array.from({ length: 48 }, (_, i) => input(1000 + i));
    const runs = inputs.map((x) => backend.run({ x }, ['y']));
    expect(backend.pool.contexts).toBe(3);
    expect(backend.pool.queued).toBe(45);
    const results = await Promise.all(runs);
    for (let i = 0; i < inputs.length; i++) {
      const want = await expected(inputs[i]?.data as Float32Array);
      expect(maxAbsDiff(results[i]?.y?.data as Float32Array, want), `run ${i}`).toBeLessThan(1e-6);
    }
    expect(backend.pool.busy).toBe(0);
    await backend.dispose();
  });

  it('refuses a second run on a busy native context (TensorRT contexts are single-run)', async () => {
    const engine = await Engine.load(plan);
    const context = engine.createContext();
    const first = context.run([{ name: 'x', data: input(1).data, dims: [1, 16] }], [{ name: 'y' }], 0);
    expect(context.busy).toBe(true);
    expect(() => context.run([{ name: 'x', data: input(2).data, dims: [1, 16] }], [{ name: 'y' }], 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.INFERENCE_FAILED, message: expect.stringContaining('already running') }),
    );
    await first;
    expect(context.busy).toBe(false);
    expect(() => context.run([{ name: 'x', data: new Float32Array(8), dims: [1, 16] }], [{ name: 'y' }], 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.SHAPE_MISMATCH, message: 'Expected 64 bytes for input "x" but received 32' }),
    );
    context.dispose();
    engine.dispose();
  });

  it('fails fast with ERR_QUEUE_FULL past maxQueue and withdraws aborted waiting runs', async () => {
    const backend = await TensorRTBackend.load(plan, { size: 1, maxQueue: 2 });
    const controller = new AbortController();
    const runs = [
      backend.run({ x: input(1) }, ['y']),
      backend.run({ x: input(2) }, ['y'], controller.signal),
      backend.run({ x: input(3) }, ['y']),
    ];
    const overflow = await settle(backend.run({ x: input(4) }, ['y']));
    expect(overflow.ok).toBe(false);
    expect(!overflow.ok && overflow.error.code).toBe(ErrorCode.QUEUE_FULL);
    controller.abort();
    const [a, b, c] = await Promise.all(runs.map(settle));
    expect(a?.ok).toBe(true);
    expect(b?.ok === false && b.error.code).toBe(ErrorCode.ABORTED);
    expect(c?.ok).toBe(true);
    await backend.dispose();
  });

  it('writes outputs into caller buffers and reads inputs from offset views, without copies in JS', async () => {
    const backend = await TensorRTBackend.load(plan, { size: 1 });
    const backing = new Float32Array(40);
    const view = backing.subarray(7, 23);
    view.set(input(5).data as Float32Array);
    const target = new Tensor('float32', new Float32Array(16), [1, 16]);
    const out = await backend.run({ x: new Tensor('float32', view, [1, 16]) }, ['y'], undefined, { y: target });
    expect(out.y?.data).toBe(target.data);
    expect(maxAbsDiff(target.data, await expected(view.slice()))).toBeLessThan(1e-6);
    await backend.dispose();
  });
});

describe('pinned host buffers', () => {
  it('reads inputs from and writes outputs into pinned memory seen as TypedArrays', async () => {
    const backend = await TensorRTBackend.load(plan, { size: 1 });
    const pinned = new PinnedBuffer(2 * 16 * 4);
    const x = new Float32Array(pinned.buffer, 0, 16);
    const y = new Float32Array(pinned.buffer, 64, 16);
    x.set(input(11).data as Float32Array);
    const out = await backend.run({ x: new Tensor('float32', x, [1, 16]) }, ['y'], undefined, { y: new Tensor('float32', y, [1, 16]) });
    expect(out.y?.data).toBe(y);
    expect(maxAbsDiff(y, await expected(x.slice()))).toBeLessThan(1e-6);
    await backend.dispose();
    pinned.dispose();
  });
});

describe('lifetimes', () => {
  it('lets running runs finish, rejects queued ones and then refuses new ones on dispose', async () => {
    const backend = await TensorRTBackend.load(plan, { size: 2 });
    const inputs = Array.from({ length: 6 }, (_, i) => input(50 + i));
    const runs = inputs.map((x) => settle(backend.run({ x }, ['y'])));
    const disposed = backend.dispose();
    const outcomes = await Promise.all(runs);
    await disposed;
    expect(outcomes.filter((o) => o.ok)).toHaveLength(2);
    for (let i = 0; i < 2; i++) {
      const outcome = outcomes[i];
      expect(outcome?.ok).toBe(true);
      if (outcome?.ok) {
        const y = (outcome.value as Record<string, Tensor>).y?.data as Float32Array;
        expect(maxAbsDiff(y, await expected(inputs[i]?.data as Float32Array))).toBeLessThan(1e-6);
      }
    }
    for (const outcome of outcomes.slice(2)) expect(!outcome.ok && outcome.error.code).toBe(ErrorCode.DISPOSED);
    const after = await settle(backend.run({ x: input(9) }, ['y']));
    expect(!after.ok && after.error.code).toBe(ErrorCode.DISPOSED);
    expect(backend.engine.disposed).toBe(true);
  });

  it('keeps the engine alive for a run in flight when the engine is disposed', async () => {
    const engine = await Engine.load(plan);
    const context = engine.createContext();
    const x = input(77).data as Float32Array;
    const run = context.run([{ name: 'x', data: x, dims: [1, 16] }], [{ name: 'y' }], 0);
    engine.dispose();
    const [y] = await run;
    expect(maxAbsDiff(new Float32Array(y?.data as ArrayBuffer), await expected(x))).toBeLessThan(1e-6);
    context.dispose();
    context.dispose(); // idempotent
    expect(context.isDisposed()).toBe(true);
  });

  it('keeps contexts working after their engine wrapper is garbage collected', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with --expose-gc').toBeTypeOf('function');
    const binding = requireBinding();
    let collected = false;
    const registry = new FinalizationRegistry(() => {
      collected = true;
    });
    const context = await (async () => {
      const native = await binding.loadEngine!(plan, false);
      registry.register(native, 'engine');
      return native.createContext();
    })();
    for (let i = 0; i < 50 && !collected; i++) {
      gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(collected).toBe(true);
    const x = input(31).data as Float32Array;
    const [y] = await context.run([{ name: 'x', data: x, dims: [1, 16] }], [{ name: 'y' }], 0);
    expect(maxAbsDiff(new Float32Array(y?.data as ArrayBuffer), await expected(x))).toBeLessThan(1e-6);
    expect(context.arenaBytes).toBeGreaterThan(0);
    context.dispose();
  });

  it('survives engines and contexts dropped without dispose while runs are in flight', async () => {
    const gc = (globalThis as { gc?: () => void }).gc as () => void;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      const engine = await Engine.load(plan);
      const context = engine.createContext();
      pending.push(context.run([{ name: 'x', data: input(i).data, dims: [1, 16] }], [{ name: 'y' }], 0));
    }
    gc();
    const results = await Promise.all(pending);
    expect(results).toHaveLength(4);
    gc();
  });
});
