/**
 * `tensorrt-node batch enqueue|worker|collect|status --queue redis://host:port/name`: the batch job
 * spread over machines through a BullMQ queue on Redis. enqueue puts one job per item (idempotent),
 * workers on any number of machines run them, collect writes the results file, status shows progress.
 * Exit codes: worker 0 when it stopped (queue empty, or SIGINT/SIGTERM after finishing the items in
 * hand); collect 0 every item succeeded, 2 some items failed, 3 some items have no result yet.
 */
import type { Command } from 'commander';
import { collectBatch, type CollectSummary } from '../serve/queue/collect.js';
import { enqueueBatch, type EnqueueSummary } from '../serve/queue/enqueue.js';
import { type BatchQueueStatus, batchQueueStatus } from '../serve/queue/status.js';
import { runBatchWorker, type WorkerSummary } from '../serve/queue/worker.js';
import { QUEUE_URL_FORM } from '../serve/queue/queue-url.js';
import type { BackendChoice } from '../session.js';
import { EXIT_INCOMPLETE, EXIT_ITEMS_FAILED, requestExitCode } from './exit-code.js';
import { toJson } from './format.js';
import { choiceOption, integerOption } from './options.js';

const PROGRESS_EVERY_MS = 10_000;
const QUEUE_HELP = `the queue: ${QUEUE_URL_FORM} (rediss:// for TLS, redis://user:password@host:port/db/name)`;

function formatEnqueue(summary: EnqueueSummary): string {
  return `enqueued ${summary.items} items on ${summary.queue}: ${summary.added} new, ${summary.alreadyQueued} already queued, ${summary.invalid} unreadable (recorded as failed); ${summary.total} items in the queue`;
}

function formatWorker(summary: WorkerSummary): string {
  return [
    `worker stopped (${summary.stopped === 'empty' ? 'queue empty' : 'signal'}): ${summary.processed} items, ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.alreadyRecorded} already recorded by another worker`,
    `${summary.itemsPerSecond.toFixed(1)} items/s while running items; ${(summary.elapsedMs / 1000).toFixed(2)} s in all (loading the model and waiting included)`,
  ].join('\n');
}

export function formatStatus(status: BatchQueueStatus): string {
  const lines = [
    `${status.queue}: ${status.done}/${status.total} done (${status.failed} failed), ${status.waiting} waiting, ${status.active} running, ${status.workers} workers, ${status.itemsPerSecond.toFixed(1)} items/s`,
  ];
  if (status.failedJobs > 0)
    lines.push(`${status.failedJobs} jobs failed for good (no result for their items): see BullMQ's failed set of the queue`);
  return lines.join('\n');
}

function formatCollect(summary: CollectSummary): string {
  const lines = [`wrote ${summary.written} results of ${summary.total} items to ${summary.out} (${summary.failed} failed)`];
  if (summary.missing > 0) lines.push(`${summary.missing} items have no result yet: run collect again once the workers are done`);
  return lines.join('\n');
}

interface WorkerCommandOptions {
  queue: string;
  untilEmpty?: boolean;
  batchSize: number;
  concurrency?: number;
  backend: BackendChoice;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  progress: boolean;
  json?: boolean;
}

