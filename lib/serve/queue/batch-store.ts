/**
 * What a distributed batch keeps in Redis beside BullMQ's jobs, under keys of its own:
 *   tensorrt-node:{name}:ids      sorted set: every item id, scored by enqueue order (the total)
 *   tensorrt-node:{name}:results  hash: item id -> its result line, written once (HSETNX)
 *   tensorrt-node:{name}:stats    hash: failed, computed, first and last (Redis clock, ms) of computed results
 * Results are keyed by item id and only the first write of an id counts, so a job that BullMQ hands
 * out twice (its worker stalled or died after computing) is still recorded exactly once. The braces
 * keep the three keys in one Redis Cluster slot, so the recording script may touch them together.
 */
import type { RedisClient } from './redis-client.js';

// Sets the result only if the id has none; on a first write of a computed result, counts it and
// stamps the time with Redis's own clock, so items/s is right whichever machines' clocks are off.
const RECORD_SCRIPT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[2], 'failed', 1) end
if ARGV[4] == '1' then
  local now = redis.call('TIME')
  local ms = string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
  redis.call('HSETNX', KEYS[2], 'first', ms)
  redis.call('HSET', KEYS[2], 'last', ms)
  redis.call('HINCRBY', KEYS[2], 'computed', 1)
end
return 1
`;

export interface StoredProgress {
  /** Item ids enqueued. */
  total: number;
  /** Items with a result (succeeded or failed). */
  done: number;
  /** Results that are errors. */
  failed: number;
  /** Results computed by workers (the rest were bad items recorded at enqueue). */
  computed: number;
  /** Milliseconds between the first and the last computed result (Redis's clock). */
  spanMs: number;
}

export class BatchStore {
  readonly #redis: RedisClient;
  readonly #ids: string;
  readonly #results: string;
  readonly #stats: string;

  constructor(redis: RedisClient, name: string) {
    this.#redis = redis;
    const prefix = `tensorrt-node:{${name}}`;
    this.#ids = `${prefix}:ids`;
    this.#results = `${prefix}:results`;
    this.#stats = `${prefix}:stats`;
  }

  /** Adds ids not seen before, after those already there; returns which of them were new. */
  async addIds(ids: readonly string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const base = await this.#redis.zcard(this.#ids);
    const pipeline = this.#redis.pipeline();
    ids.forEach((id, index) => pipeline.zadd(this.#ids, 'NX', base + index, id));
    return ((await pipeline.exec()) ?? []).map(([error, added]) => {
      if (error) throw error;
      return added === 1;
    });
  }

  /** Which of these ids already have a result. */
  async hasResults(ids: readonly string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const values = await this.#redis.hmget(this.#results, ...ids);
    return values.map((value) => value !== null);
  }

  /** Records an item's result line unless it has one; true when this call recorded it. */
  async record(id: string, line: string, { failed, computed }: { failed: boolean; computed: boolean }): Promise<boolean> {
    const written = await this.#redis.eval(
      RECORD_SCRIPT,
      2,
      this.#results,
      this.#stats,
      id,
      line,
      failed ? '1' : '0',
      computed ? '1' : '0',
    );
    return written === 1;
  }

  async progress(): Promise<StoredProgress> {
    const [[, total], [, done], [, stats]] = ((await this.#redis
      .multi()
      .zcard(this.#ids)
      .hlen(this.#results)
      .hgetall(this.#stats)
      .exec()) ?? []) as [unknown, unknown][];
    const fields = (stats ?? {}) as Record<string, string>;
    const first = Number(fields.first ?? 0);
    const last = Number(fields.last ?? 0);
    return {
      total: Number(total ?? 0),
      done: Number(done ?? 0),
      failed: Number(fields.failed ?? 0),
      computed: Number(fields.computed ?? 0),
      spanMs: last - first,
    };
  }

  /** Every id in enqueue order with its result line (undefined when it has none yet), a page at a time. */
  async *results(pageSize = 500): AsyncGenerator<{ id: string; line: string | undefined }> {
    for (let start = 0; ; start += pageSize) {
      const ids = await this.#redis.zrange(this.#ids, start, start + pageSize - 1);
      if (ids.length === 0) return;
      const lines = await this.#redis.hmget(this.#results, ...ids);
      for (let k = 0; k < ids.length; k++) yield { id: ids[k] as string, line: lines[k] ?? undefined };
      if (ids.length < pageSize) return;
    }
  }

  /** Deletes the ids, results and stats (BullMQ's own keys are removed by Queue.obliterate). */
  async clear(): Promise<void> {
    await this.#redis.del(this.#ids, this.#results, this.#stats);
  }
}
