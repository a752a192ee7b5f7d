/**
 * Writes a file so that readers see either the old file or the whole new one: the bytes go to a
 * temporary file in the same directory, which is then renamed over the target. A failure removes
 * the temporary file and leaves the target untouched.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, TensorRTNodeError } from '../errors.js';

export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Runs `write` against a temporary file and renames it to `path` once `write` has finished. */
export async function writeFileAtomic(path: string, write: Uint8Array | ((handle: FileHandle) => Promise<void>)): Promise<void> {
  const temporary = temporaryPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx');
    if (write instanceof Uint8Array) await handle.writeFile(write);
    else await write(handle);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    if (error instanceof TensorRTNodeError) throw error;
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot write ${path}`, { cause: error, details: String(error) });
  }
}
