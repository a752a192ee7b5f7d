/**
 * Soak test (outside the default suite): many runs per backend on a small model, watching the
 * process's resident memory. A leak of one input copy, promise, listener or native block per run
 * shows up as growth over 10^5 runs; steady state does not. Exits 1 when any backend grows RSS by
 * more than the limit.
 *
 *   npm run soak -- [--runs N] [--limit PERCENT] [--concurrency N]
 *
 * Backends: cpu on the main thread, cpu on a worker thread, and tensorrt on the simulator build
 * (TENSORRT_NODE_BINDING=sim: simulated CUDA streams and TensorRT, the same addon code paths).
 * Every 50th run carries an AbortSignal that fires while it waits, so the abort path soaks too.
 *
 * Measured after a warm-up (default 10^5 runs, its RSS step printed too: the first runs fill V8's
 * young generation page by page, ONNX Runtime's arenas and malloc's per-thread caches, a one-time
 * step of tens of MiB that levels off; a 10^6-run soak of the simulator stayed level after it) and with V8's young generation pinned at its largest size (npm run soak
 * passes --min/max-semi-space-size=16): otherwise V8 doubles the new space whenever allocation
 * pressure says so, a one-time step of up to 16 MiB per isolate that says nothing about leaks.
 *
 * The figure that passes or fails is the growth of the process's RSS as the OS reports it, untrimmed,
 * over the measured runs: the highest of 100 readings taken along the first quarter against the highest
 * along the last quarter (and the final reading). A leak raises the peaks as runs go on; V8's
 * collection sawtooth does not, but it moves any single reading of a ~110 MiB process by +-5% (pages
 * of V8's heap come and go, and the simulator's dead output ArrayBuffers are freed at full
 * collections, whose high-water glibc's arena keeps). Comparing the two endpoint readings gave 0.5% and
 * 10.8% for the same code in back-to-back runs; the peaks do not move that way. No forced garbage
 * collection happens inside the measured runs: it changes V8's heap sizing for the runs after it.
 * Beside it: the bytes in live malloc allocations (testing.heapStats of the simulator build) once
 * garbage is collected, after the warm-up and after the soak (a second warm-up of half as many runs
 * follows the first reading, so the process is back in its running state when the measured runs
 * start), and what malloc_trim would hand back after the soak (freed memory malloc kept resident).
 *
 * Allocator churn grows RSS without a leak: the simulator's run path once made about 200 malloc
 * calls per run (every getTensorShape recomputed all shapes, a job and executor buffers per run, a
 * staging lease per copy); it now makes about 45-50 (test/sim/run-allocations.test.ts bounds it).
 * Output ArrayBuffers are made when a run settles, not when it starts, so no reference holds them
 * through the run; the sawtooth of dead ones on the simulator path (about 12 MiB) remains, cause not found.
 * SOAK_VERBOSE=1 prints RSS and live malloc bytes along the way and the mappings whose RSS grew
 * ([heap] is glibc's main arena); SOAK_MALLOC_INFO=PREFIX writes glibc's malloc_info before and after.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { loadBinding, type NativeTestingHooks } from '../lib/binding.js';
import { ErrorCode, InferenceSession, type SessionOptions, Tensor, TensorRTNodeError } from '../lib/index.js';
import { buildEngine } from '../lib/tensorrt/builder.js';
import { randomArray, staticTanh } from '../test/fixtures/trt-models.js';

process.env.TENSORRT_NODE_BINDING ??= 'sim';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    limit: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '100000' },
    'abort-every': { type: 'string', default: '50' },
    only: { type: 'string' },
  },
});
const runs = Number(args.runs);
const limitPercent = Number(args.limit);
const concurrency = Number(args.concurrency);
const warmupRuns = Number(args.warmup);
const abortEvery = Number(args['abort-every']);

// Every backend's process asks the simulator build for the allocator hooks (npm run soak builds it).
const simulator = loadBinding('sim');
const heapHooks: NativeTestingHooks | undefined = simulator.ok ? simulator.binding.testing : undefined;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run soak does)');

interface Settled {
  /** The process's RSS as the OS reports it. */
  rss: number;
  /** Bytes in live malloc allocations; undefined without the hooks. */
  inUse: number | undefined;
}

