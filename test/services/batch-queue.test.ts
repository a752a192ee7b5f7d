// Distributed batch jobs as library functions against a real redis-server: enqueue is idempotent,
// unreadable items are recorded at once, a worker's results equal the local runner's, an item handed
// out again after it was recorded is not recorded twice, collect says what is missing, and a bad
// URL or an unreachable server fails with its code.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, Tensor, batchQueueStatus, collectBatch, enqueueBatch, runBatchJob, runBatchWorker } from '../../lib/index.js';
import { encodeNpy } from '../../lib/npy.js';
import { jobIdOf } from '../../lib/serve/queue/job-data.js';
import { idCounts, readResults, writeJsonlItems, writeNpyItems } from '../fixtures/batch-inputs.js';
import { servingMlp } from '../fixtures/serving-models.js';
import { type RedisServer, redisMissing, startRedis } from './redis-server.js';

if (redisMissing) console.warn(`skipping the Redis batch queue tests: ${redisMissing}`);

describe.skipIf(redisMissing !== undefined)('distributed batch jobs (library, real Redis)', () => {
  let redis: RedisServer;
  let dir: string;
  let model: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'batch-queue-'));
    model = join(dir, 'mlp.onnx');
    await writeFile(model, servingMlp());
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('enqueues each item once however often it is enqueued, and records unreadable items at once', async () => {
    const inputs = join(dir, 'twice.jsonl');
    await writeJsonlItems(inputs, 30);
    await writeFile(inputs, '{"id": 7, "inputs": {"x": {"dims": [1, 128], "data": []}}}\nnot json\n', { flag: 'a' });
    const queue = redis.queueUrl('twice');
    const first = await enqueueBatch(inputs, { queue });
    expect(first).toEqual({ queue, items: 32, added: 32, alreadyQueued: 0, invalid: 1, total: 32 });
    const second = await enqueueBatch(inputs, { queue });
    expect(second).toEqual({ queue, items: 32, added: 0, alreadyQueued: 32, invalid: 0, total: 32 });
    // 31 jobs (the line that is not JSON has its failure recorded instead), not 62.
    const connection = new Redis({ port: redis.port, maxRetriesPerRequest: null });
    const bull = new Queue('twice', { connection });
    expect(await bull.getJobCounts('waiting')).toEqual({ waiting: 31 });
    // An id that BullMQ would refuse as a job id (it looks like an integer) still gets its job.
    expect(await bull.getJob(jobIdOf('7'))).toBeDefined();
    await bull.close();
    connection.disconnect();
    expect(await batchQueueStatus(queue)).toMatchObject({ total: 32, done: 1, failed: 1, waiting: 31, active: 0 });

    const out = join(dir, 'twice.jsonl.out');
    const partial = await collectBatch({ queue, out });
    expect(partial).toEqual({ queue, out, total: 32, written: 1, failed: 1, missing: 31 });
    expect(await readResults(out)).toEqual([
      { id: 'line-32', error: { code: ErrorCode.INVALID_ARGUMENT, message: expect.stringContaining('line 32') } },
    ]);
  });

  it('runs the items through a worker with results equal to the local runner, and records a re-delivered item once', async () => {
    const inputs = join(dir, 'npy');
    await writeNpyItems(inputs, 40);
    await writeFile(join(inputs, 'broken.npy'), 'not a numpy file');
    const queue = redis.queueUrl('same');
    await enqueueBatch(inputs, { queue });
    const summary = await runBatchWorker(model, { queue, untilEmpty: true, batchSize: 8, session: { backend: 'cpu' } });
    expect(summary).toMatchObject({ processed: 41, succeeded: 40, failed: 1, alreadyRecorded: 0, stopped: 'empty' });

    const out = join(dir, 'same.jsonl');
    expect(await collectBatch({ queue, out })).toMatchObject({ total: 41, written: 41, failed: 1, missing: 0 });
    const local = join(dir, 'local.jsonl');
    await runBatchJob(model, { inputs, out: local, batchSize: 8, session: { backend: 'cpu' } });
    const byId = (records: Awaited<ReturnType<typeof readResults>>) => new Map(records.map((record) => [record.id, record]));
    const distributed = await readResults(out);
    expect(byId(distributed)).toEqual(byId(await readResults(local)));
    expect([...idCounts(distributed).values()].every((count) => count === 1)).toBe(true);

    // As BullMQ does after a stall: the same items handed out again. They run, but are not recorded again.
    const connection = new Redis({ port: redis.port, maxRetriesPerRequest: null });
    const bull = new Queue('same', { connection });
    const again = distributed.slice(0, 5);
    const first = JSON.parse(JSON.stringify(again));
    await bull.addBulk(
      again.map((record) => ({
        name: 'item',
        data: {
          id: record.id,
          kind: 'json',
          path: 'redelivered',
          line: 1,
          inputs: { x: { dims: [1, 128], data: new Array(128).fill(0) } },
        },
        opts: { jobId: jobIdOf(record.id) },
      })),
    );
    await bull.close();
    connection.disconnect();
    const redelivered = await runBatchWorker(model, { queue, untilEmpty: true, session: { backend: 'cpu' } });
    expect(redelivered).toMatchObject({ processed: 5, alreadyRecorded: 5, succeeded: 0, failed: 0 });
    await collectBatch({ queue, out });
    expect((await readResults(out)).slice(0, 5)).toEqual(first);
    expect(await batchQueueStatus(queue)).toMatchObject({ total: 41, done: 41, succeeded: 40, failed: 1 });
  });

  it("waits for a dead worker's items until their locks expire and runs them: a running job keeps the queue from being empty", async () => {
    const inputs = join(dir, 'orphans.jsonl');
    await writeJsonlItems(inputs, 3);
    const queue = redis.queueUrl('orphans');
    await enqueueBatch(inputs, { queue });
    // A worker takes an item and dies without a word: its connection drops, its lock stays until it expires.
    const connection = new Redis({ port: redis.port, maxRetriesPerRequest: null });
    const dying = new Worker('orphans', null, { connection, lockDuration: 1500, autorun: false });
    dying.on('error', () => undefined);
    const taken = await dying.getNextJob('a-worker-that-dies');
    expect(taken?.data).toMatchObject({ id: 'row-0' });
    await dying.disconnect();
    connection.disconnect();
    expect(await batchQueueStatus(queue)).toMatchObject({ total: 3, done: 0, waiting: 2, active: 1 });

    const summary = await runBatchWorker(model, { queue, untilEmpty: true, stalledInterval: 500, session: { backend: 'cpu' } });
    expect(summary).toMatchObject({ processed: 3, succeeded: 3, stopped: 'empty' });
    expect(await collectBatch({ queue, out: join(dir, 'orphans.out.jsonl') })).toMatchObject({ total: 3, written: 3, missing: 0 });
  });

  it('carries item folders (<id>/<input>.npy) to the worker, which reads them against its model', async () => {
    const inputs = join(dir, 'folders');
    for (const [id, files] of [
      ['a', { x: new Tensor('float32', new Float32Array(128).fill(0.5), [1, 128]) }],
      ['b', { x: new Tensor('float32', new Float32Array(128).fill(-1), [1, 128]), extra: new Tensor('float32', new Float32Array(1), [1]) }],
      ['c', { y: new Tensor('float32', new Float32Array(128), [1, 128]) }],
    ] as const) {
      await mkdir(join(inputs, id), { recursive: true });
      for (const [name, tensor] of Object.entries(files)) await writeFile(join(inputs, id, `${name}.npy`), encodeNpy(tensor));
    }
    const queue = redis.queueUrl('folders');
    expect(await enqueueBatch(inputs, { queue })).toMatchObject({ items: 3, added: 3, invalid: 0 });
    expect(await runBatchWorker(model, { queue, untilEmpty: true, session: { backend: 'cpu' } })).toMatchObject({
      succeeded: 2,
      failed: 1,
    });
    const out = join(dir, 'folders.jsonl');
    await collectBatch({ queue, out });
    const local = join(dir, 'folders-local.jsonl');
    await runBatchJob(model, { inputs, out: local, session: { backend: 'cpu' } });
    const distributed = await readResults(out);
    const byId = new Map((await readResults(local)).map((record) => [record.id, record]));
    expect(distributed.map((record) => record.id)).toEqual(['a', 'b', 'c']);
    for (const record of distributed) expect(record).toEqual(byId.get(record.id));
    // c has no x.npy: both say which input is missing.
    expect(distributed[2]?.error).toEqual({
      code: ErrorCode.MISSING_INPUT,
      message: `Expected input "x" as ${join(inputs, 'c', 'x.npy')} but received none`,
    });
  });

  it('refuses a bad queue URL before connecting, and says when Redis cannot be reached', async () => {
    await expect(enqueueBatch(join(dir, 'npy'), { queue: `redis://127.0.0.1:${redis.port}` })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining('Expected a queue URL of the form redis://host:port/name'),
    });
    await expect(collectBatch({ queue: 'redis://127.0.0.1:1/nothing-here', out: join(dir, 'never.jsonl') })).rejects.toMatchObject({
      code: ErrorCode.IO,
      message: expect.stringContaining('Could not reach Redis at 127.0.0.1:1'),
    });
  });
});
