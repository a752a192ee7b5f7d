// The cross-process lock of the engine and timing caches: exclusive, waiting, stale after its owner died.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { ErrorCode } from '../../lib/errors.js';
import { acquireFileLock } from '../../lib/util/file-lock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('is exclusive: a second taker waits until the first releases', async () => {
  const path = join(dir, 'a.lock');
  const release = await acquireFileLock(path);
  expect(await readFile(path, 'utf8')).toBe(`${process.pid}@${hostname()}`);
  let waited = false;
  let second = false;
  const next = acquireFileLock(path, { onWait: () => (waited = true) }).then((r) => {
    second = true;
    return r;
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(second).toBe(false);
  await release();
  await (
    await next
  )();
  expect(waited).toBe(true);
});

it('takes over a lock whose owner on this host has died', async () => {
  const path = join(dir, 'b.lock');
  const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
  await writeFile(path, `${deadPid}@${hostname()}`);
  const release = await acquireFileLock(path);
  expect(await readFile(path, 'utf8')).toBe(`${process.pid}@${hostname()}`);
  await release();
});

it('waiting for a live owner ends with ERR_ABORTED when the signal fires', async () => {
  const path = join(dir, 'c.lock');
  await writeFile(path, `${process.pid}@${hostname()}`);
  const controller = new AbortController();
  const waiting = acquireFileLock(path, { signal: controller.signal, onWait: () => controller.abort(new Error('enough')) });
  await expect(waiting).rejects.toMatchObject({ code: ErrorCode.ABORTED });
});
