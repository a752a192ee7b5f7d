/**
 * `tensorrt-node bench <model>`: like trtexec, but for serving: `--concurrency` clients send
 * single-item requests back to back, straight to the session or through the dynamic batcher
 * (`--batcher`), and it reports latency percentiles and throughput.
 */
import type { Command } from 'commander';
import type { BackendName } from '../backends/backend.js';
import { createBatcher } from '../serve/batcher.js';
import type { PolicyState } from '../serve/batch-policy.js';
import type { HistogramSnapshot } from '../serve/histogram.js';
import { type LoadReport, measureLoad } from '../serve/load.js';
import { type BackendChoice, InferenceSession } from '../session.js';
import { formatDuration, formatMs, toJson } from './format.js';
import { choiceOption, collect, integerOption } from './options.js';
import { parseShapeSpecs, resolveInputs } from './run-inputs.js';

interface BenchCommandOptions {
  concurrency: number;
  requests: number;
  warmup: number;
  batcher?: boolean;
  maxBatch: number;
  maxDelay: number;
  shapes?: string[];
  backend: BackendChoice;
  seed: number;
  json?: boolean;
}

export interface BenchReport {
  model: string;
  backend: BackendName;
  mode: 'batcher' | 'session';
  load: LoadReport;
  /** With --batcher: items per run and what the adaptive policy decided. */
  batchSize?: HistogramSnapshot;
  policy?: PolicyState;
}

export async function benchModel(model: string, options: BenchCommandOptions): Promise<BenchReport> {
  const session = await InferenceSession.create(model, { backend: options.backend });
  try {
    // One item per request: a symbolic first dim is 1 unless --shapes says otherwise.
    const shapes = parseShapeSpecs(options.shapes ?? [], session.inputs);
    const defaults: Record<string, number[]> = {};
    for (const info of session.inputs) {
      const rest = info.shape.slice(1);
      if (rest.every((dim) => typeof dim === 'number' && dim >= 0) && info.shape.length > 0)
        defaults[info.name] = [1, ...(rest as number[])];
    }
    const { feeds } = await resolveInputs(session.inputs, new Map(), shapes, defaults, options.seed);
    const batcher = options.batcher
      ? createBatcher(session, {
          maxBatchSize: options.maxBatch,
          maxDelayMs: options.maxDelay,
          maxQueue: Math.max(1024, options.concurrency * 2),
        })
      : undefined;
    const load = await measureLoad(() => (batcher ? batcher.run(feeds) : session.run(feeds)), {
      concurrency: options.concurrency,
      requests: options.requests,
      warmup: options.warmup,
    });
    const report: BenchReport = { model, backend: session.backend, mode: batcher ? 'batcher' : 'session', load };
    if (batcher) {
      report.batchSize = batcher.metrics().batchSize;
      report.policy = batcher.policy;
      await batcher.dispose();
    }
    return report;
  } finally {
    await session.dispose();
  }
}

export function formatBench(report: BenchReport): string {
  const l = report.load.latencyMs;
  const lines = [
    `model     ${report.model}`,
    `backend   ${report.backend}, ${report.mode === 'batcher' ? 'through the dynamic batcher' : 'straight to the session'}, ${report.load.concurrency} concurrent clients`,
    `=== Performance summary (${report.load.requests} requests) ===`,
    `Throughput: ${report.load.throughput.toFixed(2)} qps`,
    `Latency: min = ${formatMs(l.min)}, max = ${formatMs(l.max)}, mean = ${formatMs(l.mean)}, median = ${formatMs(l.p50)}, percentile(90%) = ${formatMs(l.p90)}, percentile(99%) = ${formatMs(l.p99)}`,
  ];
  if (report.load.failed > 0)
    lines.push(
      `Failed: ${report.load.failed} (${Object.entries(report.load.errors)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')})`,
    );
  if (report.batchSize)
    lines.push(
      `Batches: mean ${report.batchSize.mean.toFixed(1)} items, p50 ${report.batchSize.p50.toFixed(0)}, max ${report.batchSize.max}; batching ${report.policy?.batchingPays ? 'pays' : 'does not pay'} here`,
    );
  lines.push(`Total wall time: ${formatDuration(report.load.wallMs)}`);
  return lines.join('\n');
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'serving benchmark: latency percentiles and throughput of concurrent single-item requests, with or without the dynamic batcher',
    )
    .argument('<model>', 'an .onnx file (or a TensorRT engine)')
    .option('--concurrency <n>', 'clients sending requests back to back', integerOption('--concurrency', { min: 1 }), 1)
    .option('--requests <n>', 'timed requests', integerOption('--requests', { min: 1 }), 1000)
    .option('--warmup <n>', 'untimed requests first', integerOption('--warmup', { min: 0 }), 50)
    .option('--batcher', 'send through the dynamic batcher')
    .option('--max-batch <n>', "the batcher's maxBatchSize", integerOption('--max-batch', { min: 1 }), 64)
    .option('--max-delay <ms>', "the batcher's maxDelayMs", integerOption('--max-delay', { min: 0 }), 2)
    .option('--shapes <name:1xCxHxW,...>', 'sizes of symbolic dims (the first dim defaults to 1)', collect)
    .option('--backend <name>', 'auto, cpu or tensorrt', choiceOption('--backend', ['auto', 'cpu', 'tensorrt'] as const), 'auto')
    .option('--seed <n>', 'seed for random inputs', integerOption('--seed', { min: 0 }), 1)
    .option('--json', 'print the report as JSON')
    .action(async (model: string, options: BenchCommandOptions) => {
      const report = await benchModel(model, options);
      process.stdout.write(`${options.json ? toJson(report) : formatBench(report)}\n`);
    });
}
