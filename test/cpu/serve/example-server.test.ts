// The example server over real HTTP on 127.0.0.1: it serves through the batcher, exports Prometheus
// metrics, answers /health, and swaps the model mid-load (by endpoint and by SIGHUP) with zero
// failed requests. Bounded: a fixed number of requests per phase.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createInferenceServer, installSignalHandlers } from '../../../examples/server/server.js';
import { InferenceSession, ModelHandle, Tensor } from '../../../lib/index.js';
import { randomFloats } from '../../fixtures/random.js';
import { servingMlp } from '../../fixtures/serving-models.js';

let dir: string;
const paths = { a: '', b: '', live: '' };
const input = Array.from(randomFloats(128, 77));
const expected = new Map<string, number[]>();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'example-server-'));
  paths.a = join(dir, 'a.onnx');
  paths.b = join(dir, 'b.onnx');
  paths.live = join(dir, 'live.onnx');
  await writeFile(paths.a, servingMlp(1));
  await writeFile(paths.b, servingMlp(2));
  await writeFile(paths.live, servingMlp(1));
  for (const [name, path] of [
    ['a', paths.a],
    ['b', paths.b],
  ] as const) {
    await using session = await InferenceSession.create(path, { backend: 'cpu' });
    expected.set(
      name,
      Array.from((await session.run({ x: new Tensor('float32', Float32Array.from(input), [1, 128]) })).y?.data as Float32Array),
    );
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function close(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((value, i) => Math.abs(value - (b[i] as number)) <= 1e-4);
}

describe('examples/server', () => {
  it('serves, exports metrics and swaps models under load with zero failed requests', async () => {
    const handle = await ModelHandle.open(paths.live, { model: 'mlp', session: { backend: 'cpu' }, batcher: { maxBatchSize: 16 } });
    const server = await createInferenceServer({ handle });
    const removeHandlers = installSignalHandlers(server, () => undefined);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    try {
      const health = await (await fetch(`${base}/health`)).json();
      expect(health).toMatchObject({ status: 'ok', version: 1, backend: 'cpu' });

      const statuses = new Map<number, number>();
      const outputsByVersion = new Map<number, number[][]>();
      let phaseDone = 0;
      let stop = false;
      const client = async () => {
        while (!stop) {
          const response = await fetch(`${base}/infer`, {
            method: 'POST',
            body: JSON.stringify({ inputs: { x: { dims: [1, 128], data: input } } }),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const body = (await response.json()) as { model_version: number; outputs: { y: { data: number[] } } };
          if (response.status === 200) {
            const list = outputsByVersion.get(body.model_version) ?? [];
            list.push(body.outputs.y.data);
            outputsByVersion.set(body.model_version, list);
          }
          phaseDone++;
        }
      };
      const waitForRequests = async (count: number) => {
        const target = phaseDone + count;
        while (phaseDone < target) await new Promise((resolve) => setTimeout(resolve, 2));
      };
      const clients = Array.from({ length: 8 }, () => client());
      await waitForRequests(100);
      // Swap by endpoint, to model b, mid-load.
      const swapped = await fetch(`${base}/admin/swap`, { method: 'POST', body: JSON.stringify({ model: paths.b }) });
      expect(swapped.status).toBe(200);
      expect(await swapped.json()).toEqual({ version: 2 });
      await waitForRequests(100);
      // A swap to a missing model is refused; the server keeps serving.
      const refused = await fetch(`${base}/admin/swap`, { method: 'POST', body: JSON.stringify({ model: join(dir, 'missing.onnx') }) });
      expect(refused.status).toBe(422);
      // SIGHUP reloads from the handle's current path (b).
      process.emit('SIGHUP', 'SIGHUP');
      while (handle.version < 3) await new Promise((resolve) => setTimeout(resolve, 2));
      await waitForRequests(100);
      stop = true;
      await Promise.all(clients);

      expect([...statuses.keys()]).toEqual([200]);
      expect(outputsByVersion.get(1)?.every((y) => close(y, expected.get('a') as number[]))).toBe(true);
      expect(outputsByVersion.get(2)?.every((y) => close(y, expected.get('b') as number[]))).toBe(true);
      expect(outputsByVersion.get(3)?.every((y) => close(y, expected.get('b') as number[]))).toBe(true);
      expect(outputsByVersion.get(1)?.length).toBeGreaterThan(0);
      expect(outputsByVersion.get(3)?.length).toBeGreaterThan(0);

      const metrics = await (await fetch(`${base}/metrics`)).text();
      const served = [...outputsByVersion.values()].reduce((total, list) => total + list.length, 0);
      const counted = Number(/^tensorrt_node_requests_total\{model="mlp",backend="cpu",source="batcher"\} (\d+)$/m.exec(metrics)?.[1]);
      expect(counted).toBe(served);
      expect(metrics).toMatch(/^tensorrt_node_request_seconds_bucket\{le="0.005",model="mlp",backend="cpu",source="batcher"\} \d+$/m);
      expect(metrics).toContain('process_cpu_user_seconds_total');

      const bad = await fetch(`${base}/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: { x: { dims: [1, 3], data: [1, 2, 3] } } }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('ERR_SHAPE_MISMATCH');
      expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    } finally {
      removeHandlers();
      await server.close();
      await handle.dispose();
    }
  });
});
