/**
 * A lock across processes on one machine: a lock file created exclusively (O_EXCL) holding the
 * owner's pid and host. Waiters poll until the file is gone; a lock whose owner on this host has
 * died (crash, SIGKILL) is stale and removed, so a killed build never blocks the next one.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { abortError } from '../errors.js';

// Writing the owner takes microseconds; a lock file empty for this long lost its taker.
const EMPTY_LOCK_STALE_MS = 10_000;

function ownerAlive(owner: string): boolean {
  const [pidText, host] = owner.split('@');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isSafeInteger(pid) || pid <= 0) return true; // cannot tell: assume alive
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryAcquire(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    await handle.writeFile(`${process.pid}@${hostname()}`);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Takes the lock at `path`, calling `onWait` once if another process holds it; resolves to the
 * release function.
 */
export async function acquireFileLock(
  path: string,
  options: { signal?: AbortSignal; onWait?: () => void } = {},
): Promise<() => Promise<void>> {
  let delay = 20;
  let waited = false;
  for (;;) {
    if (options.signal?.aborted) throw abortError(options.signal);
    if (await tryAcquire(path)) return () => rm(path, { force: true });
    const owner = await readFile(path, 'utf8').catch(() => undefined);
    // An empty file is a lock being written right now, unless it stayed empty (its taker died in between).
    const emptyForLong =
      owner === '' && Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now()) > EMPTY_LOCK_STALE_MS;
    if (emptyForLong || (owner !== undefined && owner !== '' && !ownerAlive(owner))) {
      await rm(path, { force: true });
      continue;
    }
    if (!waited) options.onWait?.();
    waited = true;
    await sleep(delay, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    delay = Math.min(delay * 2, 500);
  }
}
