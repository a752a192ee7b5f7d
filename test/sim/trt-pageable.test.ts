// Plain (pageable) TypedArrays as a run's inputs and outputs never block the JS thread: the
// context stages them through pinned blocks, as the CUDA layer's copies do. The simulator, like
// CUDA, makes copies to or from pageable memory wait for the stream; the context's stream is held
// by a gate (a sim test hook), so a blocking copy would hang: hence a child process with a limit.
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { staticTanh } from '../fixtures/trt-models.js';
import { maxAbsDiff, planFor } from './trt-helpers.js';

describe('runs with pageable arrays', () => {
  it('return before the stream reaches them and land the outputs when it does', async () => {
    const fixture = staticTanh();
    const dir = mkdtempSync(join(tmpdir(), 'trtn-pageable-'));
    try {
      const planPath = join(dir, 'model.plan');
      writeFileSync(planPath, await planFor(fixture));
      const script = fileURLToPath(new URL('./fixtures/context-pageable-no-block.cjs', import.meta.url));
      const report = JSON.parse(
        execFileSync(process.execPath, [script, simBindingPath(), planPath], { encoding: 'utf8', timeout: 60_000 }),
      );

      const x = new Float32Array(16).map((_, i) => i / 8 - 1);
      const session = await ort.InferenceSession.create(fixture.bytes);
      const want = (await session.run({ x: new ort.Tensor('float32', x, [1, 16]) })).y?.data as Float32Array;
      await session.release();

      expect(report.inFlight).toEqual({ busy: true, outputUntouched: true });
      expect(report.eventLoopTurned).toBe(true);
      expect(report.same).toBe(true);
      expect(maxAbsDiff(report.y, want)).toBeLessThan(1e-6);
      expect(report.busy2).toBe(true);
      expect(maxAbsDiff(report.fresh, want)).toBeLessThan(1e-6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
