/**
 * The Redis side of a distributed batch: BullMQ and ioredis, loaded on first use. Both are optional
 * peer dependencies (nobody who runs batches on one machine installs them), loaded from the
 * application's own install so its BullMQ sees the same Redis client it passes in.
 */
import { ErrorCode, TensorRTNodeError } from '../../errors.js';
import type { QueueLocation } from './queue-url.js';
// Types only: both packages are optional peers, loaded at run time by loadQueueModules.
import type * as BullMQModule from 'bullmq';
import type { Redis as RedisClient } from 'ioredis';
import type * as IORedisModule from 'ioredis';

export type { RedisClient };
export type BullMQ = typeof BullMQModule;

export interface QueueModules {
  bullmq: BullMQ;
  Redis: typeof IORedisModule.Redis;
}

async function load<T>(name: string, use: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    throw new TensorRTNodeError(
      ErrorCode.BACKEND_UNAVAILABLE,
      `${use} needs the ${name} package; install it next to tensorrt-node (npm install bullmq ioredis)`,
      { cause: error },
    );
  }
}

/** Both modules, or ERR_BACKEND_UNAVAILABLE naming the one that is missing. `use` names the caller. */
export async function loadQueueModules(use: string): Promise<QueueModules> {
  const bullmq = await load<BullMQ>('bullmq', use);
  const ioredis = await load<typeof IORedisModule>('ioredis', use);
  return { bullmq, Redis: ioredis.Redis };
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A connected client, or ERR_IO saying the server cannot be reached. Once connected it reconnects
 * on its own after a dropped connection; commands wait for it (BullMQ's workers need
 * maxRetriesPerRequest null: a blocking fetch must not fail while Redis restarts).
 */
export async function connectRedis(modules: QueueModules, location: QueueLocation): Promise<RedisClient> {
  const client = new modules.Redis({
    host: location.host,
    port: location.port,
    db: location.db,
    username: location.username,
    password: location.password,
    tls: location.tls ? { servername: location.host } : undefined,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // The first connection fails fast (connect() below reports it); later drops are retried.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Errors while reconnecting are reported by the commands that wait for the connection.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new TensorRTNodeError(
      ErrorCode.IO,
      `Could not reach Redis at ${location.host}:${location.port} for the queue ${location.display} (${String((error as Error)?.message ?? error)})`,
      { cause: error },
    );
  }
  return client;
}
