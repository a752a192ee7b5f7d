// Our session against raw onnxruntime-node on the same real models and inputs: outputs must be
// identical bit for bit, on the main thread and in the worker thread.
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../../lib/index.js';
import { realModels as models } from '../fixtures/real-models.js';
import { randomFloats } from '../fixtures/random.js';

interface Case {
  name: string;
  model: string;
  feeds: () => Record<string, Tensor>;
}

const cases: Case[] = [
  {
    name: 'PP-OCRv4 det 1x3x320x320',
    model: models.ocrDet,
    feeds: () => ({ x: new Tensor('float32', randomFloats(3 * 320 * 320, 1), [1, 3, 320, 320]) }),
  },
  {
    name: 'PP-OCR cls 2x3x48x192',
    model: models.ocrCls,
    feeds: () => ({ x: new Tensor('float32', randomFloats(2 * 3 * 48 * 192, 2), [2, 3, 48, 192]) }),
  },
  {
    name: 'PP-OCRv4 rec 1x3x48x320',
    model: models.ocrRec,
    feeds: () => ({ x: new Tensor('float32', randomFloats(3 * 48 * 320, 3), [1, 3, 48, 320]) }),
  },
  {
    name: 'silero VAD (int64 scalar input, recurrent state)',
    model: models.sileroVad,
    feeds: () => ({
      input: new Tensor('float32', randomFloats(512, 4, 0.3), [1, 512]),
      sr: new Tensor('int64', BigInt64Array.of(16000n), []),
      h: new Tensor('float32', randomFloats(128, 5, 0.1), [2, 1, 64]),
      c: new Tensor('float32', randomFloats(128, 6, 0.1), [2, 1, 64]),
    }),
  },
];

const sessions: InferenceSession[] = [];
afterAll(async () => Promise.all(sessions.map((s) => s.dispose())));

async function rawOrt(model: string, feeds: Record<string, Tensor>) {
  const session = await ort.InferenceSession.create(model);
  const ortFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims)]),
  );
  const out = await session.run(ortFeeds);
  await session.release();
  return out;
}

describe.each(cases)('$name', ({ model, feeds }) => {
  it.each(['main', 'worker'] as const)('equals raw onnxruntime-node bit for bit (runOn %s)', async (runOn) => {
    const inputs = feeds();
    const expected = await rawOrt(model, inputs);
    const session = await InferenceSession.create(model, { backend: 'cpu', runOn });
    sessions.push(session);
    const actual = await session.run(inputs);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, tensor] of Object.entries(actual)) {
      const want = expected[name];
      expect(tensor.dims).toEqual(want.dims);
      expect(tensor.dtype).toBe(want.type);
      expect(
        Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength).equals(
          Buffer.from((want.data as Float32Array).buffer, (want.data as Float32Array).byteOffset, (want.data as Float32Array).byteLength),
        ),
      ).toBe(true);
    }
  });
});

describe('session metadata', () => {
  it('reports inputs and outputs with symbolic dims as strings', async () => {
    const session = await InferenceSession.create(models.sileroVad, { backend: 'cpu' });
    sessions.push(session);
    expect(session.backend).toBe('cpu');
    expect(session.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual([
      ['input', 'float32', ['batch', 'sequence']],
      ['sr', 'int64', []],
      ['h', 'float32', [2, 'batch', 64]],
      ['c', 'float32', [2, 'batch', 64]],
    ]);
    expect(session.outputs.map((o) => o.name)).toEqual(['output', 'hn', 'cn']);
    expect(session.inputNames).toEqual(['input', 'sr', 'h', 'c']);
    expect(session.outputNames).toEqual(['output', 'hn', 'cn']);
  });

  it("'auto' falls back to the CPU and says why", async () => {
    const session = await InferenceSession.create(models.ocrCls);
    sessions.push(session);
    expect(session.backend).toBe('cpu');
    // This machine has no TensorRT library, an addon built without its headers, and no GPU driver:
    // one short sentence per cause, the full text (what was searched, CUDA's error) in the details.
    expect(session.fallbackReason).toBe(
      "TensorRT's library could not be loaded. The native addon was built without TensorRT. No CUDA device is usable.",
    );
    expect(session.fallbackDetails).toMatch(
      /^TensorRT is not available: libnvinfer\.so\.11: cannot open shared object file.+ CUDA is not available: cudaGetDeviceCount failed: cudaErrorInsufficientDriver/,
    );
  });

  it('computes only the outputs asked for', async () => {
    const session = await InferenceSession.create(models.sileroVad, { backend: 'cpu' });
    sessions.push(session);
    const c = cases[3].feeds();
    const out = await session.run(c, { outputs: ['hn'] });
    expect(Object.keys(out)).toEqual(['hn']);
    expect(out.hn.dims).toEqual([2, 1, 64]);
  });

  it('loads a model from bytes as well as from a path', async () => {
    const { readFile } = await import('node:fs/promises');
    const session = await InferenceSession.create(new Uint8Array(await readFile(models.ocrCls)), { backend: 'cpu', runOn: 'worker' });
    sessions.push(session);
    const out = await session.run(cases[1].feeds());
    expect(Object.values(out)[0].dims).toEqual([2, 2]);
  });
});
