/**
 * `tensorrt-node batch <model> --inputs <dir|file.jsonl> --out results.jsonl`: runs every item through
 * the model with dynamic batching and appends one JSON line per item. Rerunning the same command
 * resumes: ids already in the results are skipped. Ctrl-C stops taking items, lets running ones finish
 * and be written, and exits 130. Exit code 0: every item succeeded; 2: some items failed (each failure is
 * a line in the results and the summary names the first ones); 1: the job itself failed.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type BatchProgress, type BatchSummary, runBatchJob } from '../serve/batch-job.js';
import type { BackendChoice } from '../session.js';
import { registerBatchQueueCommands } from './batch-queue.js';
import { EXIT_INTERRUPTED, EXIT_ITEMS_FAILED, requestExitCode } from './exit-code.js';
import { toJson } from './format.js';
import { choiceOption, integerOption } from './options.js';

interface BatchCommandOptions {
  inputs: string;
  out: string;
  batchSize: number;
  concurrency?: number;
  backend: BackendChoice;
  progress: boolean;
  json?: boolean;
}

export function formatSummary(summary: BatchSummary): string {
  const lines = [
    `${summary.aborted ? 'stopped early' : 'done'}: ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.skipped} already in ${summary.out} (of ${summary.total})`,
    `${summary.itemsPerSecond.toFixed(1)} items/s over ${(summary.elapsedMs / 1000).toFixed(2)} s`,
  ];
  if (summary.tornBytes > 0)
    lines.push(`a torn last line (${summary.tornBytes} bytes) from an interrupted run was dropped and its item run again`);
  for (const failure of summary.failures) lines.push(`  failed ${failure.id}: [${failure.code}] ${failure.message}`);
  if (summary.failed > summary.failures.length)
    lines.push(`  ... and ${summary.failed - summary.failures.length} more (every failure is a line with "error" in ${summary.out})`);
  return lines.join('\n');
}

function progressBar(enabled: boolean): { update(progress: BatchProgress): void; stop(): void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  let bar: SingleBar | undefined;
  const started = performance.now();
  return {
    update(progress) {
      if (bar === undefined) {
        bar = new SingleBar({
          format: 'batch [{bar}] {value}/{total} | {speed} items/s | ETA {eta_formatted} | failed {failed}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 200,
        });
        bar.start(progress.total, progress.done, { speed: '0.0', failed: 0 });
      }
      const computed = progress.succeeded + progress.failed;
      const seconds = (performance.now() - started) / 1000;
      bar.update(progress.done, { failed: progress.failed, speed: (computed / Math.max(seconds, 1e-3)).toFixed(1) });
    },
    stop() {
      bar?.stop();
    },
  };
}

export function registerBatch(program: Command): void {
  // `batch <model> ...` is `batch run <model> ...`: the local job is the default subcommand, so
  // `batch` itself has no options to take from the queue subcommands, which have the same names.
  const batch = program
    .command('batch')
    .description('run every item of a .npy folder or a .jsonl file through a model, here or spread over machines through a Redis queue');
  batch
    .command('run', { isDefault: true })
    .description('run every item of a .npy folder or a .jsonl file through a model; results appended to a JSON Lines file, resumable')
    .argument('<model>', 'an .onnx file (or a TensorRT engine)')
    .requiredOption(
      '--inputs <dir|file.jsonl>',
      'a folder of <id>.npy files (or <id>/<input>.npy folders), or a .jsonl file of {"id", "inputs"} lines',
    )
    .requiredOption('--out <results.jsonl>', 'the results file; a rerun skips the ids already in it')
    .option('--batch-size <n>', 'most items per run', integerOption('--batch-size', { min: 1 }), 32)
    .option('--concurrency <n>', "runs in flight at once (default: the backend's)", integerOption('--concurrency', { min: 1 }))
    .option('--backend <name>', 'auto, cpu or tensorrt', choiceOption('--backend', ['auto', 'cpu', 'tensorrt'] as const), 'auto')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, options: BatchCommandOptions) => {
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      const bar = progressBar(options.progress && process.stderr.isTTY === true);
      let summary: BatchSummary;
      try {
        summary = await runBatchJob(model, {
          inputs: options.inputs,
          out: options.out,
          batchSize: options.batchSize,
          concurrency: options.concurrency,
          session: { backend: options.backend },
          signal: controller.signal,
          onProgress: (progress) => bar.update(progress),
        });
      } finally {
        bar.stop();
        process.off('SIGINT', onSigint);
      }
      process.stdout.write(`${options.json ? toJson(summary) : formatSummary(summary)}\n`);
      if (summary.aborted) requestExitCode(EXIT_INTERRUPTED);
      else if (summary.failed > 0) requestExitCode(EXIT_ITEMS_FAILED);
    });
  registerBatchQueueCommands(batch);
}
