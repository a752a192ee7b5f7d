/** batchQueueStatus: how far a distributed batch is, readable from any machine that reaches its Redis. */
import { openQueue } from './open-queue.js';
import { readStatus } from './read-status.js';

export interface BatchQueueStatus {
  /** The queue, without its password. */
  queue: string;
  /** Item ids enqueued. */
  total: number;
  /** Items with a result, succeeded or failed (each id counts once). */
  done: number;
  succeeded: number;
  failed: number;
  /** Jobs waiting for a worker (including delayed retries). */
  waiting: number;
  /** Jobs a worker holds now (a dead worker's, until its locks expire). */
  active: number;
  /** Jobs BullMQ gave up on (they threw on every attempt or stalled too often); their items have no result. */
  failedJobs: number;
  /** Workers connected now. */
  workers: number;
  /** Items computed per second between the first and the last result (Redis's clock); 0 before two results. */
  itemsPerSecond: number;
}

export async function batchQueueStatus(queue: string): Promise<BatchQueueStatus> {
  const open = await openQueue(queue, 'batchQueueStatus');
  try {
    return await readStatus(open);
  } finally {
    await open.close();
  }
}
