// `tensorrt-node export triton` on the simulated TensorRT (the built CLI in a child process): a plan
// is built here and config.pbtxt is read back field by field, the engine's profile matching what the
// config promises; a given plan is copied; refusals leave the repository as it was.
import './use-sim.js';

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Engine } from '../../lib/tensorrt/engine.js';
import { ensureBuilt, expectedError, runCli, startHeldBuild } from '../cli/cli-helper.js';
import { mlp } from '../fixtures/trt-models.js';
import { type PbMessage, ident, msg, msgs, num, nums, parsePbtxt, str } from '../shared/pbtxt.js';

let dir: string;
let repo: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trt-export-triton-'));
  repo = join(dir, 'repo');
  await writeFile(join(dir, 'mlp.onnx'), mlp().bytes);
  await ensureBuilt();
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ExportJson {
  path: string;
  configPath: string;
  modelPath: string;
  format: string;
  platform: string;
  reason: string;
}

async function exported(args: string[]): Promise<{ result: ExportJson; config: PbMessage }> {
  const run = await runCli(['export', 'triton', ...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout) as ExportJson;
  return { result, config: parsePbtxt(await readFile(result.configPath, 'utf8')) };
}

async function profile0(path: string) {
  const engine = await Engine.load(new Uint8Array(await readFile(path)));
  try {
    return engine.profiles[0]?.inputs;
  } finally {
    engine.dispose();
  }
}

describe('export triton with TensorRT here', () => {
  it("builds model.plan for a batch up to the batcher's default and declares it", async () => {
    const { result, config } = await exported([join(dir, 'mlp.onnx'), '--repo', repo]);
    expect(result).toMatchObject({ path: join(repo, 'mlp'), format: 'plan', platform: 'tensorrt_plan' });
    expect(result.reason).toMatch(/^TensorRT 11\.\d+\.\d+ builds engines here: model\.plan is built for this machine's GPU$/);
    expect(await readdir(join(repo, 'mlp', '1'))).toEqual(['model.plan']);
    expect([...config.keys()]).toEqual(['name', 'platform', 'max_batch_size', 'input', 'output', 'dynamic_batching', 'instance_group']);
    expect(str(config, 'name')).toBe('mlp');
    expect(str(config, 'platform')).toBe('tensorrt_plan');
    expect(num(config, 'max_batch_size')).toBe(32);
    const io = (field: string) => msgs(config, field).map((t) => [str(t, 'name'), ident(t, 'data_type'), nums(t, 'dims')]);
    expect(io('input')).toEqual([['x', 'TYPE_FP32', [4]]]);
    expect(io('output')).toEqual([['y', 'TYPE_FP32', [3]]]);
    expect(nums(msg(config, 'dynamic_batching'), 'preferred_batch_size')).toEqual([32]);
    expect(num(msg(config, 'dynamic_batching'), 'max_queue_delay_microseconds')).toBe(2000);
    const [group] = msgs(config, 'instance_group');
    expect([num(group!, 'count'), ident(group!, 'kind'), group!.has('gpus')]).toEqual([2, 'KIND_GPU', false]);
    // What the config promises, the engine takes: every batch from 1 to max_batch_size.
    expect(await profile0(result.modelPath)).toEqual({ x: { min: [1, 4], opt: [32, 4], max: [32, 4] } });
  });

  it('takes --max-batch, --instances, --device, the delay and build flags', async () => {
    const { result, config } = await exported([
      join(dir, 'mlp.onnx'),
      '--repo',
      repo,
      '--name',
      'mlp_small',
      '--max-batch',
      '8',
      '--instances',
      '3',
      '--device',
      '0',
      '--dynamic-batching-delay-us',
      '150',
      '--fp16',
    ]);
    expect(num(config, 'max_batch_size')).toBe(8);
    expect(num(msg(config, 'dynamic_batching'), 'max_queue_delay_microseconds')).toBe(150);
    const [group] = msgs(config, 'instance_group');
    expect([num(group!, 'count'), ident(group!, 'kind'), nums(group!, 'gpus')]).toEqual([3, 'KIND_GPU', [0]]);
    expect(config.has('optimization')).toBe(false); // a plan's precision is in the plan
    expect(await profile0(result.modelPath)).toEqual({ x: { min: [1, 4], opt: [8, 4], max: [8, 4] } });
  });

  it('follows the profile given: max_batch_size is its largest batch, its opt batch preferred', async () => {
    const { config } = await exported([
      join(dir, 'mlp.onnx'),
      '--repo',
      repo,
      '--name',
      'mlp_profile',
      '--min-shapes',
      'x:1x4',
      '--opt-shapes',
      'x:4x4',
      '--max-shapes',
      'x:16x4',
    ]);
    expect(num(config, 'max_batch_size')).toBe(16);
    expect(nums(msg(config, 'dynamic_batching'), 'preferred_batch_size')).toEqual([4, 16]);
  });

  it('copies a plan as it is and reads its tensors from the engine', async () => {
    const plan = join(dir, 'built.plan');
    const build = await runCli(['build', join(dir, 'mlp.onnx'), '-o', plan, '--shapes', 'x:2x4']);
    expect(build.code, build.stderr).toBe(0);
    const { result, config } = await exported([plan, '--repo', repo]);
    expect(result).toMatchObject({ path: join(repo, 'built'), format: 'plan', reason: 'the model is a TensorRT plan: copied as it is' });
    expect(Buffer.compare(await readFile(result.modelPath), await readFile(plan))).toBe(0);
    // A profile fixed at batch 2 cannot take a lone request: served unbatched, the dims as the engine has them.
    expect(num(config, 'max_batch_size')).toBe(0);
    expect(nums(msgs(config, 'input')[0]!, 'dims')).toEqual([-1, 4]);
    expect(config.has('dynamic_batching')).toBe(false);
  });

  it('exports ONNX when asked, even with TensorRT here', async () => {
    const { result, config } = await exported([join(dir, 'mlp.onnx'), '--repo', repo, '--name', 'mlp_onnx', '--format', 'onnx']);
    expect(result).toMatchObject({ format: 'onnx', platform: 'onnxruntime_onnx', reason: 'format onnx was asked for' });
    expect(str(config, 'platform')).toBe('onnxruntime_onnx');
  });
});

describe('export triton refusals', () => {
  it('refuses with a code and leaves the repository as it was', async () => {
    const before = (await readdir(repo)).sort();
    const cases: [string[], string, RegExp][] = [
      [
        ['--name', '../escape'],
        'ERR_INVALID_ARGUMENT',
        /^Expected a model name of letters, digits.* for options\.name but received "\.\.\/escape"$/,
      ],
      [
        ['--max-batch', '4', '--shapes', 'x:16x4'],
        'ERR_INVALID_ARGUMENT',
        /^Expected an engine whose profile 0 takes a batch of 1 for maxBatch 4 .* start at 16;/,
      ],
      [
        ['--max-batch', '64', '--min-shapes', 'x:1x4', '--opt-shapes', 'x:4x4', '--max-shapes', 'x:16x4'],
        'ERR_INVALID_ARGUMENT',
        /^Expected at most 16 .* for maxBatch but received 64$/,
      ],
      [
        ['--instance-kind', 'cpu'],
        'ERR_INVALID_ARGUMENT',
        /^Expected 'gpu' \(TensorRT plans run on GPUs only\) for options\.instanceKind but received "cpu"$/,
      ],
      [['--max-batch', '-1'], 'ERR_INVALID_ARGUMENT', /for --max-batch but received "-1"$/],
    ];
    for (const [args, code, message] of cases) {
      const run = await runCli(['export', 'triton', join(dir, 'mlp.onnx'), '--repo', repo, '--name', 'refused', ...args]);
      expect(run.code, run.stderr).toBe(1);
      // The last line: a build that ran first leaves its progress bar above the error.
      const [, errorCode, errorMessage] = /^error \[([A-Z_]+)\]: (.*)$/.exec(run.stderr.trim().split('\n').at(-1) ?? '') ?? [];
      expect(errorCode, run.stderr).toBe(code);
      expect(errorMessage).toMatch(message);
      expect((await readdir(repo)).sort()).toEqual(before);
    }
  });

  it('refuses build flags for a plan, and a model folder that holds files unless --force', async () => {
    const plan = join(dir, 'built.plan');
    const withFlags = expectedError(await runCli(['export', 'triton', plan, '--repo', repo, '--name', 'again', '--fp16']));
    expect(withFlags).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      message: 'Expected no build options (the plan is built already) for options but received "a TensorRT plan with precision"',
    });
    const taken = expectedError(await runCli(['export', 'triton', join(dir, 'mlp.onnx'), '--repo', repo]));
    expect(taken?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(taken?.message).toBe(
      `Expected an absent or empty model folder at ${join(repo, 'mlp')} (or force to replace it) but received a folder holding 2 entries (1, config.pbtxt)`,
    );
    const { config } = await exported([join(dir, 'mlp.onnx'), '--repo', repo, '--max-batch', '4', '--force']);
    expect(num(config, 'max_batch_size')).toBe(4);
    expect((await readdir(repo)).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});

describe('export triton output and Ctrl-C', () => {
  it('prints what it wrote and why', async () => {
    const run = await runCli(['export', 'triton', join(dir, 'mlp.onnx'), '--repo', repo, '--name', 'mlp_text', '--max-batch', '4']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').slice(0, 2)).toEqual([
      `exported mlp_text to ${join(repo, 'mlp_text')} (tensorrt_plan)`,
      expect.stringMatching(/^ {2}format {2}plan: TensorRT 11\.\d+\.\d+ builds engines here: model\.plan is built for this machine's GPU$/),
    ]);
    expect(run.stdout).toContain(
      `config  ${join(repo, 'mlp_text', 'config.pbtxt')}: max_batch_size 4, dynamic_batching delay 2000 us, preferred 4; 2 x KIND_GPU`,
    );
    expect(run.stdout).toContain('  input   x: TYPE_FP32 [4]\n  output  y: TYPE_FP32 [3]\n');
  });

  it('Ctrl-C during the build leaves neither the model folder nor a temporary one', async () => {
    const quiet = await mkdtemp(join(dir, 'sigint-'));
    const held = await startHeldBuild(['export', 'triton', join(dir, 'mlp.onnx'), '--repo', quiet]);
    // A temporary folder exists while the build runs; the model folder does not.
    expect((await readdir(quiet)).filter((name) => !name.startsWith('.'))).toEqual([]);
    const { code, stderr } = await held.interrupt();
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toMatch(/^error \[ERR_ABORTED\]: The operation was aborted: interrupted \(Ctrl-C\)$/);
    expect(await readdir(quiet)).toEqual([]);
  });
});
