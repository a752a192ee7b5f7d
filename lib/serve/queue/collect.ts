/**
 * collectBatch: the results of a distributed batch as the local runner's JSON Lines file, one line
 * per item id in enqueue order, written atomically (a temporary file renamed over `out`), so a
 * reader never sees half a file. Items without a result yet are left out and counted.
 */
import { abortError, invalidArgument } from '../../errors.js';
import { isPlainObject, validateSignal } from '../../validate.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { openQueue } from './open-queue.js';
import { readStatus } from './read-status.js';
import type { BatchQueueStatus } from './status.js';

export interface CollectBatchOptions {
  /** `redis://host:port/name` (see the README). */
  queue: string;
  /** The JSON Lines file to write (replaced whole). */
  out: string;
  /** Wait until every item has a result or no job is left to run (a job BullMQ gave up on never will). */
  wait?: boolean;
  /** While waiting, called about once a second. */
  onProgress?: (status: BatchQueueStatus) => void;
  signal?: AbortSignal;
}

export interface CollectSummary {
  queue: string;
  out: string;
  /** Item ids enqueued. */
  total: number;
  /** Lines written. */
  written: number;
  /** Of those, errors. */
  failed: number;
  /** Items with no result yet (not written). */
  missing: number;
}

const POLL_MS = 1000;

export async function collectBatch(options: CollectBatchOptions): Promise<CollectSummary> {
  if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
  if (typeof options.out !== 'string' || options.out === '') throw invalidArgument('a path', 'options.out', options.out);
  const signal = validateSignal(options.signal);
  const open = await openQueue(options.queue, 'collectBatch');
  try {
    while (options.wait) {
      const status = await readStatus(open);
      options.onProgress?.(status);
      if (status.done >= status.total || status.waiting + status.active === 0) break;
      if (signal?.aborted) throw abortError(signal);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const summary: CollectSummary = { queue: open.location.display, out: options.out, total: 0, written: 0, failed: 0, missing: 0 };
    await writeFileAtomic(options.out, async (handle) => {
      let lines: string[] = [];
      for await (const { id, line } of open.store.results()) {
        summary.total++;
        if (line === undefined) {
          summary.missing++;
          continue;
        }
        summary.written++;
        // resultLine writes the id first, then "outputs" or "error".
        if (line.startsWith(`{"id":${JSON.stringify(id)},"error":`)) summary.failed++;
        lines.push(line);
        if (lines.length >= 500) {
          await handle.write(lines.join(''));
          lines = [];
        }
      }
      await handle.write(lines.join(''));
    });
    return summary;
  } finally {
    await open.close();
  }
}
