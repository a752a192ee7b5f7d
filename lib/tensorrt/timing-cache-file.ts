/**
 * The builder's timing cache file: read before a build (absent: start a new cache), and after it
 * saved with the timings the build added. Builds share the file: the save takes a lock, and when
 * another build saved since this one loaded, the two caches are merged (TensorRT's combine) before
 * the atomic write, so neither build's timings are lost and a reader never sees a half-written file.
 */
import { lstat, readFile } from 'node:fs/promises';

import { requireBinding } from '../binding.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { acquireFileLock } from '../util/file-lock.js';

/** The cache's bytes, or an empty array when the file does not exist yet. */
export async function loadTimingCache(path: string): Promise<Uint8Array> {
  try {
    const info = await lstat(path);
    if (!info.isFile())
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected a regular file for the timing cache but received ${JSON.stringify(path)}, which is not one`,
      );
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Uint8Array(0);
    if (error instanceof TensorRTNodeError) throw error;
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot read the timing cache ${path}`, { cause: error, details: String(error) });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Saves `updated` (the cache as the build left it, starting from `loaded`), merging what others saved meanwhile. */
export async function saveTimingCache(path: string, loaded: Uint8Array, updated: Uint8Array): Promise<void> {
  const release = await acquireFileLock(`${path}.lock`);
  try {
    const current = await loadTimingCache(path);
    const merge = requireBinding().mergeTimingCaches;
    const bytes = current.length === 0 || sameBytes(current, loaded) || merge === undefined ? updated : await merge(updated, current);
    await writeFileAtomic(path, bytes);
  } finally {
    await release();
  }
}
