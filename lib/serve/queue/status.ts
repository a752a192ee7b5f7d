/** batchQueueStatus: how far a distributed batch is, readable from any machine that reaches its Redis. */
import { openQueue } from './open-queue.js';
import type { BatchQueueStatus } from './queue-status.js';
import { readStatus } from './read-status.js';

export type { BatchQueueStatus } from './queue-status.js';

export async function batchQueueStatus(queue: string): Promise<BatchQueueStatus> {
  const open = await openQueue(queue, 'batchQueueStatus');
  try {
    return await readStatus(open);
  } finally {
    await open.close();
  }
}
