/**
 * enqueueBatch: one BullMQ job per item of a .npy folder or a .jsonl file. Idempotent: an id
 * already known keeps its place and its job (BullMQ finds the job by its id), an id that already
 * has a result gets no new job, so enqueueing the same inputs twice adds nothing. Items that cannot
 * be read are recorded as failures right away, as the local batch runner records them.
 */
import { abortError, invalidArgument } from '../../errors.js';
import { isPlainObject, validateSignal } from '../../validate.js';
import { type RawBatchItem, openRawBatchInputs } from '../batch-inputs.js';
import { resultLine } from '../results-file.js';
import { JOB_NAME, jobIdOf, toJobData } from './job-data.js';
import { openQueue } from './open-queue.js';

export interface EnqueueBatchOptions {
  /** `redis://host:port/name` (see the README). */
  queue: string;
  signal?: AbortSignal;
}

export interface EnqueueSummary {
  /** The queue, without its password. */
  queue: string;
  /** Items read from the inputs. */
  items: number;
  /** Ids new to the queue. */
  added: number;
  /** Ids the queue already had (from an earlier enqueue of the same items). */
  alreadyQueued: number;
  /** Items that could not be read, recorded as failed results. */
  invalid: number;
  /** Ids in the queue now, from every enqueue. */
  total: number;
}

/** Items sent to Redis per round trip, and the most bytes of item data held at once (large images). */
const CHUNK_ITEMS = 100;
const CHUNK_BYTES = 32 * 1024 * 1024;

function rawBytes(item: RawBatchItem): number {
  if (item.raw === undefined) return 0;
  if (item.raw.kind === 'npy') return item.raw.bytes.byteLength;
  if (item.raw.kind === 'npy-folder') return [...item.raw.files.values()].reduce((total, bytes) => total + bytes.byteLength, 0);
  return 0; // JSON lines are counted by items only
}

/** How often BullMQ retries a job whose processing threw (Redis unreachable while recording, say). */
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  // The result lives in our own hash; a finished job would only hold the item's data.
  removeOnComplete: true,
} as const;

export async function enqueueBatch(inputs: string, options: EnqueueBatchOptions): Promise<EnqueueSummary> {
  if (typeof inputs !== 'string' || inputs === '') throw invalidArgument('a path', 'inputs', inputs);
  if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
  const signal = validateSignal(options.signal);
  const source = await openRawBatchInputs(inputs);
  const open = await openQueue(options.queue, 'enqueueBatch');
  const summary: EnqueueSummary = { queue: open.location.display, items: 0, added: 0, alreadyQueued: 0, invalid: 0, total: 0 };
  const flush = async (chunk: RawBatchItem[]) => {
    const ids = chunk.map((item) => item.id);
    const added = await open.store.addIds(ids);
    const done = await open.store.hasResults(ids);
    const jobs = [];
    for (const [k, item] of chunk.entries()) {
      if (added[k]) summary.added++;
      else summary.alreadyQueued++;
      if (done[k]) continue;
      if (item.error) {
        summary.invalid++;
        const error = { code: item.error.code, message: item.error.message };
        await open.store.record(item.id, resultLine(item.id, { error }), { failed: true, computed: false });
      } else jobs.push({ name: JOB_NAME, data: toJobData(item.id, item.raw), opts: { jobId: jobIdOf(item.id), ...JOB_OPTIONS } });
    }
    if (jobs.length > 0) await open.queue.addBulk(jobs);
    summary.items += chunk.length;
  };
  try {
    let chunk: RawBatchItem[] = [];
    let bytes = 0;
    for await (const item of source.items()) {
      if (signal?.aborted) break;
      chunk.push(item as RawBatchItem);
      bytes += rawBytes(item as RawBatchItem);
      if (chunk.length >= CHUNK_ITEMS || bytes >= CHUNK_BYTES) {
        await flush(chunk);
        chunk = [];
        bytes = 0;
      }
    }
    await flush(chunk);
    if (signal?.aborted) throw abortError(signal);
    summary.total = (await open.store.progress()).total;
    return summary;
  } finally {
    await open.close();
  }
}
