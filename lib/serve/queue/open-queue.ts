/** A batch queue opened for one command: its location, Redis connection, BullMQ queue and result store. */
import type { Queue } from 'bullmq';
import { BatchStore } from './batch-store.js';
import { type QueueModules, type RedisClient, connectRedis, loadQueueModules } from './redis-client.js';
import { type QueueLocation, parseQueueUrl } from './queue-url.js';

export interface OpenQueue {
  location: QueueLocation;
  modules: QueueModules;
  redis: RedisClient;
  queue: Queue;
  store: BatchStore;
  close(): Promise<void>;
}

/** The URL is checked before anything is loaded or connected, so a typo fails first and clearly. */
export async function openQueue(url: unknown, use: string): Promise<OpenQueue> {
  const location = parseQueueUrl(url);
  const modules = await loadQueueModules(use);
  const redis = await connectRedis(modules, location);
  const queue = new modules.bullmq.Queue(location.name, { connection: redis });
  // Errors reach the callers through the commands that failed; without a listener they would crash.
  queue.on('error', () => undefined);
  return {
    location,
    modules,
    redis,
    queue,
    store: new BatchStore(redis, location.name),
    async close() {
      await queue.close();
      // The connection is ours (passed in), so BullMQ leaves it open.
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
