// A run whose GPU work fails: the simulated TensorRT's kernel faults (a sim test hook arms the
// fault), which leaves the CUDA context with a sticky error, as a faulting kernel does on a GPU.
// The run must reject with the CUDA error (and what TensorRT logged while enqueuing it), and the context must
// refuse later runs with a clear error instead of hanging or resolving with garbage. The sticky
// error poisons the whole process, so the runs happen in a child process (with a time limit: a
// run that never settles would otherwise hang the suite).
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { ErrorCode } from '../../lib/errors.js';
import { staticTanh } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';

describe('a run whose GPU work faults', () => {
  it('rejects with ERR_CUDA naming the error; the context then refuses runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trtn-fault-'));
    try {
      const planPath = join(dir, 'model.plan');
      writeFileSync(planPath, await planFor(staticTanh()));
      const script = fileURLToPath(new URL('./fixtures/device-fault.cjs', import.meta.url));
      const report = JSON.parse(
        execFileSync(process.execPath, [script, simBindingPath(), planPath], { encoding: 'utf8', timeout: 60_000 }),
      );

      expect(report.healthy).toBe(1);
      expect(report.failed).toMatchObject({ code: ErrorCode.CUDA, message: expect.stringContaining('cudaErrorIllegalAddress') });
      expect(report.failed.message).toContain('sticky');
      // The CUDA error. On a GPU TensorRT does not log kernel faults (CUDA reports them on the
      // stream), so nothing logged while the work executed is collected: the simulated
      // executor's line must not reach the error either.
      expect(report.failed.details).toContain('cudaErrorIllegalAddress: an illegal memory access was encountered');
      expect(report.failed.details).not.toMatch(/execution failed/);
      expect(report.outputUntouched).toBe(true);
      expect(report.busyAfter).toBe(false);
      expect(report.again).toMatchObject({
        code: ErrorCode.CUDA,
        message: expect.stringMatching(/earlier run failed with cudaErrorIllegalAddress.*restart the process/),
      });
      // Another context of the engine does not hang either: CUDA reports the sticky error to it.
      expect(report.elsewhere).toMatchObject({ code: ErrorCode.CUDA, message: expect.stringContaining('cudaErrorIllegalAddress') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
