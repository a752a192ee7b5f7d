// `tensorrt-node export triton` where TensorRT cannot build (this process's binding has no TensorRT):
// the ONNX model is exported, the output says why, and build flags that only shape engines are named
// as unused.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tensorrtAvailability } from '../../lib/backends/availability.js';
import { realModels } from '../fixtures/real-models.js';
import { ident, msgs, num, parsePbtxt, str } from '../shared/pbtxt.js';
import { ensureBuilt, runCli } from './cli-helper.js';

let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'cli-export-triton-'));
  await ensureBuilt();
}, 300_000);
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('tensorrt-node export triton without TensorRT', () => {
  it.skipIf(tensorrtAvailability().available)('exports ONNX, says why, and names the engine-only flags it did not use', async () => {
    const run = await runCli([
      'export',
      'triton',
      realModels.ocrCls,
      '--repo',
      repo,
      '--name',
      'cls',
      '--shapes',
      'x:1x3x48x192',
      '--instances',
      '1',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`exported cls to ${join(repo, 'cls')} (onnxruntime_onnx)`);
    expect(lines[1]).toMatch(
      /^ {2}format {2}onnx: TensorRT cannot build engines here \(.+\): model\.onnx is exported for Triton's ONNX Runtime backend with its TensorRT accelerator$/,
    );
    expect(lines.at(-1)).toBe('note: --shapes applies to TensorRT engines only; not used for the ONNX export');
    expect(await readdir(join(repo, 'cls', '1'))).toEqual(['model.onnx']);
    const config = parsePbtxt(await readFile(join(repo, 'cls', 'config.pbtxt'), 'utf8'));
    expect([str(config, 'platform'), num(config, 'max_batch_size')]).toEqual(['onnxruntime_onnx', 32]);
    expect([num(msgs(config, 'instance_group')[0]!, 'count'), ident(msgs(config, 'instance_group')[0]!, 'kind')]).toEqual([1, 'KIND_GPU']);
  });

  it('prints the result as JSON', async () => {
    const run = await runCli([
      'export',
      'triton',
      realModels.ocrCls,
      '--repo',
      repo,
      '--name',
      'cls_json',
      '--format',
      'onnx',
      '--instance-kind',
      'cpu',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      format: string;
      modelPath: string;
      config: { instance_group: unknown[]; optimization?: unknown };
    };
    expect(result).toMatchObject({ format: 'onnx', modelPath: join(repo, 'cls_json', '1', 'model.onnx') });
    expect(result.config.instance_group).toEqual([{ count: 2, kind: 'KIND_CPU' }]);
    expect(result.config.optimization).toBeUndefined();
  });
});
