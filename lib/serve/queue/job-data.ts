/**
 * One item as a BullMQ job: its id and what its source held (see RawItem), as JSON (BullMQ stores
 * job data as JSON, so .npy bytes travel as base64). The worker decodes it against its own model,
 * so the machine that enqueues needs no model and a bad item fails on the worker as it would locally.
 * Job ids are derived from item ids one to one, so adding an item twice finds the job already there;
 * they are escaped because BullMQ refuses ids that contain ':' or look like integers.
 */
import { ErrorCode, TensorRTNodeError, describeValue } from '../../errors.js';
import type { RawItem } from '../batch-inputs.js';

export const JOB_NAME = 'item';

export type ItemJobData =
  | { id: string; kind: 'npy'; path: string; npy: string }
  | { id: string; kind: 'npy-folder'; path: string; files: [string, string][] }
  | { id: string; kind: 'json'; path: string; line: number; inputs: Record<string, unknown> };

export function jobIdOf(itemId: string): string {
  return `item-${encodeURIComponent(itemId)}`;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function toJobData(id: string, raw: RawItem): ItemJobData {
  switch (raw.kind) {
    case 'npy':
      return { id, kind: 'npy', path: raw.path, npy: base64(raw.bytes) };
    case 'npy-folder':
      return { id, kind: 'npy-folder', path: raw.path, files: [...raw.files].map(([name, bytes]) => [name, base64(bytes)]) };
    case 'json':
      return { id, kind: 'json', path: raw.path, line: raw.line, inputs: raw.inputs };
  }
}

function malformed(data: unknown): TensorRTNodeError {
  return new TensorRTNodeError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected a job written by tensorrt-node batch enqueue but received ${describeValue(data)}`,
  );
}

/** The item a job carries; throws when the job was not written by enqueueBatch. */
export function fromJobData(data: unknown): { id: string; raw: RawItem } {
  const job = data as Partial<Record<string, unknown>> | null;
  if (job === null || typeof job !== 'object' || typeof job.id !== 'string' || typeof job.path !== 'string') throw malformed(data);
  const { id, path } = job as { id: string; path: string };
  if (job.kind === 'npy' && typeof job.npy === 'string') return { id, raw: { kind: 'npy', path, bytes: Buffer.from(job.npy, 'base64') } };
  if (job.kind === 'npy-folder' && Array.isArray(job.files)) {
    const files = new Map<string, Uint8Array>();
    for (const entry of job.files as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string') throw malformed(data);
      files.set(entry[0], Buffer.from(entry[1], 'base64'));
    }
    return { id, raw: { kind: 'npy-folder', path, files } };
  }
  if (job.kind === 'json' && typeof job.line === 'number' && job.inputs !== null && typeof job.inputs === 'object')
    return { id, raw: { kind: 'json', path, line: job.line, inputs: job.inputs as Record<string, unknown> } };
  throw malformed(data);
}
