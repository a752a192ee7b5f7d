// `tensorrt-node batch enqueue | worker | collect | status` as users run them, against a real
// redis-server: 200 rendered text lines through the real PP-OCR classifier, two worker processes,
// one SIGKILLed mid-run while it holds items. The other takes them over once their locks expire,
// and the collected results have every item exactly once, equal to a local `batch` run. The lock
// expiry makes it take tens of seconds; the long timeouts are for loaded machines (nothing is timed).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { batchQueueStatus } from '../../lib/index.js';
import { cliPath, ensureBuilt, expectedError, root, runCli } from '../cli/cli-helper.js';
import { writeOcrNpyDirectory } from '../data/ocr-inputs.js';
import { idCounts, readResults } from '../fixtures/batch-inputs.js';
import { realModels } from '../fixtures/real-models.js';
import { type RedisServer, redisMissing, startRedis } from './redis-server.js';

if (redisMissing) console.warn(`skipping the Redis batch queue CLI test: ${redisMissing}`);

const ITEMS = 200;
const OUTPUT = 'softmax_0.tmp_0';

interface Worker {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startWorker(queue: string, { untilEmpty = true } = {}): Worker {
  // Short locks and checks so a dead worker's items come back in seconds; one item per run so the
  // job lasts long enough to be killed in the middle of it.
  const args = [
    ...['batch', 'worker', realModels.ocrCls, '--queue', queue, '--backend', 'cpu', '--json', ...(untilEmpty ? ['--until-empty'] : [])],
    ...['--batch-size', '1', '--concurrency', '1', '--lock-duration', '3000', '--stalled-interval', '1000', '--max-stalled-count', '5'],
  ];
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

describe.skipIf(redisMissing !== undefined)('tensorrt-node batch over a Redis queue', () => {
  let redis: RedisServer;
  let dir: string;
  let inputs: string;
  const workers: Worker[] = [];
  beforeAll(async () => {
    await ensureBuilt();
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'batch-queue-cli-'));
    inputs = join(dir, 'lines');
    await writeOcrNpyDirectory('cls', { split: 'evaluation', count: ITEMS }, inputs);
  }, 300_000);
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finishes with every item exactly once after one of two workers is SIGKILLed mid-run', async () => {
    const queue = redis.queueUrl('ocr-cls');
    const enqueued = await runCli(['batch', 'enqueue', inputs, '--queue', queue]);
    expect(enqueued.stderr).toBe('');
    expect(enqueued.stdout).toContain(`enqueued ${ITEMS} items on ${queue}: ${ITEMS} new, 0 already queued`);
    const again = await runCli(['batch', 'enqueue', inputs, '--queue', queue, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, alreadyQueued: ITEMS, total: ITEMS });

    // The doomed worker starts alone, so the items done and the jobs held are its own when it is killed
    // (polling the queue, not the clock); the survivor starts just before, and picks up the rest.
    const doomed = startWorker(queue);
    workers.push(doomed);
    for (;;) {
      const status = await batchQueueStatus(queue);
      if (status.done >= 30 && status.active > 0) break;
      expect(status.done, 'the doomed worker finished everything before it could be killed').toBeLessThan(ITEMS);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const survivor = startWorker(queue);
    workers.push(survivor);
    doomed.child.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    expect((await batchQueueStatus(queue)).done).toBeLessThan(ITEMS);

    const survived = await survivor.exited;
    expect(survived.code, survived.stderr).toBe(0);
    const summary = JSON.parse(survived.stdout) as { stopped: string; processed: number };
    expect(summary.stopped).toBe('empty');

    // BullMQ saw the dead worker's jobs stall and put them back: its event stream says so.
    const client = new Redis({ port: redis.port });
    const events = await client.xrange('bull:ocr-cls:events', '-', '+');
    client.disconnect();
    const stalled = events.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'stalled');
    expect(stalled.length).toBeGreaterThan(0);

    const status = await runCli(['batch', 'status', '--queue', queue, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ total: ITEMS, done: ITEMS, failed: 0, waiting: 0, active: 0, failedJobs: 0 });

    const out = join(dir, 'results.jsonl');
    const collected = await runCli(['batch', 'collect', '--queue', queue, '--out', out]);
    expect(collected.stderr).toBe('');
    expect(collected.code).toBe(0);
    expect(collected.stdout).toBe(`wrote ${ITEMS} results of ${ITEMS} items to ${out} (0 failed)\n`);
    const records = await readResults(out);
    expect(records).toHaveLength(ITEMS);
    expect([...idCounts(records).values()].every((count) => count === 1)).toBe(true);

    const local = join(dir, 'local.jsonl');
    const localRun = await runCli(['batch', realModels.ocrCls, '--inputs', inputs, '--out', local, '--backend', 'cpu']);
    expect(localRun.code, localRun.stderr).toBe(0);
    const expected = new Map((await readResults(local)).map((record) => [record.id, record]));
    expect(expected.size).toBe(ITEMS);
    for (const record of records) {
      const want = expected.get(record.id);
      expect(record.outputs?.[OUTPUT]?.dims).toEqual(want?.outputs?.[OUTPUT]?.dims);
      record.outputs?.[OUTPUT]?.data.forEach((value, k) => expect(value).toBeCloseTo(want?.outputs?.[OUTPUT]?.data[k] as number, 5));
    }
  }, 180_000);

  it('stops on SIGTERM after recording the items in hand, leaving nothing locked for the next worker', async () => {
    const queue = redis.queueUrl('terminated');
    expect((await runCli(['batch', 'enqueue', inputs, '--queue', queue])).code).toBe(0);
    const worker = startWorker(queue, { untilEmpty: false });
    workers.push(worker);
    while ((await batchQueueStatus(queue)).done < 20) await new Promise((resolve) => setTimeout(resolve, 20));
    worker.child.kill('SIGTERM');
    const stopped = await worker.exited;
    expect(stopped.code, stopped.stderr).toBe(0);
    const summary = JSON.parse(stopped.stdout) as { stopped: string; processed: number };
    expect(summary.stopped).toBe('signal');
    const after = await batchQueueStatus(queue);
    // Everything it took is recorded and nothing is still held: no lock has to expire.
    expect(after).toMatchObject({ active: 0, workers: 0, done: summary.processed });
    expect(after.done).toBeLessThan(ITEMS);

    const next = startWorker(queue);
    workers.push(next);
    expect((await next.exited).code).toBe(0);
    const client = new Redis({ port: redis.port });
    const events = await client.xrange('bull:terminated:events', '-', '+');
    client.disconnect();
    expect(events.filter(([, fields]) => fields[1] === 'stalled')).toEqual([]);
    const out = join(dir, 'terminated.jsonl');
    expect((await runCli(['batch', 'collect', '--queue', queue, '--out', out])).code).toBe(0);
    expect([...idCounts(await readResults(out)).values()].filter((count) => count === 1)).toHaveLength(ITEMS);
  }, 180_000);

  it('says what a bad queue URL should look like', async () => {
    const result = await runCli(['batch', 'status', '--queue', 'redis://127.0.0.1:6379']);
    expect(result.code).toBe(1);
    expect(expectedError(result)).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      message:
        'Expected a queue URL of the form redis://host:port/name (the path must be the queue name) for --queue but received "redis://127.0.0.1:6379"',
    });
  });
});
