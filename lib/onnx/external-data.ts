/**
 * ONNX external data: a tensor with data_location EXTERNAL keeps its bytes in a file named by its
 * external_data entries (location, offset, length, checksum), relative to the model's directory.
 * Weights kept this way never pass through the protobuf, so they are not bound by its 2 GiB limit.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
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
    throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, `Expected a non-negative integer for external_data "${key}" of tensor "${tensor.name}" but received ${JSON.stringify(value)}`);
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
  if (!location) throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, `Expected a "location" in the external_data of tensor "${tensor.name}" but received none`);
  return { location, offset, length };
}

/** The file a reference points to; refuses locations that leave the model's directory. */
export function externalDataPath(ref: ExternalDataRef, baseDir: string, tensorName: string): string {
  const path = normalize(join(baseDir, ref.location));
  const rel = relative(baseDir, path);
  if (isAbsolute(ref.location) || rel === '' || rel.startsWith(`..${sep}`) || rel === '..') {
    throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, `Expected an external data location inside the model directory for tensor "${tensorName}" but received ${JSON.stringify(ref.location)}`);
  }
  return path;
}

function shortRead(tensor: TensorProto, path: string, want: number, got: number): TensorRTNodeError {
  return new TensorRTNodeError(ErrorCode.MODEL_LOAD, `Expected ${want} bytes of external data for tensor "${tensor.name}" in ${path} but the file ended after ${got}`);
}

function ioError(tensor: TensorProto, path: string, cause: unknown): TensorRTNodeError {
  if (cause instanceof TensorRTNodeError) return cause;
  return new TensorRTNodeError(ErrorCode.MODEL_LOAD, `Cannot read external data of tensor "${tensor.name}" from ${path}`, { cause, details: String(cause) });
}

export function readExternalDataSync(tensor: TensorProto, baseDir: string): Uint8Array {
  const ref = externalDataRef(tensor);
  const path = externalDataPath(ref, baseDir, tensor.name);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const length = ref.length ?? fstatSync(fd).size - ref.offset;
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, bytes, done, length - done, ref.offset + done);
      if (n === 0) throw shortRead(tensor, path, length, done);
      done += n;
    }
    return bytes;
  } catch (error) {
    throw ioError(tensor, path, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}


export async function readExternalData(tensor: TensorProto, baseDir: string): Promise<Uint8Array> {
  const ref = externalDataRef(tensor);
  const path = externalDataPath(ref, baseDir, tensor.name);
  try {
    const handle = await open(path, 'r');
    try {
      const length = ref.length ?? (await handle.stat()).size - ref.offset;
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, ref.offset + done);
        if (bytesRead === 0) throw shortRead(tensor, path, length, done);
        done += bytesRead;
      }
      return bytes;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError(tensor, path, error);
  }
}
