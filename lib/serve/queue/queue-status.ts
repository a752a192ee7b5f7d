/** A distributed batch's progress, as `batch status` prints it; a file of its own so the published types need no bullmq. */
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
