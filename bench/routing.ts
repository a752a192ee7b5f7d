/**
 * `npm run bench:routing`: what the hybrid router costs and what its SLA does, side by side in one run.
 * 1. Overhead: the router's own cost per request, over a target that answers at once; then one
 *    client sending requests back to back to a CPU session (on the main thread), straight or through
 *    a router with that session as its only route. Blocks alternate (order swapped every round) and
 *    the ratio is of the median block throughputs.
 * 2. SLA: 32 clients send latency requests to a router over a local CPU session and a remote session
 *    (the remote backend) against the example KServe v2 server in another process; with a 2 ms SLA
 *    against none, it prints how the requests split and the local route's measured queue wait. Both
 *    routes share this machine's cores, so the numbers say how the policy behaves, not what a real
 *    cluster would give.
 */
import { fork } from 'node:child_process';
import { InferenceSession, type RouteTarget, Tensor, createRouter, measureLoad } from '../lib/index.js';
import { servingMlp } from '../test/fixtures/serving-models.js';
import { seededFloats } from './models.js';
import { formatMs, median } from './stats.js';

const ROUNDS = 5;
const REQUESTS = 2000;

function feedsFor(count: number): Record<string, Tensor>[] {
  return Array.from({ length: count }, (_, i) => ({ x: new Tensor('float32', seededFloats(128, i + 1), [1, 128]) }));
}

/** Microseconds per request the router adds to a target that answers at once (median of 5 rounds). */
async function ownCost(): Promise<void> {
  const out = { y: new Tensor('float32', new Float32Array(16), [1, 16]) };
  const target: RouteTarget = {
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 128] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 16] }],
    run: () => Promise.resolve(out),
  };
  const router = createRouter([{ name: 'local', session: target, concurrency: 2 }], { slaMs: 1e9 });
  const feeds = feedsFor(1)[0] as Record<string, Tensor>;
  const added: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let start = performance.now();
    for (let i = 0; i < 50_000; i++) await target.run(feeds);
    const direct = (performance.now() - start) / 50_000;
    start = performance.now();
    for (let i = 0; i < 50_000; i++) await router.run(feeds);
    added.push((performance.now() - start) / 50_000 - direct);
  }
  await router.dispose();
  console.log(`\n== the router's own cost: +${formatMs(median(added))} per request (a target that answers at once)`);
}

async function overhead(session: InferenceSession): Promise<void> {
  const feeds = feedsFor(16);
  const router = createRouter([{ name: 'local', session }], { slaMs: 1e9 });
  const direct = (_: number, sequence: number) => session.run(feeds[sequence % feeds.length] as Record<string, Tensor>);
  const routed = (_: number, sequence: number) => router.run(feeds[sequence % feeds.length] as Record<string, Tensor>);
  await measureLoad(direct, { concurrency: 1, requests: REQUESTS });
  await measureLoad(routed, { concurrency: 1, requests: REQUESTS });
  const throughput = { direct: [] as number[], routed: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['direct', 'routed'] as const) : (['routed', 'direct'] as const);
    for (const way of order) {
      const report = await measureLoad(way === 'direct' ? direct : routed, { concurrency: 1, requests: REQUESTS });
      if (report.failed > 0) throw new Error(`${report.failed} requests failed: ${JSON.stringify(report.errors)}`);
      throughput[way].push(report.throughput);
    }
  }
  await router.dispose();
  const d = median(throughput.direct);
  const r = median(throughput.routed);
  console.log(`\n== overhead: one client, ${ROUNDS} rounds of ${REQUESTS} requests per way (128-512-512-16 MLP, cpu)`);
  console.log(`   session.run   ${d.toFixed(0).padStart(7)} req/s`);
  console.log(
    `   router.run    ${r.toFixed(0).padStart(7)} req/s   ratio ${(r / d).toFixed(3)}   +${formatMs(1000 / r - 1000 / d)} per request`,
  );
}

async function sla(local: InferenceSession, remote: RouteTarget): Promise<void> {
  const feeds = feedsFor(16);
  // Warm both routes (connections, the server's session, JIT) so neither measured block pays for it.
  const warm = createRouter(
    [
      { name: 'local', session: local },
      { name: 'remote', session: remote },
    ],
    { slaMs: Infinity },
  );
  for (const priority of ['latency', 'bulk'] as const)
    await measureLoad((client, sequence) => warm.run(feeds[(client + sequence) % feeds.length] as Record<string, Tensor>, { priority }), {
      concurrency: 32,
      requests: 500,
    });
  await warm.dispose();
  console.log('\n== SLA: 32 clients, 2000 latency requests; local cpu session + a remote session (example server on loopback)');
  for (const slaMs of [Infinity, 2]) {
    const router = createRouter(
      [
        { name: 'local', session: local },
        { name: 'remote', session: remote },
      ],
      { slaMs },
    );
    const report = await measureLoad(
      (client, sequence) => router.run(feeds[(client + sequence) % feeds.length] as Record<string, Tensor>),
      {
        concurrency: 32,
        requests: 2000,
      },
    );
    const m = router.metrics().routes;
    await router.dispose();
    console.log(
      `   SLA ${(slaMs === Infinity ? 'none' : `${slaMs} ms`).padEnd(5)}  local ${String(m.local?.completed).padStart(4)}  remote ${String(m.remote?.completed).padStart(4)}` +
        `   local queue wait p50 ${formatMs(m.local?.queueMs.p50 ?? 0)} p99 ${formatMs(m.local?.queueMs.p99 ?? 0)}` +
        `   request p99 ${formatMs(report.latencyMs.p99)}` +
        `\n              spills ${m.local?.spills}  failovers ${m.local?.failovers}/${m.remote?.failovers}  errors ${JSON.stringify(m.local?.errors)}/${JSON.stringify(m.remote?.errors)}`,
    );
  }
}

const local = await InferenceSession.create(servingMlp(), { backend: 'cpu', runOn: 'main' });
const server = fork(new URL('./routing-server.js', import.meta.url));
try {
  const url = await new Promise<string>((resolve, reject) => {
    server.once('message', (message) => resolve((message as { url: string }).url));
    server.once('exit', (code) => reject(new Error(`the route's server exited with code ${code}`)));
  });
  await ownCost();
  await overhead(local);
  await using remote = await InferenceSession.create(url, { backend: 'remote' });
  await sla(local, remote);
} finally {
  server.disconnect();
  await local.dispose();
}
