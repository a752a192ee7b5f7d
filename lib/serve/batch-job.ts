/**
 * A batch job: every item of a .npy folder or a .jsonl file through a model, results appended to a
 * JSON Lines file. Resumable: a rerun skips the ids already in the results. Per-item failures are
 * recorded as result lines and counted, never fatal; a failure to write the results is fatal, and
 * everything written before it stays.
 */
import type { Writable } from 'node:stream';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { InferenceSession, type SessionOptions } from '../session.js';
import type { Tensor } from '../tensor.js';
import { isPlainObject, validatePositiveInteger, validateSignal } from '../validate.js';
import { createBatcher } from './batcher.js';
import { openBatchInputs } from './batch-inputs.js';
import { errorCodeOf } from './metrics.js';
import { type OutputStreamFactory, appendToFile, readDoneItems, resultLine, syncFile } from './results-file.js';

export interface BatchJobOptions {
  /** A directory of .npy files (or of one folder per item) or a .jsonl file. */
  inputs: string;
  /** The JSON Lines results file; appended to, and read first to skip what is done. */
  out: string;
  /** Most items per run (default 32). */
  batchSize?: number;
  /** Runs in flight at once (default: the session's concurrency). */
  concurrency?: number;
  /** Options for the session, when `model` is a path. */
  session?: SessionOptions;
  /** Stops taking new items; those already running finish and are written. */
  signal?: AbortSignal;
  onProgress?: (progress: BatchProgress) => void;
  /** Where result lines go; default: appended to `out`. */
  createOutputStream?: OutputStreamFactory;
}

export interface BatchProgress {
  total: number;
  /** Items handled: skipped as already done, succeeded or failed. */
  done: number;
  skipped: number;
  succeeded: number;
  failed: number;
}

export interface BatchFailure {
  id: string;
  code: string;
  message: string;
}

export interface BatchSummary extends BatchProgress {
  out: string;
  /** A torn last line of a previous run was cut off (bytes). */
  tornBytes: number;
  /** The first failures (at most 20; every one is in the results file). */
  failures: BatchFailure[];
  /** The job stopped early on its signal. */
  aborted: boolean;
  elapsedMs: number;
  /** Items computed (not skipped) per second. */
  itemsPerSecond: number;
}

const MAX_LISTED_FAILURES = 20;

/** Writes one line; resolves once the stream has handed it to the OS. */
function writeLine(stream: Writable, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(line, (error) => (error ? reject(error) : resolve()));
  });
}

function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed) return resolve();
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

function writeFailed(out: string, error: unknown, written: number): TensorRTNodeError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason = code === 'ENOSPC' ? 'ENOSPC: no space left on the device' : String((error as Error)?.message ?? error);
  return new TensorRTNodeError(
    ErrorCode.IO,
    `Could not write results to ${out} (${reason}); the ${written} results written in this run are kept, and rerunning the same command resumes after them`,
    { cause: error },
  );
}

export async function runBatchJob(model: string | Uint8Array | InferenceSession, options: BatchJobOptions): Promise<BatchSummary> {
  if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
  if (typeof options.inputs !== 'string' || options.inputs === '') throw invalidArgument('a path', 'options.inputs', options.inputs);
  if (typeof options.out !== 'string' || options.out === '') throw invalidArgument('a path', 'options.out', options.out);
  const batchSize = validatePositiveInteger(options.batchSize, 'options.batchSize') ?? 32;
  const concurrency = validatePositiveInteger(options.concurrency, 'options.concurrency');
  const signal = validateSignal(options.signal);
  const started = performance.now();
  const owned = !(model instanceof InferenceSession);
  const session = model instanceof InferenceSession ? model : await InferenceSession.create(model, options.session);
  try {
    const inputs = await openBatchInputs(options.inputs, session.inputs);
    const total = await inputs.count();
    const { ids: done, tornBytes } = await readDoneItems(options.out);
    const stream = (options.createOutputStream ?? appendToFile)(options.out);
    let fatal: TensorRTNodeError | undefined;
    let written = 0;
    stream.on('error', (error) => (fatal ??= writeFailed(options.out, error, written)));
    const batcher = createBatcher(session, { maxBatchSize: batchSize, concurrency, maxQueue: Number.MAX_SAFE_INTEGER, maxDelayMs: 1 });
    const progress: BatchProgress = { total, done: 0, skipped: 0, succeeded: 0, failed: 0 };
    const failures: BatchFailure[] = [];
    // Enough items in hand to fill every run slot twice over; more would only hold memory.
    const window = batchSize * batcher.concurrency * 2;
    const pending = new Set<Promise<void>>();

    const record = async (id: string, outcome: { outputs: Record<string, Tensor> } | { error: unknown }): Promise<void> => {
      if (fatal) return; // not written: a rerun computes it again
      let failure: BatchFailure | undefined;
      let line: string;
      if ('error' in outcome) {
        failure = { id, code: errorCodeOf(outcome.error), message: String((outcome.error as Error)?.message ?? outcome.error) };
        line = resultLine(id, { error: { code: failure.code, message: failure.message } });
      } else {
        line = resultLine(id, outcome);
      }
      try {
        await writeLine(stream, line);
      } catch (error) {
        fatal ??= writeFailed(options.out, error, written);
        return;
      }
      written++;
      if (failure === undefined) progress.succeeded++;
      else {
        progress.failed++;
        if (failures.length < MAX_LISTED_FAILURES) failures.push(failure);
      }
      progress.done++;
      options.onProgress?.({ ...progress });
    };

    for await (const item of inputs.items((id) => done.has(id))) {
      if (fatal || signal?.aborted) break;
      if (done.has(item.id)) {
        progress.skipped++;
        progress.done++;
        continue;
      }
      done.add(item.id);
      const task = item.error
        ? record(item.id, { error: item.error })
        : batcher.run(item.feeds).then(
            (outputs) => record(item.id, { outputs }),
            (error: unknown) => record(item.id, { error }),
          );
      pending.add(task);
      void task.finally(() => pending.delete(task));
      if (pending.size >= window) await Promise.race(pending);
    }
    if (progress.skipped > 0) options.onProgress?.({ ...progress });
    await Promise.all(pending);
    await batcher.dispose();
    await endStream(stream).catch((error: unknown) => (fatal ??= writeFailed(options.out, error, written)));
    if (fatal) throw fatal;
    if (options.createOutputStream === undefined) await syncFile(options.out);
    const elapsedMs = performance.now() - started;
    return {
      ...progress,
      out: options.out,
      tornBytes,
      failures,
      aborted: signal?.aborted === true && progress.done < total,
      elapsedMs,
      itemsPerSecond: ((progress.succeeded + progress.failed) * 1000) / Math.max(elapsedMs, 1e-3),
    };
  } finally {
    if (owned) await session.dispose();
  }
}
