import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveNpy } from '../../lib/npy.js';
import { Tensor } from '../../lib/tensor.js';
import { realModels as models } from '../fixtures/real-models.js';
import { randomFloats } from '../fixtures/random.js';
import { unusedInitializerModel } from '../fixtures/onnx-models.js';
import { type CliResult, ensureBuilt, expectedError, root, runCli } from './cli-helper.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-run-'));
  await ensureBuilt();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parseReport(result: CliResult) {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

function expectSaneLatency(latency: Record<string, number>, iterations: number): void {
  expect(latency.iterations).toBe(iterations);
  const ordered = [latency.minMs, latency.p50Ms, latency.p90Ms, latency.p99Ms, latency.maxMs];
  expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
  expect(latency.minMs).toBeGreaterThan(0);
  expect(latency.meanMs).toBeGreaterThanOrEqual(latency.minMs);
  expect(latency.meanMs).toBeLessThanOrEqual(latency.maxMs);
  // Throughput is runs over wall time, so it cannot exceed what the fastest run allows.
  expect(latency.throughputQps).toBeGreaterThan(0);
  expect(latency.throughputQps).toBeLessThanOrEqual(1000 / latency.minMs);
  expect(latency.totalMs).toBeGreaterThanOrEqual(latency.meanMs * iterations * 0.999);
}

describe('tensorrt-node run', () => {
  it('runs the classifier on random data at the given shape and reports JSON', async () => {
    const report = parseReport(
      await runCli(['run', models.ocrCls, '--shapes', 'x:1x3x48x192', '--iterations', '4', '--warmup', '1', '--json']),
    );
    expect(report.model).toBe(models.ocrCls);
    expect(report.backend).toBe('cpu');
    // This machine has no TensorRT library, an addon built without its headers, and no GPU driver.
    expect(report.fallbackReason).toBe(
      "TensorRT's library could not be loaded. The native addon was built without TensorRT. No CUDA device is usable.",
    );
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', dims: [1, 3, 48, 192], source: 'random' }]);
    expect(report.outputs).toEqual([{ name: 'softmax_0.tmp_0', dtype: 'float32', dims: [1, 2] }]);
    expect(report.warmup).toBe(1);
    expectSaneLatency(report.latency, 4);
  });

  it('reads an input from a .npy file, whose shape fills the symbolic dims', async () => {
    const path = join(dir, 'batch2.npy');
    await saveNpy(path, new Tensor('float32', randomFloats(2 * 3 * 48 * 96, 5), [2, 3, 48, 96]));
    const report = parseReport(
      await runCli(['run', models.ocrCls, '--input', `x=${path}`, '--iterations', '2', '--warmup', '0', '--run-on', 'worker', '--json']),
    );
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', dims: [2, 3, 48, 96], source: path }]);
    expect(report.outputs[0].dims).toEqual([2, 2]);
    expect(report.runOn).toBe('worker');
    expect(report.placement).toBe('worker');
  });

  it('with --run-on auto and no warm-up the placement is settled before the first timed run: all run on the main thread', async () => {
    const report = parseReport(
      await runCli(['run', models.ocrCls, '--shapes', 'x:1x3x48x192', '--iterations', '3', '--warmup', '0', '--json']),
    );
    expect(report.runOn).toBe('auto');
    expect(report.placement).toBe('main');
  });

  it('runs the embedded default model (PP-OCRv4 detection at 1x3x640x640) with no model argument', async () => {
    const report = parseReport(await runCli(['run', '--iterations', '2', '--warmup', '1', '--json']));
    expect(report.model).toBe(models.ocrDet);
    expect(report.description).toMatch(/PP-OCRv4/);
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', dims: [1, 3, 640, 640], source: 'random' }]);
    expect(report.outputs).toEqual([{ name: 'sigmoid_0.tmp_0', dtype: 'float32', dims: [1, 1, 640, 640] }]);
    expectSaneLatency(report.latency, 2);
  });

  it('prints a trtexec-style summary for the detector at 320x320', async () => {
    const result = await runCli([
      'run',
      models.ocrDet,
      '--shapes',
      'x:1x3x320x320',
      '--iterations',
      '3',
      '--warmup',
      '1',
      '--run-on',
      'main',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^backend +cpu \(TensorRT's library could not be loaded\. The native addon was built without TensorRT\. No CUDA device is usable\.\)$/m,
    );
    expect(result.stdout).toMatch(/^ +x +float32 +\[1, 3, 320, 320\] +random$/m);
    expect(result.stdout).toMatch(/^ +sigmoid_0\.tmp_0 +float32 +\[1, 1, 320, 320\]$/m);
    expect(result.stdout).toContain('=== Performance summary (3 iterations after 1 warm-up) ===');
    expect(result.stdout).toMatch(/^Throughput: \d+\.\d\d qps$/m);
    expect(result.stdout).toMatch(
      /^Latency: min = [\d.]+ ms, max = [\d.]+ ms, mean = [\d.]+ ms, median = [\d.]+ ms, percentile\(90%\) = [\d.]+ ms, percentile\(99%\) = [\d.]+ ms$/m,
    );
  });
});

describe("--log-level: ONNX Runtime's own messages", () => {
  let model: string;
  beforeAll(async () => {
    model = join(dir, 'unused-initializer.onnx');
    await writeFile(model, unusedInitializerModel());
  });
  const args = () => ['run', model, '--shapes', 'x:1x4', '--iterations', '1', '--warmup', '0', '--json'];

  it("prints ONNX Runtime's warnings by default", async () => {
    const result = await runCli([...args(), '--run-on', 'main']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Removing initializer 'unused'/);
  });

  // A worker's onnxruntime-node starts ONNX Runtime at its own default level when it is the first to
  // start it: the level must travel in the worker's session options too.
  it.each(['main', 'worker'] as const)('error silences them (runOn %s)', async (runOn) => {
    const result = await runCli([...args(), '--run-on', runOn, '--log-level', 'error']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it("the session option logLevel does the same for library users (ONNX Runtime's logSeverityLevel)", async () => {
    const script = `import { InferenceSession } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      const session = await InferenceSession.create(${JSON.stringify(model)}, { backend: 'cpu', runOn: 'worker', logLevel: 'error' });
      await session.dispose();`;
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], (error, _stdout, stderr) =>
        resolve({ code: error ? 1 : 0, stderr }),
      );
    });
    expect(result).toEqual({ code: 0, stderr: '' });
  });

  it("reaches the sessions optimize creates for its quality report (ONNX Runtime's environment level)", async () => {
    const evalDir = join(dir, 'eval-unused');
    await mkdir(evalDir);
    await saveNpy(join(evalDir, '0.npy'), new Tensor('float32', randomFloats(4, 3), [1, 4]));
    const output = join(dir, 'unused.fp16.onnx');
    const noisy = await runCli(['optimize', model, '--fp16', '-o', output, '--eval', evalDir, '--latency-rounds', '0']);
    expect(noisy.code).toBe(0);
    expect(noisy.stderr).toMatch(/Removing initializer 'unused'/);
    const quiet = await runCli([
      'optimize',
      model,
      '--fp16',
      '-o',
      output,
      '--eval',
      evalDir,
      '--latency-rounds',
      '0',
      '--log-level',
      'error',
    ]);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses a level ONNX Runtime does not have', async () => {
    expect(expectedError(await runCli([...args(), '--log-level', 'loud']))).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      message: 'Expected one of verbose, info, warning, error, fatal for --log-level but received "loud"',
    });
  });
});

