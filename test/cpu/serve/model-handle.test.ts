// Hot swap under continuous concurrent load on the CPU backend: no request fails, each finishes on
// the model that was current when it was made, a failed load leaves the old model serving, and the
// old model is disposed once drained.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, ModelHandle, Tensor, type ModelHandleOptions } from '../../../lib/index.js';
import { randomFloats } from '../../fixtures/random.js';
import { servingMlp, tableLookup } from '../../fixtures/serving-models.js';

let dir: string;
const paths = { a: '', b: '', c: '', other: '', corrupt: '' };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-handle-'));
  for (const [name, bytes] of [
    ['a', servingMlp(1)],
    ['b', servingMlp(2)],
    ['c', servingMlp(3)],
    ['other', tableLookup()],
    ['corrupt', servingMlp(1).slice(0, 300)],
  ] as const) {
    paths[name] = join(dir, `${name}.onnx`);
    await writeFile(paths[name], bytes);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const inputs = Array.from({ length: 8 }, (_, i) => new Tensor('float32', randomFloats(128, 50 + i), [1, 128]));

/** Each model's output for each input, computed on sessions of their own. */
async function referenceOutputs(path: string): Promise<Float32Array[]> {
  await using session = await InferenceSession.create(path, { backend: 'cpu' });
  return Promise.all(inputs.map(async (x) => (await session.run({ x })).y?.data as Float32Array));
}

function sameArray(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((value, i) => Math.abs(value - (b[i] as number)) <= 1e-5 * Math.max(1, Math.abs(value)));
}

async function swapUnderLoad(options: ModelHandleOptions): Promise<void> {
  const expected = new Map([
    [1, await referenceOutputs(paths.a)],
    [2, await referenceOutputs(paths.b)],
    [3, await referenceOutputs(paths.c)],
  ]);
  const handle = await ModelHandle.open(paths.a, { ...options, session: { backend: 'cpu' } });
  const firstSession = handle.session;
  let stop = false;
  let failures = 0;
  let mismatches = 0;
  const served = new Map<number, number>();
  const client = async (id: number) => {
    for (let i = 0; !stop || i < 5; i++) {
      const which = (id + i) % inputs.length;
      const version = handle.version;
      try {
        const out = await handle.run({ x: inputs[which] as Tensor });
        if (!sameArray(out.y?.data as Float32Array, (expected.get(version) as Float32Array[])[which] as Float32Array)) mismatches++;
        served.set(version, (served.get(version) ?? 0) + 1);
      } catch {
        failures++;
      }
    }
  };
  const clients = Array.from({ length: 12 }, (_, id) => client(id));
  const waitFor = async (done: () => boolean) => {
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  await waitFor(() => (served.get(1) ?? 0) >= 50);
  const first = await handle.swap(paths.b);
  expect(first.version).toBe(2);
  await waitFor(() => (served.get(2) ?? 0) >= 50);
  // A model that does not load, and one with another signature: refused, version 2 keeps serving.
  await expect(handle.swap(join(dir, 'missing.onnx'))).rejects.toMatchObject({ code: ErrorCode.MODEL_LOAD });
  await expect(handle.swap(paths.corrupt)).rejects.toMatchObject({ code: ErrorCode.MODEL_LOAD });
  await expect(handle.swap(paths.other)).rejects.toMatchObject({
    code: ErrorCode.MODEL_LOAD,
    message: expect.stringContaining("Expected a model with the served model's inputs (x float32 [batch, 128])"),
  });
  expect(handle.version).toBe(2);
  const served2 = served.get(2) ?? 0;
  await waitFor(() => (served.get(2) ?? 0) >= served2 + 50);
  const second = await handle.swap(paths.c);
  await waitFor(() => (served.get(3) ?? 0) >= 50);
  stop = true;
  await Promise.all(clients);
  await first.drained;
  await second.drained;
  expect(firstSession.disposed).toBe(true);
  expect(handle.session.disposed).toBe(false);
  expect(failures).toBe(0);
  expect(mismatches).toBe(0);
  expect(handle.version).toBe(3);
  await handle.dispose();
  expect(handle.session.disposed).toBe(true);
  await expect(handle.run({ x: inputs[0] as Tensor })).rejects.toMatchObject({ code: ErrorCode.DISPOSED });
}

describe('ModelHandle', () => {
  it('swaps models under continuous load through a batcher with zero failed requests', async () => {
    await swapUnderLoad({ batcher: { maxBatchSize: 8 } });
  });

  it('swaps models under continuous load straight through the session with zero failed requests', async () => {
    await swapUnderLoad({ batcher: false });
  });

  it('serialises swaps and reports each version', async () => {
    await using handle = await ModelHandle.open(paths.a, { session: { backend: 'cpu' } });
    const [b, c] = await Promise.all([handle.swap(paths.b), handle.swap(paths.c)]);
    expect([b.version, c.version]).toEqual([2, 3]);
    expect(handle.source).toBe(paths.c);
    await Promise.all([b.drained, c.drained]);
  });
});
