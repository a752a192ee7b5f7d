/**
 * The results file of a batch job: JSON Lines, one object per finished item, appended one whole
 * line per write so a crash leaves at most one torn line at the end. Resuming reads the ids already
 * written and cuts a torn last line off before appending again.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, open, truncate } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export interface DoneItems {
  ids: Set<string>;
  /** Bytes of the torn last line that was cut off (0 when the file ended cleanly). */
  tornBytes: number;
}

/** The target must be a regular file or absent: never a device, FIFO or symlink. */
async function checkTarget(path: string): Promise<boolean> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new TensorRTNodeError(ErrorCode.IO, `Expected a readable results file at ${path} but it cannot be read (${error.code})`, {
      cause: error,
    });
  });
  if (info === undefined) return false;
  if (!info.isFile())
    throw new TensorRTNodeError(
      ErrorCode.IO,
      `Expected a regular file (or nothing) at ${path} for the results but it is ${info.isSymbolicLink() ? 'a symbolic link' : info.isDirectory() ? 'a directory' : 'not a regular file'}`,
    );
  return true;
}

/** Reads the ids of the results already written, cutting off a torn last line. */
export async function readDoneItems(path: string): Promise<DoneItems> {
  const ids = new Set<string>();
  if (!(await checkTarget(path))) return { ids, tornBytes: 0 };
  let complete = 0; // bytes up to and including the last newline
  let lineNumber = 0;
  let pending: Buffer[] = [];
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, at));
      const bytes = Buffer.concat(pending);
      const line = bytes.toString('utf8');
      pending = [];
      lineNumber++;
      complete += bytes.length + 1;
      start = at + 1;
      if (line.trim() === '') continue;
      let id: unknown;
      try {
        id = (JSON.parse(line) as { id?: unknown }).id;
      } catch {
        throw new TensorRTNodeError(
          ErrorCode.IO,
          `Expected JSON Lines results in ${path} but line ${lineNumber} is not JSON; it was not written by tensorrt-node batch (move it away to start over)`,
        );
      }
      if (typeof id !== 'string')
        throw new TensorRTNodeError(ErrorCode.IO, `Expected an "id" on line ${lineNumber} of ${path} but received none`);
      ids.add(id);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  const tornBytes = pending.reduce((total, part) => total + part.length, 0);
  if (tornBytes > 0) await truncate(path, complete);
  return { ids, tornBytes };
}

/** How results are appended; the default appends to the file. Tests pass a stream that fails. */
export type OutputStreamFactory = (path: string) => Writable;

export const appendToFile: OutputStreamFactory = (path) => createWriteStream(path, { flags: 'a' });

/** Forces the file's data to the disk (the per-line writes already reach the OS; this survives power loss). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

function jsonValues(tensor: Tensor): (number | string | boolean)[] {
  if (tensor.data instanceof BigInt64Array || tensor.data instanceof BigUint64Array) {
    // Outside 2^53 a JSON number would lose digits: such values are written as decimal strings.
    return Array.from(tensor.data, (value) =>
      value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value.toString(),
    );
  }
  if (tensor.dtype === 'bool') return Array.from(tensor.data as Uint8Array, (value) => value !== 0);
  return Array.from(tensor.data as ArrayLike<number>);
}

/** One result line: {"id", "outputs": {name: {dtype, dims, data}}} or {"id", "error": {code, message}}. */
export function resultLine(
  id: string,
  outcome: { outputs: Record<string, Tensor> } | { error: { code: string; message: string } },
): string {
  if ('error' in outcome) return `${JSON.stringify({ id, error: outcome.error })}\n`;
  const outputs: Record<string, { dtype: string; dims: number[]; data: (number | string | boolean)[] }> = {};
  for (const [name, tensor] of Object.entries(outcome.outputs))
    outputs[name] = { dtype: tensor.dtype, dims: [...tensor.dims], data: jsonValues(tensor) };
  return `${JSON.stringify({ id, outputs })}\n`;
}
