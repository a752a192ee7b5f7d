/**
 * Reading files that may come from users. Only regular files are read: a FIFO, a socket or a device
 * such as /dev/zero has no end to read to (and opening a FIFO waits for a writer), so these are
 * refused after opening without blocking. A file is read up to the size it had when opened, so the
 * memory taken is bounded by what the file really holds, however it changes meanwhile.
 */
import { type Stats, closeSync, constants, fstatSync, openSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { type ErrorCode, TensorRTNodeError } from '../errors.js';

/** O_NONBLOCK: opening a FIFO must not wait for a writer (it has no effect on regular files). */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** What a non-regular file is, for messages. */
export function fileKind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export interface ReadTarget {
  /** How the file is named in messages, without an article ("model file", ".npy file"). */
  what: string;
  code: ErrorCode;
}

function openError(path: string, target: ReadTarget, error: unknown): TensorRTNodeError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code ?? String(error)})`;
  return new TensorRTNodeError(target.code, `Expected a readable ${target.what} at ${path} but ${why}`, {
    cause: error,
    details: String(error),
  });
}

function notRegular(path: string, target: ReadTarget, info: Stats): TensorRTNodeError {
  return new TensorRTNodeError(target.code, `Expected a regular ${target.what} at ${path} but received ${fileKind(info)}`);
}

function allocate(path: string, target: ReadTarget, size: number): Buffer {
  try {
    return Buffer.alloc(size);
  } catch (cause) {
    throw new TensorRTNodeError(target.code, `Expected a ${target.what} that fits in memory at ${path} but it holds ${size} bytes`, {
      cause,
    });
  }
}

function shrunk(path: string, target: ReadTarget, size: number, done: number): TensorRTNodeError {
  return new TensorRTNodeError(
    target.code,
    `Expected ${size} bytes in the ${target.what} at ${path} but it ended after ${done} (it changed while being read)`,
  );
}

/** Opens a regular file for reading; the caller closes the handle. */
export async function openRegularFile(path: string, target: ReadTarget, flags = READ_FLAGS): Promise<{ handle: FileHandle; info: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    throw openError(path, target, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(path, target, info);
    return { handle, info };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error instanceof TensorRTNodeError ? error : openError(path, target, error);
  }
}

export function openRegularFileSync(path: string, target: ReadTarget, flags = READ_FLAGS): { fd: number; info: Stats } {
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (error) {
    throw openError(path, target, error);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw notRegular(path, target, info);
    return { fd, info };
  } catch (error) {
    closeSync(fd);
    throw error instanceof TensorRTNodeError ? error : openError(path, target, error);
  }
}

/** The whole of a regular file, as many bytes as it held when opened. */
export async function readRegularFile(path: string, target: ReadTarget): Promise<Buffer> {
  const { handle, info } = await openRegularFile(path, target);
  try {
    const bytes = allocate(path, target, info.size);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, done);
      if (bytesRead === 0) throw shrunk(path, target, bytes.length, done);
      done += bytesRead;
    }
    return bytes;
  } catch (error) {
    throw error instanceof TensorRTNodeError ? error : openError(path, target, error);
  } finally {
    await handle.close();
  }
}
