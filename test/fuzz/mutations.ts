/**
 * Seeded mutations of valid files for the readers' fuzz tests: truncations, bit flips, byte runs,
 * splices, and rewrites of protobuf varints (lengths, tags, values) found by walking the wire format.
 * The same seed gives the same cases, so a failure names the seed and the case that reproduce it.
 */
import { seededRandom } from '../../lib/cli/random-tensor.js';
import { TensorRTNodeError } from '../../lib/errors.js';

export interface Rng {
  next(): number;
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
}

export function rng(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (below: number) => Math.floor(next() * below);
  return { next, int, pick: (items) => items[int(items.length)] };
}

/** The fuzzers' seed and case count: FUZZ_SEED and FUZZ_CASES override the defaults. */
export function fuzzSettings(defaultCases = 10_000): { seed: number; cases: number } {
  const seed = Number(process.env.FUZZ_SEED ?? 1);
  const cases = Number(process.env.FUZZ_CASES ?? defaultCases);
  return { seed: Number.isSafeInteger(seed) ? seed : 1, cases: Number.isSafeInteger(cases) && cases > 0 ? cases : defaultCases };
}

/** Values that sit on the edges readers trip over: zero, sign bits, 2^31, 2^32, 2^53, 2^64 - 1. */
const EDGE_VALUES = [
  0n,
  1n,
  2n,
  0x7fn,
  0x80n,
  0xffn,
  0x7fffn,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 64n - 1n,
];

export function encodeVarint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** Reads a varint at `pos`; undefined when it runs off the end or past 10 bytes. */
function readVarint(bytes: Uint8Array, pos: number): { value: bigint; end: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10 && pos + i < bytes.length; i++) {
    const byte = bytes[pos + i];
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value, end: pos + i + 1 };
  }
  return undefined;
}

/**
 * The byte ranges of every varint in a protobuf message (tags, lengths, values), descending into
 * length-delimited fields that parse as messages themselves. Ranges are [start, end).
 */
export function varintRanges(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  depth = 0,
  out: [number, number][] = [],
): [number, number][] {
  const found: [number, number][] = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos);
    if (!tag || tag.end > end || tag.value >> 3n === 0n) return out;
    found.push([pos, tag.end]);
    pos = tag.end;
    const wire = Number(tag.value & 7n);
    if (wire === 0) {
      const value = readVarint(bytes, pos);
      if (!value || value.end > end) return out;
      found.push([pos, value.end]);
      pos = value.end;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = readVarint(bytes, pos);
      if (!length || length.end + Number(length.value) > end) return out;
      found.push([pos, length.end]);
      const bodyStart = length.end;
      pos = bodyStart + Number(length.value);
      if (depth < 16) varintRanges(bytes, bodyStart, pos, depth + 1, found);
    } else return out;
  }
  if (pos === end) out.push(...found);
  return out;
}

function splice(bytes: Uint8Array, start: number, end: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(bytes.length - (end - start) + insert.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.length);
  return out;
}

export type Mutation = (bytes: Uint8Array, r: Rng) => Uint8Array;

export const byteMutations: Record<string, Mutation> = {
  truncate: (bytes, r) => bytes.slice(0, r.int(bytes.length + 1)),
  flipBits: (bytes, r) => {
    const out = bytes.slice();
    for (let i = 1 + r.int(4); i > 0 && out.length > 0; i--) out[r.int(out.length)] ^= 1 << r.int(8);
    return out;
  },
  setByte: (bytes, r) => {
    const out = bytes.slice();
    if (out.length > 0) out[r.int(out.length)] = r.pick([0x00, 0x01, 0x7f, 0x80, 0xff, r.int(256)]);
    return out;
  },
  insertBytes: (bytes, r) => {
    const at = r.int(bytes.length + 1);
    return splice(
      bytes,
      at,
      at,
      Array.from({ length: 1 + r.int(16) }, () => r.int(256)),
    );
  },
  deleteBytes: (bytes, r) => {
    const at = r.int(bytes.length + 1);
    return splice(bytes, at, Math.min(bytes.length, at + 1 + r.int(16)), []);
  },
  duplicateSlice: (bytes, r) => {
    const from = r.int(bytes.length + 1);
    const slice = bytes.slice(from, Math.min(bytes.length, from + 1 + r.int(64)));
    const at = r.int(bytes.length + 1);
    return splice(bytes, at, at, slice);
  },
};

/** Rewrites one varint of the protobuf wire format with an edge value (often a length field). */
export const varintMutation: Mutation = (bytes, r) => {
  const ranges = varintRanges(bytes);
  if (ranges.length === 0) return byteMutations.flipBits(bytes, r);
  const [start, end] = r.pick(ranges);
  const value = r.next() < 0.7 ? r.pick(EDGE_VALUES) : BigInt(r.int(2 ** 31));
  return splice(bytes, start, end, encodeVarint(r.next() < 0.5 ? value : value + BigInt(r.int(3)) - 1n));
};

/** One to three mutations drawn from `mutations` (by name, so a failing case can say what it did). */
export function mutate(bytes: Uint8Array, r: Rng, mutations: Record<string, Mutation>): { bytes: Uint8Array; applied: string[] } {
  const names = Object.keys(mutations);
  const applied: string[] = [];
  // A plain copy: a Buffer's slice() is a view, through which a mutation would change the seed.
  let out: Uint8Array = Uint8Array.from(bytes);
  for (let i = 1 + r.int(3); i > 0; i--) {
    const name = r.pick(names);
    applied.push(name);
    out = mutations[name](out, r);
  }
  return { bytes: out, applied };
}

/**
 * Sorts a reader's failure: a TensorRTNodeError with a code is the answer a reader owes bad input;
 * anything else is a failure, named by its case so a run lists every crash (the first `keep` in full).
 */
export function recordFailure(error: unknown, outcomes: { coded: number }, failures: string[], label: string, keep = Infinity): void {
  if (error instanceof TensorRTNodeError && typeof error.code === 'string') outcomes.coded++;
  else failures.push(failures.length < keep ? `${label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` : '');
}