/** Memory once garbage is collected and native frees have had a turn of the event loop. */
async function settled(): Promise<Settled> {
  for (let i = 0; i < 3; i++) {
    (gc as () => void)();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { rss: process.memoryUsage().rss, inUse: heapHooks?.heapStats()?.inUse };
}

/** RSS after malloc handed its free pages back to the OS (malloc_trim); undefined without the hooks. */
function trimmedRss(): number | undefined {
  if (heapHooks === undefined) return undefined;
  heapHooks.releaseFreeHeap();
  return process.memoryUsage().rss;
}

/** `count` runs, `concurrency` at a time; every 50th is aborted while it waits behind the others. */
async function drive(session: InferenceSession, count: number, rssSamples?: number[]): Promise<{ ok: number; aborted: number }> {
  const x = new Tensor('float32', randomArray(16, 1), [1, 16]);
  let next = 0;
  let ok = 0;
  let aborted = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        if (rssSamples !== undefined && index % Math.max(1, Math.floor(count / SAMPLES)) === 0) rssSamples.push(process.memoryUsage().rss);
        if (process.env.SOAK_VERBOSE && index % Math.max(1, Math.floor(count / 10)) === 0)
          console.log(`    run ${index}: RSS ${mib(process.memoryUsage().rss)}, live malloc ${mib(heapHooks?.heapStats()?.inUse ?? NaN)}`);
        if (abortEvery > 0 && index % abortEvery === abortEvery - 1) {
          const controller = new AbortController();
          const run = session.run({ x }, { signal: controller.signal });
          controller.abort();
          try {
            await run;
            ok++;
          } catch (error) {
            if (!(error instanceof TensorRTNodeError && error.code === ErrorCode.ABORTED)) throw error;
            aborted++;
          }
        } else {
          await session.run({ x });
          ok++;
        }
      }
    }),
  );
  return { ok, aborted };
}

/** RSS readings per measured phase: growth compares the peak of the first quarter with the peak of the last. */
const SAMPLES = 100;

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Resident bytes per mapping of the process (start address -> { name, rss }), from /proc/self/smaps. */
function residentByMapping(): Map<string, { name: string; rss: number }> {
  const mappings = new Map<string, { name: string; rss: number }>();
  let current: { name: string; rss: number } | undefined;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const size = (parseInt(header[2] as string, 16) - parseInt(header[1] as string, 16)) / 2 ** 20;
      current = { name: `${header[3] || '[anon]'} (${size.toFixed(1)} MiB mapping)`, rss: 0 };
      mappings.set(header[1] as string, current);
    } else if (current && line.startsWith('Rss:')) {
      current.rss = Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  return mappings;
}

const fixture = staticTanh();
const plan = args.only === undefined || args.only.includes('tensorrt') ? await buildEngine(fixture.bytes) : new Uint8Array();
const backends: [string, Uint8Array, SessionOptions][] = [
  ['cpu (main thread)', fixture.bytes, { backend: 'cpu', runOn: 'main', threads: { intraOp: 1 } }],
  ['cpu (worker thread)', fixture.bytes, { backend: 'cpu', runOn: 'worker', threads: { intraOp: 1 } }],
  ['tensorrt (simulator)', plan, { backend: 'tensorrt', tensorrt: { size: 2 } }],
];

