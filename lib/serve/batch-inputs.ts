/**
 * The items of a batch job, read one at a time, each with its id:
 *   dir/<id>.npy                 one file per item, for models with one input
 *   dir/<id>/<input name>.npy    one folder per item (any number of inputs)
 *   file.jsonl                   one JSON object per line: {"id": "...", "inputs": {"x": {"dims": [1, 128], "data": [...]}}}
 *                                (dtype is the model's; int64 data may be numbers or decimal strings)
 * Reading is two steps: the source is enumerated into raw items (ids and the bytes or JSON they hold,
 * no model needed), and a raw item is decoded against a model's inputs into feeds. The local runner
 * does both at once; the Redis queue enumerates on the machine that enqueues and decodes on the worker.
 * A bad item (unreadable, malformed, wrong names) comes back with its error instead of its feeds, so
 * the job records it and goes on. Files are read only inside the input folder and only when regular.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
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

/** What one item's source holds, not yet read against a model. `path` names it in error messages. */
export type RawItem =
  | { kind: 'npy'; path: string; bytes: Uint8Array }
  | { kind: 'npy-folder'; path: string; files: Map<string, Uint8Array> }
  | { kind: 'json'; path: string; line: number; inputs: Record<string, unknown> };

export type RawBatchItem = { id: string; raw: RawItem; error?: undefined } | { id: string; raw?: undefined; error: TensorRTNodeError };

export interface RawItemOptions {
  /** Ids to pass over without reading their data (they come back with `raw` undefined and no error). */
  skip?: (id: string) => boolean;
  /** The input names to read from an item folder; without it every .npy file in the folder is read. */
  names?: readonly string[];
}

export interface RawBatchInputs {
  count(): Promise<number>;
  items(options?: RawItemOptions): AsyncGenerator<RawBatchItem | { id: string; raw?: undefined; error?: undefined }>;
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

/** Every .npy file of an item folder, by input name. */
async function readFolder(root: string, path: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const entries = await readdir(path, { withFileTypes: true }).catch((cause: NodeJS.ErrnoException) => {
    throw new TensorRTNodeError(ErrorCode.IO, `Expected a readable folder at ${path} but it cannot be read (${cause.code})`, { cause });
  });
  for (const entry of entries)
    if ((entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith('.npy'))
      files.set(entry.name.slice(0, -'.npy'.length), await readContained(root, join(path, entry.name)));
  return files;
}

function npyDirectory(dir: string): RawBatchInputs {
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
    async *items({ skip, names } = {}) {
      const root = await realpath(dir);
      for (const entry of await entries()) {
        const id = entry.isDirectory ? entry.name : entry.name.slice(0, -'.npy'.length);
        if (skip?.(id)) {
          yield { id };
          continue;
        }
        const path = join(dir, entry.name);
        try {
          if (!entry.isDirectory) {
            yield { id, raw: { kind: 'npy', path, bytes: await readContained(root, path) } };
            continue;
          }
          let files: Map<string, Uint8Array>;
          if (names === undefined) files = await readFolder(root, path);
          else {
            files = new Map();
            for (const name of names) {
              // An absent file is a missing input (decodeRawItem says which), as when the folder is read whole.
              const bytes = await readContained(root, join(path, `${name}.npy`)).catch((error: TensorRTNodeError) => {
                if ((error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
                throw error;
              });
              if (bytes !== undefined) files.set(name, bytes);
            }
          }
          yield { id, raw: { kind: 'npy-folder', path, files } };
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

function jsonLines(path: string): RawBatchInputs {
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
    // Every line is parsed even when skipped: its id is only known once it is read.
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
          yield { id, raw: { kind: 'json', path, line: number, inputs: record.inputs as Record<string, unknown> } };
        } catch (error) {
          yield { id, error: asError(error) };
        }
      }
    },
  };
}

/** The feeds a raw item holds for a model with these inputs; throws the item's error when it does not fit. */
export function decodeRawItem(id: string, raw: RawItem, inputs: readonly TensorInfo[]): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  switch (raw.kind) {
    case 'npy':
      if (inputs.length !== 1)
        throw new TensorRTNodeError(
          ErrorCode.INVALID_ARGUMENT,
          `Expected a folder ${id}/ holding ${inputs.map((info) => `${info.name}.npy`).join(', ')} (the model has ${inputs.length} inputs) but received the file ${basename(raw.path)}`,
        );
      feeds[(inputs[0] as TensorInfo).name] = decodeNpy(raw.bytes, raw.path);
      return feeds;
    case 'npy-folder':
      for (const info of inputs) {
        const path = join(raw.path, `${info.name}.npy`);
        const bytes = raw.files.get(info.name);
        if (bytes === undefined)
          throw new TensorRTNodeError(ErrorCode.MISSING_INPUT, `Expected input "${info.name}" as ${path} but received none`);
        feeds[info.name] = decodeNpy(bytes, path);
      }
      return feeds;
    case 'json':
      for (const info of inputs) {
        if (!Object.hasOwn(raw.inputs, info.name))
          throw new TensorRTNodeError(
            ErrorCode.MISSING_INPUT,
            `Expected input "${info.name}" on line ${raw.line} of ${raw.path} but received none`,
          );
        feeds[info.name] = tensorFromJson(info, raw.inputs[info.name], `input "${info.name}" on line ${raw.line}`);
      }
      return feeds;
  }
}

/** The items of a source, enumerated without a model (see the top of this file). */
export async function openRawBatchInputs(path: string): Promise<RawBatchInputs> {
  const info = await stat(path).catch((cause: NodeJS.ErrnoException) => {
    throw new TensorRTNodeError(
      ErrorCode.IO,
      `Expected a directory of .npy files or a .jsonl file for --inputs but ${path} ${cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.code})`}`,
      { cause },
    );
  });
  if (info.isDirectory()) return npyDirectory(path);
  if (info.isFile() && path.toLowerCase().endsWith('.jsonl')) return jsonLines(path);
  throw new TensorRTNodeError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected a directory of .npy files or a .jsonl file for --inputs but received ${path}`,
  );
}

export async function openBatchInputs(path: string, inputs: readonly TensorInfo[]): Promise<BatchInputs> {
  const raw = await openRawBatchInputs(path);
  const names = inputs.map((info) => info.name);
  return {
    count: () => raw.count(),
    async *items(skip) {
      for await (const item of raw.items({ skip, names })) {
        if (item.error) yield { id: item.id, error: item.error };
        else if (item.raw === undefined) yield { id: item.id, feeds: {} };
        else {
          try {
            yield { id: item.id, feeds: decodeRawItem(item.id, item.raw, inputs) };
          } catch (error) {
            yield { id: item.id, error: asError(error) };
          }
        }
      }
    },
  };
}
