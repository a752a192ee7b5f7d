/**
 * The items of a batch job, read one at a time, each with its id:
 *   dir/<id>.npy                 one file per item, for models with one input
 *   dir/<id>/<input name>.npy    one folder per item (any number of inputs)
 *   file.jsonl                   one JSON object per line: {"id": "...", "inputs": {"x": {"dims": [1, 128], "data": [...]}}}
 *                                (dtype is the model's; int64 data may be numbers or decimal strings)
 * A bad item (unreadable, malformed, wrong names) comes back with its error instead of its feeds, so
 * the job records it and goes on. Files are read only inside the input folder and only when regular.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type { TensorInfo } from '../backends/backend.js';
import { type DTypeArrayMap, dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError, describeValue, invalidArgument } from '../errors.js';
import { decodeNpy } from '../npy.js';
import { Tensor } from '../tensor.js';

export type BatchItem =
  { id: string; feeds: Record<string, Tensor>; error?: undefined } | { id: string; feeds?: undefined; error: TensorRTNodeError };

export interface BatchInputs {
  /** Items in the source (cheap: names or lines are counted, data is not read). */
  count(): Promise<number>;
  /** Items in order; those whose id `skip` accepts are passed over without reading their data when possible. */
  items(skip?: (id: string) => boolean): AsyncGenerator<BatchItem>;
}

function asError(error: unknown): TensorRTNodeError {
  return error instanceof TensorRTNodeError
    ? error
    : new TensorRTNodeError(ErrorCode.IO, String((error as Error)?.message ?? error), { cause: error });
}

/** A regular file inside `root` (after symlinks are resolved). */
async function readContained(root: string, path: string): Promise<Buffer> {
  const real = await realpath(path).catch((cause: NodeJS.ErrnoException) => {
    throw new TensorRTNodeError(ErrorCode.IO, `Expected a readable file at ${path} but it cannot be resolved (${cause.code})`, { cause });
  });
  if (!real.startsWith(root + sep))
    throw new TensorRTNodeError(ErrorCode.IO, `Expected a file inside ${root} but ${path} leads to ${real}`);
  const info = await stat(real);
  if (!info.isFile()) throw new TensorRTNodeError(ErrorCode.IO, `Expected a regular file at ${path} but it is not one`);
  return readFile(real);
}

function npyDirectory(dir: string, inputs: readonly TensorInfo[]): BatchInputs {
  const entries = async () => {
    const all = await readdir(dir, { withFileTypes: true }).catch((cause: unknown) => {
      throw new TensorRTNodeError(ErrorCode.IO, `Expected a readable directory of .npy inputs but cannot read ${dir}`, { cause });
    });
    return all
      .filter((entry) => (entry.isFile() || entry.isSymbolicLink() ? entry.name.endsWith('.npy') : entry.isDirectory()))
      .map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  };
  return {
    count: async () => (await entries()).length,
    async *items(skip) {
      const root = await realpath(dir);
      for (const entry of await entries()) {
        const id = entry.isDirectory ? entry.name : entry.name.slice(0, -'.npy'.length);
        if (skip?.(id)) {
          yield { id, feeds: {} };
          continue;
        }
        const path = join(dir, entry.name);
        try {
          if (!entry.isDirectory) {
            if (inputs.length !== 1)
              throw new TensorRTNodeError(
                ErrorCode.INVALID_ARGUMENT,
                `Expected a folder ${id}/ holding ${inputs.map((info) => `${info.name}.npy`).join(', ')} (the model has ${inputs.length} inputs) but received the file ${entry.name}`,
              );
            yield { id, feeds: { [(inputs[0] as TensorInfo).name]: decodeNpy(await readContained(root, path), path) } };
            continue;
          }
          const feeds: Record<string, Tensor> = {};
          for (const info of inputs)
            feeds[info.name] = decodeNpy(await readContained(root, join(path, `${info.name}.npy`)), join(path, `${info.name}.npy`));
          yield { id, feeds };
        } catch (error) {
          yield { id, error: asError(error) };
        }
      }
    },
  };
}

