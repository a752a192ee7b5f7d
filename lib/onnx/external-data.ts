/**
 * ONNX external data: a tensor with data_location EXTERNAL keeps its bytes in a file named by its
 * external_data entries (location, offset, length, checksum), relative to the model's directory.
 * Weights kept this way never pass through the protobuf, so they are not bound by its 2 GiB limit.
 *
 * The model may come from a user, so a location is trusted only after it resolves (links followed)
 * to a regular file inside the model's real directory, and only the bytes the file holds are read.
 */
import { type Stats, closeSync, constants, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { type Containment, openedInside, resolveContained, resolveContainedSync } from '../util/contained-path.js';
import { READ_FLAGS, openRegularFile, openRegularFileSync } from '../util/regular-file.js';
import type { TensorProto } from './types.js';

export interface ExternalDataRef {
  location: string;
  offset: number;
  /** undefined: up to the end of the file. */
  length: number | undefined;
}

function parseLength(tensor: TensorProto, key: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected a non-negative integer for external_data "${key}" of tensor "${tensor.name}" but received ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

export function externalDataRef(tensor: TensorProto): ExternalDataRef {
  let location: string | undefined;
  let offset = 0;
  let length: number | undefined;
  for (const entry of tensor.externalData) {
    if (entry.key === 'location') location = entry.value;
    else if (entry.key === 'offset') offset = parseLength(tensor, entry.key, entry.value);
    else if (entry.key === 'length') length = parseLength(tensor, entry.key, entry.value);
  }
  if (!location)
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected a "location" in the external_data of tensor "${tensor.name}" but received none`,
    );
  return { location, offset, length };
}

function escapes(location: string, tensorName: string): TensorRTNodeError {
  return new TensorRTNodeError(
    ErrorCode.MODEL_LOAD,
    `Expected an external data location inside the model directory for tensor "${tensorName}" but received ${JSON.stringify(location)}`,
  );
}

/** The real path of an external data file (and of the model's folder); refuses locations that are not inside the folder. */
function existingPath(found: Containment, location: string, tensorName: string): { path: string; dir: string } {
  if (found.kind === 'outside') throw escapes(location, tensorName);
  if (found.kind === 'missing') {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected the external data file ${JSON.stringify(location)} of tensor "${tensorName}" in the model directory but it does not exist`,
    );
  }
  return found;
}

export async function externalDataFile(location: string, baseDir: string, tensorName: string): Promise<string> {
  return existingPath(await resolveContained(baseDir, location), location, tensorName).path;
}

/**
 * Where a model saved in `dir` may write its external data `location`: inside `dir` after links
 * are resolved (an existing file there is replaced only if it is a regular file; see writeFileAtomic).
 */
export async function externalDataTarget(location: string, dir: string): Promise<string> {
  const found = await resolveContained(dir, location);
  if (found.kind === 'outside') {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected an external data location inside the output model's directory for options.externalData.location but received ${JSON.stringify(location)}`,
    );
  }
  return found.path;
}

/** No links at the end of the real path (it has none unless it was swapped since it was resolved). */
const FLAGS = READ_FLAGS | constants.O_NOFOLLOW;

function target(tensor: TensorProto, ref: ExternalDataRef) {
  return { what: `external data file ${JSON.stringify(ref.location)} of tensor "${tensor.name}"`, code: ErrorCode.MODEL_LOAD };
}

/** The byte count to read, checked against what the file holds before anything is allocated. */
function rangeLength(tensor: TensorProto, ref: ExternalDataRef, info: Stats): number {
  const available = Math.max(0, info.size - ref.offset);
  const length = ref.length ?? available;
  if (ref.offset > info.size || length > available) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected ${length} bytes of external data for tensor "${tensor.name}" at offset ${ref.offset} of ${JSON.stringify(ref.location)} but the file ended after ${info.size} bytes`,
    );
  }
  return length;
}

function readFailure(tensor: TensorProto, ref: ExternalDataRef, cause: unknown): TensorRTNodeError {
  if (cause instanceof TensorRTNodeError) return cause;
  return new TensorRTNodeError(
    ErrorCode.MODEL_LOAD,
    `Expected readable external data for tensor "${tensor.name}" in ${JSON.stringify(ref.location)} but reading failed`,
    { cause, details: String(cause) },
  );
}

function changed(tensor: TensorProto, ref: ExternalDataRef): TensorRTNodeError {
  return new TensorRTNodeError(
    ErrorCode.MODEL_LOAD,
    `Expected the external data file ${JSON.stringify(ref.location)} of tensor "${tensor.name}" to stay the same while it was read but it shrank`,
  );
}

export function readExternalDataSync(tensor: TensorProto, baseDir: string): Uint8Array {
  const ref = externalDataRef(tensor);
  const { path, dir } = existingPath(resolveContainedSync(baseDir, ref.location), ref.location, tensor.name);
  const { fd, info } = openRegularFileSync(path, target(tensor, ref), FLAGS);
  try {
    if (!openedInside(fd, dir)) throw escapes(ref.location, tensor.name);
    const length = rangeLength(tensor, ref, info);
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, bytes, done, length - done, ref.offset + done);
      if (n === 0) throw changed(tensor, ref);
      done += n;
    }
    return bytes;
  } catch (error) {
    throw readFailure(tensor, ref, error);
  } finally {
    closeSync(fd);
  }
}

export async function readExternalData(tensor: TensorProto, baseDir: string): Promise<Uint8Array> {
  const ref = externalDataRef(tensor);
  const { path, dir } = existingPath(await resolveContained(baseDir, ref.location), ref.location, tensor.name);
  const { handle, info }: { handle: FileHandle; info: Stats } = await openRegularFile(path, target(tensor, ref), FLAGS);
  try {
    if (!openedInside(handle.fd, dir)) throw escapes(ref.location, tensor.name);
    const length = rangeLength(tensor, ref, info);
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(bytes, done, length - done, ref.offset + done);
      if (bytesRead === 0) throw changed(tensor, ref);
      done += bytesRead;
    }
    return bytes;
  } catch (error) {
    throw readFailure(tensor, ref, error);
  } finally {
    await handle.close();
  }
}
