// The remote backend against the example server over real HTTP on 127.0.0.1: the server runs real
// models through ONNX Runtime (its batcher in between), the client speaks KServe v2, and the results
// equal a local CPU run of the same model bit for bit, through binary data and through JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, type TensorInfo } from '../../lib/index.js';
import { buildModel } from '../../lib/onnx/builder.js';
import { realModels } from '../fixtures/real-models.js';
import { randomFloats } from '../fixtures/random.js';
import { type RunningExampleServer, startExampleServer } from '../shared/kserve-servers.js';

/** A model over every kind of value the wire treats differently: bool, int64, float16, float32 with NaN. */
function mixedDtypes(): Uint8Array {
  return buildModel({
    opset: 17,
    inputs: [
      { name: 'a', dtype: 'float32', dims: ['n'] },
      { name: 'flag', dtype: 'bool', dims: ['n'] },
      { name: 'ids', dtype: 'int64', dims: ['n'] },
      { name: 'h', dtype: 'float16', dims: ['n'] },
    ],
    outputs: [
      { name: 'neg', dtype: 'float32', dims: ['n'] },
      { name: 'not', dtype: 'bool', dims: ['n'] },
      { name: 'twice', dtype: 'int64', dims: ['n'] },
      { name: 'same', dtype: 'float16', dims: ['n'] },
    ],
    nodes: [
      { op: 'Neg', inputs: ['a'], outputs: ['neg'] },
      { op: 'Not', inputs: ['flag'], outputs: ['not'] },
      { op: 'Add', inputs: ['ids', 'ids'], outputs: ['twice'] },
      { op: 'Identity', inputs: ['h'], outputs: ['same'] },
    ],
  });
}

const clsImage = () => new Tensor('float32', randomFloats(3 * 48 * 192, 7), [1, 3, 48, 192]);
const mixedFeeds = () => ({
  a: new Tensor('float32', Float32Array.from([1.5, Number.NaN, -0, 3.4e38])),
  flag: new Tensor('bool', Uint8Array.from([1, 0, 1, 0])),
  ids: new Tensor('int64', BigInt64Array.from([1n, -2n, 2n ** 60n, 7n])),
  h: new Tensor('float16', Uint16Array.from([0x3c00, 0x7e00, 0x8000, 0x7bff])),
});

let cls: RunningExampleServer;
let mixed: RunningExampleServer;
let localCls: InferenceSession;
let localMixed: InferenceSession;

beforeAll(async () => {
  cls = await startExampleServer(realModels.ocrCls, 'cls', { batcher: { maxBatchSize: 8 } });
  mixed = await startExampleServer(mixedDtypes(), 'mixed', { batcher: false });
  localCls = await InferenceSession.create(realModels.ocrCls, { backend: 'cpu' });
  localMixed = await InferenceSession.create(mixedDtypes(), { backend: 'cpu' });
});

afterAll(async () => {
  await Promise.all([cls?.close(), mixed?.close(), localCls?.dispose(), localMixed?.dispose()]);
});

function withoutSymbols(infos: readonly TensorInfo[]): TensorInfo[] {
  return infos.map((info) => ({ ...info, shape: info.shape.map((dim) => (typeof dim === 'number' ? dim : -1)) }));
}

