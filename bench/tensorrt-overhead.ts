/**
 * Per-run overhead of the native TensorRT path against the CPU backend, side by side in one run,
 * on a tiny model (x[1,16] -> MatMul -> Tanh) where the compute itself is negligible. The native
 * path here is the simulator build (addon -> simulated CUDA streams -> simulated TensorRT), so the
 * number is the cost of the machinery: validation, H2D/enqueue/D2H on the context's stream, the
 * host callback and the promise settling through a thread-safe function.
 *
 *   npm run bench:tensorrt -- [--runs N] [--rounds N] [--concurrency N]
 */
import { parseArgs } from 'node:util';

import { InferenceSession } from '../lib/session.js';
import { Tensor } from '../lib/tensor.js';
import { buildEngine } from '../lib/tensorrt/builder.js';
import { randomArray, staticTanh } from '../test/fixtures/trt-models.js';

process.env.TENSORRT_NODE_BINDING ??= 'sim';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1' },
  },
});
const runs = Number(args.runs);
const rounds = Number(args.rounds);
const concurrency = Number(args.concurrency);

async function perRunMicros(session: InferenceSession, x: Tensor): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < runs) await session.run({ x });
    }),
  );
  return Number(process.hrtime.bigint() - start) / 1000 / runs;
}

const fixture = staticTanh();
const plan = await buildEngine(fixture.bytes);
const tensorrt = await InferenceSession.create(plan, { backend: 'tensorrt', tensorrt: { size: Math.max(1, concurrency) } });
const cpu = await InferenceSession.create(fixture.bytes, { backend: 'cpu', runOn: 'main', threads: { intraOp: 1 } });
const x = new Tensor('float32', randomArray(16, 1), [1, 16]);
await perRunMicros(tensorrt, x);
await perRunMicros(cpu, x);

const trtTimes: number[] = [];
const cpuTimes: number[] = [];
for (let round = 0; round < rounds; round++) {
  trtTimes.push(await perRunMicros(tensorrt, x));
  cpuTimes.push(await perRunMicros(cpu, x));
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const trt = median(trtTimes);
const ort = median(cpuTimes);
console.log(`per-run overhead, ${runs} runs x ${rounds} rounds, concurrency ${concurrency}, model x[1,16] -> MatMul -> Tanh`);
console.log(`  tensorrt (sim build): ${trt.toFixed(1)} us/run  (rounds: ${trtTimes.map((t) => t.toFixed(1)).join(', ')})`);
console.log(`  cpu (onnxruntime):    ${ort.toFixed(1)} us/run  (rounds: ${cpuTimes.map((t) => t.toFixed(1)).join(', ')})`);
console.log(`  ratio tensorrt/cpu:   ${(trt / ort).toFixed(2)}`);
await tensorrt.dispose();
await cpu.dispose();
