/**
 * The body of a KServe v2 inference message: a JSON object, followed, when any tensor travels as
 * binary data, by those tensors' bytes in the order the JSON lists them. The JSON's length then goes
 * in the Inference-Header-Content-Length header (Triton's binary tensor data extension).
 */
import { invalidArgument } from '../../errors.js';

export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

export interface EncodedMessage {
  /** The body's pieces, in order (the JSON first): written one after another, without joining. */
  readonly chunks: readonly Uint8Array[];
  readonly byteLength: number;
  /** HTTP headers to send with the body (content type, and the JSON's length when binary data follows). */
  readonly headers: Record<string, string>;
}

export function encodeMessage(json: unknown, binary: readonly Uint8Array[]): EncodedMessage {
  const head = Buffer.from(JSON.stringify(json), 'utf8');
  const byteLength = binary.reduce((total, chunk) => total + chunk.byteLength, head.byteLength);
  if (binary.length === 0) return { chunks: [head], byteLength, headers: { 'content-type': 'application/json' } };
  return {
    chunks: [head, ...binary],
    byteLength,
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH_HEADER]: String(head.byteLength) },
  };
}

export interface DecodedMessage {
  readonly json: unknown;
  /** The bytes after the JSON (empty when the message has none). */
  readonly binary: Uint8Array;
}

/** Splits a body at the JSON's length (the header's value, absent for a JSON-only body) and parses the JSON. */
export function decodeMessage(body: Uint8Array, headerLength: string | undefined): DecodedMessage {
  let jsonLength = body.byteLength;
  if (headerLength !== undefined) {
    jsonLength = /^\d+$/.test(headerLength) ? Number(headerLength) : Number.NaN;
    if (!Number.isSafeInteger(jsonLength) || jsonLength > body.byteLength) {
      throw invalidArgument(
        `a length of at most the body's ${body.byteLength} bytes`,
        'the Inference-Header-Content-Length header',
        headerLength,
      );
    }
    if (jsonLength === 0) {
      // The raw binary request (no JSON at all) needs the model's metadata to read; not supported.
      throw invalidArgument('a JSON inference header before the binary data', 'the Inference-Header-Content-Length header', headerLength);
    }
  }
  const text = Buffer.from(body.buffer, body.byteOffset, jsonLength).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidArgument('a JSON inference header', 'the body', text.length > 60 ? `${text.slice(0, 57)}...` : text);
  }
  return { json, binary: body.subarray(jsonLength) };
}

/** Hands out the binary section's tensors one after another, checking each size against what is left. */
export class BinaryReader {
  private offset = 0;

  constructor(private readonly binary: Uint8Array) {}

  take(size: unknown, name: string): Uint8Array {
    if (!Number.isSafeInteger(size) || (size as number) < 0)
      throw invalidArgument('a non-negative integer', `binary_data_size of ${name}`, size);
    const end = this.offset + (size as number);
    if (end > this.binary.byteLength) {
      throw invalidArgument(
        `at most the ${this.binary.byteLength - this.offset} bytes of binary data left`,
        `binary_data_size of ${name}`,
        size,
      );
    }
    const bytes = this.binary.subarray(this.offset, end);
    this.offset = end;
    return bytes;
  }

  /** Binary data no tensor claimed means the header and the body disagree. */
  finish(): void {
    if (this.offset !== this.binary.byteLength) {
      throw invalidArgument(
        `binary data that the tensors' binary_data_size account for (${this.offset} bytes)`,
        'the body',
        `${this.binary.byteLength} bytes`,
      );
    }
  }
}
