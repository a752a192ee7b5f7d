/**
 * runBatchWorker: takes items off a batch queue and runs them through a local session with the
 * dynamic batcher, as many at once as fill its runs (batch size x runs in flight x 2, the local
 * runner's window). Each result is recorded under its item id only if the id has none yet, so an
 * item BullMQ hands out twice (after a stall) is recorded once. A worker that dies (SIGKILL, power)
 * holds its items' locks until they expire (lockDuration); the stalled-job check of any live worker
 * (every stalledInterval) then puts them back on the queue for another worker.
 */
import type { Job } from 'bullmq';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../../errors.js';
import { InferenceSession, type SessionOptions } from '../../session.js';
import { isPlainObject, validatePositiveInteger, validateSignal } from '../../validate.js';
import { decodeRawItem } from '../batch-inputs.js';
import { createBatcher } from '../batcher.js';
import { errorCodeOf } from '../metrics.js';
import { resultLine } from '../results-file.js';
import { fromJobData } from './job-data.js';
import { openQueue } from './open-queue.js';

export interface BatchWorkerOptions {
  /** `redis://host:port/name` (see the README). */
  queue: string;
  /** Most items per run (default 32). */
  batchSize?: number;
  /** Runs in flight at once (default: the session's concurrency). */
  concurrency?: number;
  /** Options for the session, when `model` is a path. */
  session?: SessionOptions;
  /** Stop once no job of the queue is waiting, delayed or running anywhere. Default: run until `signal`. */
  untilEmpty?: boolean;
  /** Stops taking items; those in hand finish and are recorded, then the worker closes. */
  signal?: AbortSignal;
  /** Milliseconds a job stays locked to this worker without a renewal (BullMQ's default 30000). */
  lockDuration?: number;
  /** Milliseconds between stalled-job checks (BullMQ's default 30000). */
  stalledInterval?: number;
  /** Times a job may be put back after its worker stalled before it is failed (BullMQ's default 1). */
  maxStalledCount?: number;
  onProgress?: (progress: WorkerProgress) => void;
  /** Trouble that does not stop the worker (a dropped connection, a job that failed and will be retried). */
  onWarning?: (error: Error) => void;
}

export interface WorkerProgress {
  /** Items this worker ran. */
  processed: number;
  /** Of those, recorded with outputs. */
  succeeded: number;
  /** Of those, recorded as errors. */
  failed: number;
  /** Of those, already recorded by another worker (handed out twice): not written again. */
  alreadyRecorded: number;
}

export interface WorkerSummary extends WorkerProgress {
  queue: string;
  /** Why it stopped. */
  stopped: 'empty' | 'signal';
  /** From the call to the end, loading the model and waiting for items included. */
  elapsedMs: number;
  /** Items this worker ran per second, from the first item it took to the last it recorded. */
  itemsPerSecond: number;
}

const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

function optionalMs(value: unknown, name: string): number | undefined {
  return validatePositiveInteger(value, name);
}

export async function runBatchWorker(model: string | Uint8Array | InferenceSession, options: BatchWorkerOptions): Promise<WorkerSummary> {
  if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
  const batchSize = validatePositiveInteger(options.batchSize, 'options.batchSize') ?? 32;
  const concurrency = validatePositiveInteger(options.concurrency, 'options.concurrency');
  const lockDuration = optionalMs(options.lockDuration, 'options.lockDuration');
  const stalledInterval = optionalMs(options.stalledInterval, 'options.stalledInterval');
  const maxStalledCount = validatePositiveInteger(options.maxStalledCount, 'options.maxStalledCount', { allowZero: true });
  const signal = validateSignal(options.signal);
  const started = performance.now();
  const open = await openQueue(options.queue, 'runBatchWorker');
  const owned = !(model instanceof InferenceSession);
  let session: InferenceSession | undefined;
  try {
    session = model instanceof InferenceSession ? model : await InferenceSession.create(model, options.session);
    const inputs = session.inputs;
    const batcher = createBatcher(session, { maxBatchSize: batchSize, concurrency, maxQueue: Number.MAX_SAFE_INTEGER, maxDelayMs: 1 });
    const progress: WorkerProgress = { processed: 0, succeeded: 0, failed: 0, alreadyRecorded: 0 };
    let inHand = 0;
    let firstTaken: number | undefined;
    let lastRecorded = 0;

    const processJob = async (job: Job): Promise<void> => {
      inHand++;
      firstTaken ??= performance.now();
      try {
        const { id, raw } = fromJobData(job.data);
        let line: string;
        let failed = false;
        try {
          line = resultLine(id, { outputs: await batcher.run(decodeRawItem(id, raw, inputs)) });
        } catch (error) {
          failed = true;
          line = resultLine(id, { error: { code: errorCodeOf(error), message: String((error as Error)?.message ?? error) } });
        }
        const recorded = await open.store.record(id, line, { failed, computed: true });
        progress.processed++;
        lastRecorded = performance.now();
        if (!recorded) progress.alreadyRecorded++;
        else if (failed) progress.failed++;
        else progress.succeeded++;
        options.onProgress?.({ ...progress });
      } finally {
        inHand--;
      }
    };

    const worker = new open.modules.bullmq.Worker(open.location.name, processJob, {
      connection: open.redis,
      concurrency: batchSize * batcher.concurrency * 2,
      ...(lockDuration === undefined ? {} : { lockDuration }),
      ...(stalledInterval === undefined ? {} : { stalledInterval }),
      ...(maxStalledCount === undefined ? {} : { maxStalledCount }),
      // An empty queue is polled at most this long (seconds), so --until-empty notices the end soon.
      drainDelay: 1,
    });
    worker.on('error', (error) => options.onWarning?.(error));
    worker.on('failed', (job, error) =>
      options.onWarning?.(new TensorRTNodeError(ErrorCode.IO, `Job ${job?.id ?? '?'} failed: ${error.message}`, { cause: error })),
    );

    let stopped: WorkerSummary['stopped'] = 'signal';
    await new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
      if (!options.untilEmpty) return;
      // The queue is drained when no job is left anywhere: a dead worker's jobs count as active
      // until the stalled check puts them back, so this worker stays to take them.
      const poll = async () => {
        if (signal?.aborted) return;
        try {
          const counts = await open.queue.getJobCounts(...UNFINISHED);
          if (inHand === 0 && Object.values(counts).every((count) => count === 0)) {
            stopped = 'empty';
            return resolve();
          }
        } catch (error) {
          options.onWarning?.(error as Error);
        }
        setTimeout(() => void poll(), 250);
      };
      void poll();
    });
    // Waits for the jobs in hand: they finish and are recorded before the worker lets go.
    await worker.close();
    await batcher.dispose();
    const elapsedMs = performance.now() - started;
    return {
      ...progress,
      queue: open.location.display,
      stopped,
      elapsedMs,
      itemsPerSecond: firstTaken === undefined ? 0 : (progress.processed * 1000) / Math.max(lastRecorded - firstTaken, 1e-3),
    };
  } finally {
    if (owned) await session?.dispose();
    await open.close();
  }
}
