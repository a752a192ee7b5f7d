// Triton export on a real GPU with real TensorRT (scripts/gpu-check.sh): PP-OCRv4 det is built into
// model.plan with a dynamic profile, and config.pbtxt declares what the real engine takes. Skipped
// without a GPU and TensorRT.
import '../shared/use-release.js';

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tensorrtAvailability } from '../../lib/backends/availability.js';
import { exportTriton } from '../../lib/export/triton.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { realModels } from '../fixtures/real-models.js';
import { ident, msg, msgs, num, nums, parsePbtxt, str } from '../shared/pbtxt.js';

const available = tensorrtAvailability().available;

let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'gpu-triton-'));
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe.skipIf(!available)('Triton export with real TensorRT', () => {
  it('builds PP-OCRv4 det for batches 1..4 and declares its tensors', async () => {
    const result = await exportTriton(realModels.ocrDet, {
      repo,
      name: 'det',
      precision: 'fp16',
      profiles: [{ x: { min: [1, 3, 320, 320], opt: [2, 3, 640, 640], max: [4, 3, 960, 960] } }],
    });
    expect(result).toMatchObject({ format: 'plan', platform: 'tensorrt_plan' });
    const config = parsePbtxt(await readFile(result.configPath, 'utf8'));
    expect(str(config, 'platform')).toBe('tensorrt_plan');
    expect(num(config, 'max_batch_size')).toBe(4);
    expect(msgs(config, 'input').map((t) => [str(t, 'name'), ident(t, 'data_type'), nums(t, 'dims')])).toEqual([
      ['x', 'TYPE_FP32', [3, -1, -1]],
    ]);
    expect(nums(msg(config, 'dynamic_batching'), 'preferred_batch_size')).toEqual([2, 4]);
    const engine = await Engine.load(new Uint8Array(await readFile(result.modelPath)));
    try {
      expect(engine.profiles[0]?.inputs.x?.max).toEqual([4, 3, 960, 960]);
    } finally {
      engine.dispose();
    }
  }, 600_000);
});