describe('remote backend against the example server', () => {
  it('reads the model metadata: names, dtypes, and variable dims as -1', async () => {
    await using remote = await InferenceSession.create(cls.url, { backend: 'remote' });
    expect(remote.backend).toBe('remote');
    expect(remote.inputs).toEqual(withoutSymbols(localCls.inputs));
    expect(remote.outputs).toEqual(withoutSymbols(localCls.outputs));
    expect(remote.inputs[0]?.shape).toEqual([-1, 3, -1, -1]);
    expect(remote.capacity).toEqual({ maxBatch: undefined, concurrency: 8, queue: Number.POSITIVE_INFINITY });
  });

  for (const [path, binaryThreshold] of [
    ['binary data', 0],
    ['JSON', Number.POSITIVE_INFINITY],
    ['the default threshold', undefined],
  ] as const) {
    it(`runs PP-OCR cls with results equal to a local run (${path})`, async () => {
      await using remote = await InferenceSession.create(cls.url, { backend: 'remote', remote: { binaryThreshold } });
      for (let i = 0; i < 3; i++) {
        const image = clsImage();
        const [here, there] = [await localCls.run({ x: image }), await remote.run({ x: image })];
        const name = localCls.outputNames[0] as string;
        expect(there[name]?.dims).toEqual(here[name]?.dims);
        expect(there[name]?.data).toEqual(here[name]?.data);
      }
    });

    it(`carries bool, int64 past 2^53, float16, NaN and -0 exactly (${path})`, async () => {
      await using remote = await InferenceSession.create({ backend: 'remote', url: mixed.url, remote: { binaryThreshold } });
      const here = await localMixed.run(mixedFeeds());
      const there = await remote.run(mixedFeeds());
      expect(Object.keys(there)).toEqual(['neg', 'not', 'twice', 'same']);
      for (const name of Object.keys(here)) {
        expect(there[name]?.dtype, name).toBe(here[name]?.dtype);
        expect(there[name]?.data, name).toEqual(here[name]?.data);
      }
      expect(Object.is((there.neg?.data as Float32Array)[2], 0)).toBe(true);
      expect((there.twice?.data as BigInt64Array)[2]).toBe(2n ** 61n);
    });
  }

  it('returns only the outputs asked for, and writes into caller-allocated outputs', async () => {
    await using remote = await InferenceSession.create(mixed.url);
    expect(remote.backend).toBe('remote');
    const only = await remote.run(mixedFeeds(), { outputs: ['twice'] });
    expect(Object.keys(only)).toEqual(['twice']);
    const target = Tensor.zeros('float32', [8]);
    const results = await remote.run(mixedFeeds(), { outputs: { neg: target } });
    expect(results.neg?.data.buffer).toBe(target.data.buffer);
    expect(Array.from(target.data.subarray(0, 2))).toEqual([-1.5, Number.NaN]);
    expect(results.neg?.dims).toEqual([4]);
  });

  it('opens a versioned URL, and refuses an unknown version or model with ERR_REMOTE and the server message', async () => {
    await using versioned = await InferenceSession.create(`${mixed.url}/versions/1`, { backend: 'remote' });
    expect(Object.keys(await versioned.run(mixedFeeds()))).toHaveLength(4);
    await expect(InferenceSession.create(`${mixed.url}/versions/9`)).rejects.toMatchObject({
      code: ErrorCode.REMOTE,
      details: 'HTTP 404',
      message: expect.stringContaining("Request for unknown model: 'mixed' version 9 is not found (version 1 is serving)"),
    });
    await expect(InferenceSession.create(`${mixed.base}/v2/models/nope`, { backend: 'remote' })).rejects.toMatchObject({
      code: ErrorCode.REMOTE,
      details: 'HTTP 404',
      message: `The server answered GET ${mixed.base}/v2/models/nope with HTTP 404: Request for unknown model: 'nope' is not found`,
    });
  });

  it("maps a server's failure to ERR_REMOTE with its message: an image of 0x0 pixels", async () => {
    await using remote = await InferenceSession.create(cls.url);
    const empty = new Tensor('float32', new Float32Array(0), [1, 3, 0, 0]);
    const error = await remote.run({ x: empty }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.REMOTE, details: 'HTTP 500' });
    expect((error as Error).message).toMatch(
      new RegExp(`^The server answered POST ${cls.url}/infer with HTTP 500: ONNX Runtime failed to run the model: .*Invalid input shape`),
    );
  });

  it("splits a request of several rows into the server batcher's items and stacks their outputs back", async () => {
    await using remote = await InferenceSession.create(cls.url);
    const rows = 3;
    const batch = new Tensor('float32', randomFloats(rows * 3 * 48 * 192, 3), [rows, 3, 48, 192]);
    const there = (await remote.run({ x: batch }))[localCls.outputNames[0] as string];
    expect(there?.dims).toEqual([rows, 2]);
    for (let row = 0; row < rows; row++) {
      const one = new Tensor('float32', batch.data.slice(row * 3 * 48 * 192, (row + 1) * 3 * 48 * 192), [1, 3, 48, 192]);
      const here = (await localCls.run({ x: one }))[localCls.outputNames[0] as string]?.data as Float32Array;
      // The batcher may run these rows together: ONNX Runtime's kernels then may sum in another order.
      for (let i = 0; i < 2; i++) expect((there?.data as Float32Array)[row * 2 + i]).toBeCloseTo(here[i] as number, 5);
    }
  });

  it('answers ready() from the server: true while it serves, false while it drains, false for a closed server', async () => {
    const server = await startExampleServer(mixedDtypes(), 'mixed', { batcher: false });
    const remote = await InferenceSession.create(server.url);
    try {
      expect(await remote.ready()).toBe(true);
      expect((await fetch(`${server.base}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${server.base}/v2/health/live`)).status).toBe(200);
      server.server.context.draining = true;
      expect(await remote.ready()).toBe(false);
      expect((await fetch(`${server.base}/v2/health/ready`)).status).toBe(400);
      await server.close();
      expect(await remote.ready()).toBe(false);
    } finally {
      await remote.dispose();
    }
    expect(await remote.ready()).toBe(false);
    await using local = await InferenceSession.create(mixedDtypes(), { backend: 'cpu' });
    expect(await local.ready()).toBe(true);
    await expect(local.ready(AbortSignal.abort())).rejects.toMatchObject({ code: ErrorCode.ABORTED });
  });

  it("answers a hand-written request in the binary data format of Triton's document, bytes for bytes", async () => {
    // Written by hand (not by the shared codec), as a Triton client would send it.
    const a = Float32Array.from([1.5, -2, 0, 8]);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'a', shape: [4], datatype: 'FP32', parameters: { binary_data_size: 16 } },
          { name: 'flag', shape: [4], datatype: 'BOOL', data: [true, false, true, false] },
          { name: 'ids', shape: [4], datatype: 'INT64', data: [1, 2, 3, 4] },
          { name: 'h', shape: [4], datatype: 'FP16', parameters: { binary_data_size: 8 } },
        ],
        outputs: [{ name: 'neg', parameters: { binary_data: true } }, { name: 'not' }],
      }),
    );
    const body = Buffer.concat([header, Buffer.from(a.buffer), Buffer.from(Uint16Array.from([0x3c00, 0, 0, 0]).buffer)]);
    const response = await fetch(`${mixed.url}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
      body,
    });
    expect(response.status).toBe(200);
    const jsonLength = Number(response.headers.get('inference-header-content-length'));
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(jsonLength + 16);
    expect(JSON.parse(bytes.subarray(0, jsonLength).toString())).toEqual({
      model_name: 'mixed',
      model_version: '1',
      outputs: [
        { name: 'neg', shape: [4], datatype: 'FP32', parameters: { binary_data_size: 16 } },
        { name: 'not', shape: [4], datatype: 'BOOL', data: [false, true, false, true] },
      ],
    });
    expect(new Float32Array(bytes.buffer.slice(bytes.byteOffset + jsonLength, bytes.byteOffset + jsonLength + 16))).toEqual(
      Float32Array.from([-1.5, 2, -0, -8]),
    );
  });

  it('serves server metadata and keeps its own /infer and /health routes', async () => {
    expect(await (await fetch(`${mixed.base}/v2`)).json()).toEqual({
      name: 'tensorrt-node',
      version: expect.any(String),
      extensions: ['binary_tensor_data'],
    });
    const health = await (await fetch(`${mixed.base}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', backend: 'cpu' });
  });

  it('keeps connections alive: many runs over at most `connections` sockets', async () => {
    const before = cls.connections();
    await using remote = await InferenceSession.create(cls.url, { remote: { connections: 2 } });
    const image = clsImage();
    await Promise.all(Array.from({ length: 12 }, () => remote.run({ x: image })));
    for (let i = 0; i < 6; i++) await remote.run({ x: image });
    // One for the metadata request, reused; at most two at once for the runs.
    expect(cls.connections() - before).toBeLessThanOrEqual(2);
  });
});
