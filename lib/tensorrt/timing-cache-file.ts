/**
 * The builder's timing cache file: read before a build (absent: start a new cache), written
 * atomically after it with the timings the build added. Builds sharing a file each save the cache
 * they loaded plus their own timings; a reader never sees a half-written file.
 */
import { lstat, readFile } from 'node:fs/promises';

import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';

/** The cache's bytes, or an empty array when the file does not exist yet. */
export async function loadTimingCache(path: string): Promise<Uint8Array> {
  try {
    const info = await lstat(path);
    if (!info.isFile()) throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a regular file for the timing cache but received ${JSON.stringify(path)}, which is not one`);
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Uint8Array(0);
    if (error instanceof TensorRTNodeError) throw error;
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot read the timing cache ${path}`, { cause: error, details: String(error) });
  }
}

export async function saveTimingCache(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}
