// `tensorrt-node bench`: the report's shape (never its times).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { servingMlp } from '../fixtures/serving-models.js';
import { ensureBuilt, expectedError, runCli } from './cli-helper.js';

let dir: string;
let model: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'bench-cli-'));
  model = join(dir, 'mlp.onnx');
  await writeFile(model, servingMlp());
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('tensorrt-node bench', () => {
  it('reports latency percentiles, throughput and batch sizes as JSON', async () => {
    const result = await runCli([
      'bench',
      model,
      '--backend',
      'cpu',
      '--concurrency',
      '16',
      '--batcher',
      '--requests',
      '300',
      '--warmup',
      '20',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      model,
      backend: 'cpu',
      mode: 'batcher',
      load: { concurrency: 16, requests: 300, failed: 0, errors: {} },
    });
    expect(report.load.latencyMs.count).toBe(300);
    expect(report.load.latencyMs.p99).toBeGreaterThanOrEqual(report.load.latencyMs.p50);
    expect(report.load.throughput).toBeGreaterThan(0);
    expect(report.batchSize.sum).toBeGreaterThanOrEqual(320);
    expect(typeof report.policy.batchingPays).toBe('boolean');
  });

  it('prints a trtexec-like summary straight to the session', async () => {
    const result = await runCli(['bench', model, '--backend', 'cpu', '--requests', '50']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('straight to the session, 1 concurrent clients');
    expect(result.stdout).toMatch(/Throughput: [\d.]+ qps\nLatency: min = .*percentile\(99%\) = /);
  });

  it('reports a model that is not there', async () => {
    const result = await runCli(['bench', join(dir, 'missing.onnx')]);
    expect(expectedError(result)?.code).toBe('ERR_MODEL_LOAD');
  });
});
