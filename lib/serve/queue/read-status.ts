/** A batch queue's status from an open connection (shared by status and collect --wait). */
import type { OpenQueue } from './open-queue.js';
import type { BatchQueueStatus } from './queue-status.js';

export async function readStatus(open: OpenQueue): Promise<BatchQueueStatus> {
  const stored = await open.store.progress();
  const counts = await open.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
  const workers = await open.queue.getWorkersCount();
  return {
    queue: open.location.display,
    total: stored.total,
    done: stored.done,
    succeeded: stored.done - stored.failed,
    failed: stored.failed,
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
    active: counts.active ?? 0,
    failedJobs: counts.failed ?? 0,
    workers,
    itemsPerSecond: stored.spanMs > 0 ? ((stored.computed - 1) * 1000) / stored.spanMs : 0,
  };
}
