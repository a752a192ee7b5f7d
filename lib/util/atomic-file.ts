/**
 * Writes a file so that readers see either the old file or the whole new one: the bytes go to a
 * temporary file in the same directory, which is then renamed over the target. A failure removes
 * the temporary file and leaves the target untouched.
 *
 * The target must be a regular file or absent. A rename replaces whatever the name points at, so
 * without this check an output path naming a device, a FIFO or a socket would turn it into a
 * regular file, and one naming a symbolic link would replace the link instead of writing where it
 * leads. Such targets are refused (a link would otherwise need writing through, which can lead
 * anywhere on the host).
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { fileKind } from './regular-file.js';

export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Throws ERR_INVALID_ARGUMENT unless `path` is absent or a regular file (a symbolic link is refused
 * whatever it points at). Writers call it before doing the work, so a bad output path fails early.
 */
export async function checkWritableTarget(path: string): Promise<void> {
  // Absent (ENOENT) is fine; ENOTDIR, EACCES and the like make the write itself fail and say why.
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined || info.isFile()) return;
  throw new TensorRTNodeError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected a regular file or a new file name for the output ${path} but received ${fileKind(info)}`,
  );
}

/** The reason a write failed, in words a user can act on, with the system's code. */
function whyNotWritten(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'its folder does not exist',
    ENOTDIR: 'a part of its folder path is not a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is used up',
    EISDIR: 'it is a folder',
  };
  const reason = code !== undefined ? reasons[code] : undefined;
  if (reason !== undefined) return `${reason} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** Runs `write` against a temporary file and renames it to `path` once `write` has finished. */
export async function writeFileAtomic(path: string, write: Uint8Array | ((handle: FileHandle) => Promise<void>)): Promise<void> {
  await checkWritableTarget(path);
  const temporary = temporaryPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx');
    if (write instanceof Uint8Array) await handle.writeFile(write);
    else await write(handle);
    await handle.sync();
    await handle.close();
    handle = undefined;
    // Again just before the rename: the target may have changed while the bytes were written.
    await checkWritableTarget(path);
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    if (error instanceof TensorRTNodeError) throw error;
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot write ${path}: ${whyNotWritten(error)}`, { cause: error, details: String(error) });
  }
}