function tensorFromJson(info: TensorInfo, value: unknown, where: string): Tensor {
  if (value === null || typeof value !== 'object' || !Array.isArray((value as { data?: unknown }).data)) {
    throw invalidArgument('an object { dims, data } with data a flat array', where, value);
  }
  const { dims, data } = value as { dims?: unknown; data: unknown[] };
  const { arrayType } = dtypeInfo(info.dtype);
  const bigints = arrayType === BigInt64Array || arrayType === BigUint64Array;
  const values = data.map((element) => {
    if (bigints && (typeof element === 'number' || typeof element === 'string') && /^-?\d+$/.test(String(element))) return BigInt(element);
    if (!bigints && typeof element === 'number') return element;
    if (!bigints && typeof element === 'boolean' && info.dtype === 'bool') return element ? 1 : 0;
    throw invalidArgument(`${info.dtype} numbers`, `${where}.data`, element);
  });
  const array = new (arrayType as new (length: number) => DTypeArrayMap[typeof info.dtype])(values.length);
  (array as unknown as { set(values: ArrayLike<number | bigint>): void }).set(values as ArrayLike<number | bigint>);
  return new Tensor(info.dtype, array, dims === undefined ? undefined : (dims as number[]), { name: info.name });
}

function jsonLines(path: string, inputs: readonly TensorInfo[]): BatchInputs {
  const lines = async function* () {
    const stream = createReadStream(path, { encoding: 'utf8' });
    const opened = new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    await opened.catch((cause: NodeJS.ErrnoException) => {
      throw new TensorRTNodeError(ErrorCode.IO, `Expected a readable .jsonl file at ${path} but it cannot be read (${cause.code})`, {
        cause,
      });
    });
    let number = 0;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      number++;
      if (line.trim() !== '') yield { line, number };
    }
  };
  return {
    async count() {
      let count = 0;
      for await (const _ of lines()) count++;
      return count;
    },
    async *items() {
      const seen = new Set<string>();
      for await (const { line, number } of lines()) {
        let id = `line-${number}`;
        try {
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            throw new TensorRTNodeError(
              ErrorCode.INVALID_ARGUMENT,
              `Expected a JSON object for line ${number} of ${path} but received ${describeValue(line)}`,
            );
          }
          const record = parsed as { id?: unknown; inputs?: unknown };
          if (typeof record?.id === 'string' && record.id !== '') id = record.id;
          else if (typeof record?.id === 'number') id = String(record.id);
          else throw invalidArgument('a non-empty string or number', `the id of line ${number} of ${path}`, record?.id);
          if (seen.has(id)) {
            const duplicate = id;
            id = `line-${number}`;
            throw new TensorRTNodeError(
              ErrorCode.INVALID_ARGUMENT,
              `Expected ids that are unique in ${path} but received "${duplicate}" again on line ${number}`,
            );
          }
          seen.add(id);
          if (record.inputs === null || typeof record.inputs !== 'object')
            throw invalidArgument('an object of inputs', `the inputs of line ${number}`, record.inputs);
          const given = record.inputs as Record<string, unknown>;
          const feeds: Record<string, Tensor> = {};
          for (const info of inputs) {
            if (!(info.name in given))
              throw new TensorRTNodeError(
                ErrorCode.MISSING_INPUT,
                `Expected input "${info.name}" on line ${number} of ${path} but received none`,
              );
            feeds[info.name] = tensorFromJson(info, given[info.name], `input "${info.name}" on line ${number}`);
          }
          yield { id, feeds };
        } catch (error) {
          yield { id, error: asError(error) };
        }
      }
    },
  };
}

export async function openBatchInputs(path: string, inputs: readonly TensorInfo[]): Promise<BatchInputs> {
  const info = await stat(path).catch((cause: NodeJS.ErrnoException) => {
    throw new TensorRTNodeError(
      ErrorCode.IO,
      `Expected a directory of .npy files or a .jsonl file for --inputs but ${path} ${cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.code})`}`,
      { cause },
    );
  });
  if (info.isDirectory()) return npyDirectory(path, inputs);
  if (info.isFile() && path.toLowerCase().endsWith('.jsonl')) return jsonLines(path, inputs);
  throw new TensorRTNodeError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected a directory of .npy files or a .jsonl file for --inputs but received ${path}`,
  );
}