export function registerBatchQueueCommands(batch: Command): void {
  batch
    .command('enqueue')
    .description('put one job per item on a Redis queue (enqueueing the same items again adds nothing)')
    .argument('<inputs>', 'a folder of <id>.npy files (or <id>/<input>.npy folders), or a .jsonl file of {"id", "inputs"} lines')
    .requiredOption('--queue <url>', QUEUE_HELP)
    .option('--json', 'print the summary as JSON')
    .action(async (inputs: string, options: { queue: string; json?: boolean }) => {
      const summary = await enqueueBatch(inputs, { queue: options.queue });
      process.stdout.write(`${options.json ? toJson(summary) : formatEnqueue(summary)}\n`);
    });

  batch
    .command('worker')
    .description("run a queue's items through a model on this machine, with dynamic batching; any number of workers may run")
    .argument('<model>', 'an .onnx file (or a TensorRT engine)')
    .requiredOption('--queue <url>', QUEUE_HELP)
    .option('--until-empty', 'exit once no item is waiting or running anywhere (default: run until SIGINT or SIGTERM)')
    .option('--batch-size <n>', 'most items per run', integerOption('--batch-size', { min: 1 }), 32)
    .option('--concurrency <n>', "runs in flight at once (default: the backend's)", integerOption('--concurrency', { min: 1 }))
    .option('--backend <name>', 'auto, cpu or tensorrt', choiceOption('--backend', ['auto', 'cpu', 'tensorrt'] as const), 'auto')
    .option(
      '--lock-duration <ms>',
      "how long a dead worker's items stay locked before others may take them (BullMQ's default 30000)",
      integerOption('--lock-duration', { min: 1 }),
    )
    .option(
      '--stalled-interval <ms>',
      "how often a worker looks for dead workers' items (BullMQ's default 30000)",
      integerOption('--stalled-interval', { min: 1 }),
    )
    .option(
      '--max-stalled-count <n>',
      "times an item may be taken back from a dead worker before it fails for good (BullMQ's default 1)",
      integerOption('--max-stalled-count', { min: 0 }),
    )
    .option('--no-progress', 'no progress lines on stderr')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, options: WorkerCommandOptions) => {
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('stopped by a signal'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let last = performance.now();
      let summary: WorkerSummary;
      try {
        summary = await runBatchWorker(model, {
          queue: options.queue,
          untilEmpty: options.untilEmpty === true,
          batchSize: options.batchSize,
          concurrency: options.concurrency,
          session: { backend: options.backend },
          lockDuration: options.lockDuration,
          stalledInterval: options.stalledInterval,
          maxStalledCount: options.maxStalledCount,
          signal: controller.signal,
          onProgress: (progress) => {
            if (!options.progress || performance.now() - last < PROGRESS_EVERY_MS) return;
            last = performance.now();
            process.stderr.write(`worker: ${progress.processed} items (${progress.failed} failed)\n`);
          },
          onWarning: (error) => process.stderr.write(`warning: ${error.message}\n`),
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      process.stdout.write(`${options.json ? toJson(summary) : formatWorker(summary)}\n`);
    });

  batch
    .command('collect')
    .description("write a queue's results to a JSON Lines file, one line per item id (the file is replaced whole)")
    .requiredOption('--queue <url>', QUEUE_HELP)
    .requiredOption('--out <results.jsonl>', 'the results file')
    .option('--wait', 'first wait until every item has a result (or nothing is left to run), printing progress')
    .option('--json', 'print the summary as JSON')
    .action(async (options: { queue: string; out: string; wait?: boolean; json?: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      let summary: CollectSummary;
      try {
        summary = await collectBatch({
          queue: options.queue,
          out: options.out,
          wait: options.wait === true,
          signal: controller.signal,
          onProgress: (status) => process.stderr.write(`${formatStatus(status)}\n`),
        });
      } finally {
        process.off('SIGINT', stop);
      }
      process.stdout.write(`${options.json ? toJson(summary) : formatCollect(summary)}\n`);
      if (summary.missing > 0) requestExitCode(EXIT_INCOMPLETE);
      else if (summary.failed > 0) requestExitCode(EXIT_ITEMS_FAILED);
    });

  batch
    .command('status')
    .description('how far a queue is: done/total, failed, waiting, running, workers, items/s')
    .requiredOption('--queue <url>', QUEUE_HELP)
    .option('--json', 'print the status as JSON')
    .action(async (options: { queue: string; json?: boolean }) => {
      const status = await batchQueueStatus(options.queue);
      process.stdout.write(`${options.json ? toJson(status) : formatStatus(status)}\n`);
    });
}