const only = args.only;
if (only === undefined) {
  // Each backend soaks in a process of its own, so one's heap and allocator growth is not
  // charged to the next.
  console.log(
    `soak: ${runs} runs per backend after ${warmupRuns} warm-up runs, concurrency ${concurrency}, model x[1,16] -> MatMul -> Tanh; limit ${limitPercent}% RSS growth`,
  );
  let failed = false;
  for (const [name] of backends) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--only', name],
      { stdio: 'inherit' },
    );
    if (child.status !== 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
} else {
  const [name, model, options] = backends.find(([candidate]) => candidate === only) ?? [];
  if (name === undefined)
    throw new Error(`--only: expected one of ${backends.map(([n]) => JSON.stringify(n)).join(', ')} but received ${JSON.stringify(only)}`);
  const session = await InferenceSession.create(model as Uint8Array, options);
  const start = await settled();
  await drive(session, warmupRuns);
  // Live malloc bytes are read once garbage is collected, which changes V8's heap sizing for the runs
  // after it: a second warm-up lets the process settle into its running state again before the RSS
  // baseline is read.
  const warm = await settled();
  await drive(session, Math.ceil(warmupRuns / 2));
  const before = { rss: process.memoryUsage().rss };
  const mapsBefore = process.env.SOAK_VERBOSE ? residentByMapping() : undefined;
  if (process.env.SOAK_MALLOC_INFO) writeFileSync(`${process.env.SOAK_MALLOC_INFO}.before.xml`, heapHooks?.mallocInfo() ?? '');
  const heapBefore = process.memoryUsage();
  const rssSamples: number[] = [];
  const { ok, aborted } = await drive(session, runs, rssSamples);
  const after = { rss: process.memoryUsage().rss };
  const mapsAfter = process.env.SOAK_VERBOSE ? residentByMapping() : undefined;
  if (process.env.SOAK_MALLOC_INFO) writeFileSync(`${process.env.SOAK_MALLOC_INFO}.after.xml`, heapHooks?.mallocInfo() ?? '');
  const end = await settled();
  const heapAfter = process.memoryUsage();
  await session.dispose();
  if (process.env.SOAK_VERBOSE) {
    for (const key of ['heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const)
      console.log(`    ${key}: ${mib(heapBefore[key])} -> ${mib(heapAfter[key])}`);
    const grown = [...(mapsAfter ?? new Map<string, { name: string; rss: number }>())]
      .map(([address, { name, rss }]) => ({ address, name, growth: rss - (mapsBefore?.get(address)?.rss ?? 0) }))
      .filter(({ growth }) => Math.abs(growth) >= 256 * 1024)
      .sort((a, b) => b.growth - a.growth);
    for (const { address, name, growth } of grown) console.log(`    RSS ${growth > 0 ? '+' : ''}${mib(growth)} at ${address} ${name}`);
  }
  const percent = (from: number, to: number): number => ((to - from) / from) * 100;
  // A leak raises the peaks over time; V8's collection sawtooth moves single readings up and down.
  const quarter = Math.max(1, Math.floor(rssSamples.length / 4));
  const firstPeak = Math.max(...rssSamples.slice(0, quarter));
  const lastPeak = Math.max(...rssSamples.slice(-quarter), after.rss);
  const growth = percent(firstPeak, lastPeak);
  const failed = growth > limitPercent;
  const trimmed = trimmedRss();
  console.log(
    `  ${name.padEnd(21)} RSS peak in the first quarter ${mib(firstPeak)}, in the last ${mib(lastPeak)}, growth ${growth.toFixed(2)}% (readings before ${mib(before.rss)}, after ${mib(after.rss)})  (${ok} completed, ${aborted} aborted)  ${failed ? 'FAIL' : 'ok'}`,
  );
  const live =
    warm.inUse === undefined || end.inUse === undefined
      ? 'live malloc bytes not known'
      : `live malloc after the warm-up ${mib(warm.inUse)} -> after the soak ${mib(end.inUse)} (${percent(warm.inUse, end.inUse).toFixed(2)}%)`;
  const kept = trimmed === undefined ? '' : `; malloc_trim after the soak hands back ${mib(end.rss - trimmed)} (RSS ${mib(trimmed)})`;
  console.log(`  ${''.padEnd(21)} [${live}${kept}; at start ${mib(start.rss)}, warm-up step +${mib(before.rss - start.rss)}]`);
  process.exitCode = failed ? 1 : 0;
}
