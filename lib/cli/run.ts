/**
 * `tensorrt-node run [model]`: runs a model on real or random inputs and reports latency like
 * trtexec (min/mean/median/p90/p99 and throughput). With no model it runs the embedded default,
 * PP-OCRv4 text detection, so `npm start` measures a real network with no arguments.
 */
import type { Command } from 'commander';
import type { BackendName } from '../backends/backend.js';
import type { RunOn } from '../backends/cpu.js';
import { type BackendChoice, InferenceSession } from '../session.js';
import { resolveDefaultModel } from './default-model.js';
import { formatDims } from '../tensor.js';
import { formatDuration, formatMs, table, toJson } from './format.js';
import { LatencyRecorder, type LatencyStats } from './latency.js';
import { choiceOption, collect, integerOption } from './options.js';
import { maxThreads } from '../validate.js';
import { type PlannedInput, parseInputSpecs, parseShapeSpecs, resolveInputs } from './run-inputs.js';

export interface RunCommandOptions {
  input?: string[];
  shapes?: string[];
  iterations: number;
  warmup: number;
  backend: BackendChoice;
  runOn: RunOn;
  threads?: number;
  seed: number;
  json?: boolean;
}

export interface RunReport {
  model: string;
  description?: string;
  backend: BackendName;
  fallbackReason?: string;
  runOn: RunOn;
  /** CPU backend: the thread the timed runs ran on (runOn 'auto' decides during warm-up). */
  placement?: 'main' | 'worker';
  inputs: PlannedInput[];
  outputs: { name: string; dtype: string; dims: number[] }[];
  warmup: number;
  latency: LatencyStats;
}

export async function runBenchmark(modelArg: string | undefined, options: RunCommandOptions): Promise<RunReport> {
  const fallback = modelArg === undefined ? await resolveDefaultModel() : undefined;
  const model = modelArg ?? (fallback as { path: string }).path;
  const session = await InferenceSession.create(model, {
    backend: options.backend,
    runOn: options.runOn,
    ...(options.threads !== undefined ? { threads: { intraOp: options.threads } } : {}),
  });
  try {
    const sources = parseInputSpecs(options.input ?? [], session.inputs);
    const shapes = parseShapeSpecs(options.shapes ?? [], session.inputs);
    const { feeds, planned } = await resolveInputs(session.inputs, sources, shapes, fallback?.shapes ?? {}, options.seed);

    let results = undefined;
    for (let i = 0; i < options.warmup; i++) results = await session.run(feeds);
    // runOn 'auto' may have started moving to a worker during warm-up: the move (the worker's model
    // load) finishes here, and the timed runs all run where warm-up left them.
    const placement = await session.settlePlacement();
    const latency = new LatencyRecorder();
    const started = performance.now();
    for (let i = 0; i < options.iterations; i++) {
      const before = performance.now();
      results = await session.run(feeds);
      latency.record(performance.now() - before);
    }
    const totalMs = performance.now() - started;
    const outputs = session.outputs.map((info) => ({
      name: info.name,
      dtype: info.dtype,
      dims: results ? [...results[info.name].dims] : [],
    }));
    return {
      model,
      ...(fallback ? { description: fallback.description } : {}),
      backend: session.backend,
      ...(session.fallbackReason ? { fallbackReason: session.fallbackReason } : {}),
      runOn: options.runOn,
      ...(placement ? { placement } : {}),
      inputs: planned,
      outputs,
      warmup: options.warmup,
      latency: latency.stats(totalMs),
    };
  } finally {
    await session.dispose();
  }
}

function formatPlacement(report: RunReport): string {
  if (report.placement === undefined || report.runOn === report.placement) return report.runOn;
  return `${report.placement} thread (auto: decided during warm-up)`;
}

export function formatRun(report: RunReport): string {
  const l = report.latency;
  return [
    `model     ${report.model}${report.description ? `\n          ${report.description}` : ''}`,
    `backend   ${report.backend}${report.fallbackReason ? ` (${report.fallbackReason})` : ''}`,
    `run on    ${formatPlacement(report)}`,
    'inputs:',
    table(report.inputs.map((input) => [input.name, input.dtype, formatDims(input.dims), input.source])),
    'outputs:',
    table(report.outputs.map((output) => [output.name, output.dtype, formatDims(output.dims)])),
    '',
    `=== Performance summary (${l.iterations} iterations after ${report.warmup} warm-up) ===`,
    `Throughput: ${l.throughputQps.toFixed(2)} qps`,
    `Latency: min = ${formatMs(l.minMs)}, max = ${formatMs(l.maxMs)}, mean = ${formatMs(l.meanMs)}, median = ${formatMs(l.p50Ms)}, ` +
      `percentile(90%) = ${formatMs(l.p90Ms)}, percentile(99%) = ${formatMs(l.p99Ms)}`,
    `Total wall time: ${formatDuration(l.totalMs)}`,
  ].join('\n');
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a model on .npy or random inputs and report latency (default model: PP-OCRv4 text detection)')
    .argument('[model]', 'an .onnx file (or a TensorRT engine with the tensorrt backend); default: PP-OCRv4 text detection')
    .option('--input <name=file.npy|name=random>', "an input's data; repeat for each input (others get random data)", collect)
    .option('--shapes <name:NxCxHxW,...>', 'sizes for inputs with symbolic dims, e.g. x:1x3x320x320', collect)
    .option('--iterations <n>', 'timed runs', integerOption('--iterations', { min: 1 }), 20)
    .option(
      '--warmup <n>',
      'untimed runs first; with --run-on auto they also decide main thread or worker (3 suffice)',
      integerOption('--warmup', { min: 0 }),
      3,
    )
    .option('--backend <name>', 'auto, cpu or tensorrt', choiceOption('--backend', ['auto', 'cpu', 'tensorrt'] as const), 'auto')
    .option(
      '--run-on <where>',
      'CPU backend: auto, main or worker thread',
      choiceOption('--run-on', ['auto', 'main', 'worker'] as const),
      'auto',
    )
    .option(
      '--threads <n>',
      `CPU backend: intra-op threads, 1 to ${maxThreads()} (default: ONNX Runtime's choice)`,
      integerOption('--threads', { min: 1, max: maxThreads() }),
    )
    .option('--seed <n>', 'seed for random inputs', integerOption('--seed', { min: 0 }), 1)
    .option('--json', 'print the report as JSON')
    .action(async (model: string | undefined, options: RunCommandOptions) => {
      const report = await runBenchmark(model, options);
      process.stdout.write(`${options.json ? toJson(report) : formatRun(report)}\n`);
    });
}