describe('tensorrt-node run: bad arguments exit 1 with one error line and its code', () => {
  const cases: [string, string[], string, RegExp][] = [
    [
      'symbolic dims without --shapes',
      ['run', models.ocrCls],
      'ERR_INVALID_ARGUMENT',
      /Expected --shapes to size the symbolic dims \(p2o\.DynamicDimension\.0, p2o\.DynamicDimension\.1, p2o\.DynamicDimension\.2\) of input "x"/,
    ],
    [
      'a shape of the wrong rank',
      ['run', models.ocrCls, '--shapes', 'x:1x3x48'],
      'ERR_SHAPE_MISMATCH',
      /input "x" but --shapes gives \[1, 3, 48\]/,
    ],
    ['a shape against a fixed dim', ['run', models.ocrCls, '--shapes', 'x:1x4x48x192'], 'ERR_SHAPE_MISMATCH', /input "x"/],
    [
      'a malformed --shapes',
      ['run', models.ocrCls, '--shapes', 'x=1x3'],
      'ERR_INVALID_ARGUMENT',
      /Expected name:dims such as x:1x3x224x224 for --shapes but received "x=1x3"/,
    ],
    [
      'an unknown input',
      ['run', models.ocrCls, '--input', 'image=random'],
      'ERR_UNKNOWN_TENSOR',
      /Expected one of the model's inputs \("x"\) for --input but received an unknown input "image"/,
    ],
    [
      'a missing .npy file',
      ['run', models.ocrCls, '--input', 'x=/nonexistent/x.npy'],
      'ERR_IO',
      /\/nonexistent\/x\.npy but it does not exist/,
    ],
    ['a missing model', ['run', '/nonexistent/model.onnx'], 'ERR_MODEL_LOAD', /\/nonexistent\/model\.onnx but it does not exist/],
    [
      'shapes too large for memory',
      ['run', models.ocrCls, '--shapes', 'x:100000x3x48x100000'],
      'ERR_INVALID_ARGUMENT',
      /^Expected dims whose float32 data fits in one array \(at most [\d.]+ [GM]iB\) for the random data of input "x" but received \[100000, 3, 48, 100000\] \([\d.e+]+ GiB\); use smaller dims$/,
    ],
    [
      'a thousand threads',
      ['run', models.ocrCls, '--threads', '1000'],
      'ERR_INVALID_ARGUMENT',
      /^Expected an integer from 1 to \d+ for --threads but received "1000"$/,
    ],
    [
      'zero iterations',
      ['run', models.ocrCls, '--iterations', '0'],
      'ERR_INVALID_ARGUMENT',
      /Expected an integer >= 1 for --iterations but received "0"/,
    ],
    ['a non-numeric warmup', ['run', models.ocrCls, '--warmup', 'many'], 'ERR_INVALID_ARGUMENT', /for --warmup but received "many"/],
    [
      'an unknown backend',
      ['run', models.ocrCls, '--backend', 'gpu'],
      'ERR_INVALID_ARGUMENT',
      /Expected one of auto, cpu, tensorrt for --backend but received "gpu"/,
    ],
    [
      'the tensorrt backend here',
      ['run', models.ocrCls, '--backend', 'tensorrt'],
      'ERR_BACKEND_UNAVAILABLE',
      /The tensorrt backend is unavailable: /,
    ],
    ['an unknown option', ['run', '--frobnicate'], 'ERR_INVALID_ARGUMENT', /unknown option '--frobnicate'/],
    ['an unknown command', ['frobnicate'], 'ERR_INVALID_ARGUMENT', /unknown command 'frobnicate'/],
    // optimize is registered through lib/cli/commands.ts like the others, and fails the same way.
    ['optimize without a mode', ['optimize', models.ocrCls], 'ERR_INVALID_ARGUMENT', /Expected exactly one of --fp16/],
  ];
  for (const [what, args, code, message] of cases) {
    it(what, async () => {
      const result = await runCli(args);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const error = expectedError(result);
      expect(error, `stderr was: ${result.stderr}`).toBeDefined();
      expect(error?.code).toBe(code);
      expect(error?.message).toMatch(message);
    });
  }

  it('names the file when a .npy input has the wrong dtype', async () => {
    const path = join(dir, 'doubles.npy');
    await saveNpy(path, new Tensor('float64', new Float64Array(3 * 8 * 8), [1, 3, 8, 8]));
    const error = expectedError(await runCli(['run', models.ocrCls, '--input', `x=${path}`]));
    expect(error).toEqual({ code: 'ERR_DTYPE_MISMATCH', message: `Expected dtype float32 for input "x" but ${path} holds float64` });
  });

  it('prints the backend’s own text after the error line with --verbose, and only the error line without it', async () => {
    const path = join(dir, 'not-a-model.onnx');
    await writeFile(path, 'not a protobuf');
    const plain = await runCli(['run', path]);
    expect(expectedError(plain)?.code).toBe('ERR_MODEL_LOAD');
    const verbose = await runCli(['run', path, '--verbose']);
    expect(verbose.code).toBe(1);
    const [first, ...details] = verbose.stderr.trimEnd().split('\n');
    expect(first).toBe(plain.stderr.trimEnd());
    expect(details.join('\n')).toMatch(/Protobuf parsing failed/);
  });
});
