// A run allocates little once its context is warm: per-run allocator churn (the simulator
// recomputing every tensor's shape at each getTensorShape, a job and executor buffers per run,
// a staging lease per copy) fragments glibc's heap, and the process's RSS creeps up with it over
// a long soak although nothing leaks. Counted with a malloc counter preloaded into a child
// process (its count covers the whole process: the addon, the simulated CUDA and TensorRT, and
// what Node and V8 allocate for the run's promise, arrays and references).
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { staticTanh } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';

const counter = join(dirname(simBindingPath()), 'libtrtn_malloc_counter.so');
const onGlibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined;

describe.runIf(onGlibc)('allocations of a run', () => {
  it('stay under 80 per run of a one-input, one-output engine once warm', async () => {
    expect(existsSync(counter), `${counter} (built with the simulator)`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'trtn-allocations-'));
    try {
      const planPath = join(dir, 'model.plan');
      writeFileSync(planPath, await planFor(staticTanh()));
      const script = fileURLToPath(new URL('./fixtures/run-allocations.cjs', import.meta.url));
      const report = JSON.parse(
        execFileSync(process.execPath, [script, simBindingPath(), planPath, '2000'], {
          encoding: 'utf8',
          timeout: 120_000,
          env: { ...process.env, LD_PRELOAD: counter },
        }),
      ) as { perRun: number };
      // About 200 before the simulator kept its shapes and jobs and the staging pool its leases.
      expect(report.perRun).toBeGreaterThan(0);
      expect(report.perRun).toBeLessThan(80);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
