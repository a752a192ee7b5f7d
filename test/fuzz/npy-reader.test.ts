/**
 * Fuzzing the .npy reader: mutations of valid files of every dtype and format version (truncations,
 * bit flips, byte runs, splices, the header length field, and the header's dict text: shapes,
 * dtypes, keys) go through decodeNpy, and every 16th through loadNpy from a file. Each case must
 * give a coded TensorRTNodeError or a tensor whose bytes the file really holds: never another
 * error, a hang or an allocation beyond the input. FUZZ_SEED and FUZZ_CASES reproduce or widen a run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeNpy, encodeNpy, loadNpy } from '../../lib/npy.js';
import { Tensor } from '../../lib/tensor.js';
import { type Mutation, byteMutations, encodeVarint, fuzzSettings, mutate, recordFailure, rng } from './mutations.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-fuzz-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seeds(): Uint8Array[] {
  const files = [
    encodeNpy(new Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])),
    encodeNpy(new Tensor('int64', new BigInt64Array([1n, -2n, 3n, 4n, 5n]), [5])),
    encodeNpy(new Tensor('bool', new Uint8Array([1]), [])),
    encodeNpy(new Tensor('float16', new Uint16Array([0x3c00, 0, 0x7bff, 0x8001]), [1, 1, 4])),
    encodeNpy(new Tensor('uint8', new Uint8Array(0), [0, 3])),
    encodeNpy(new Tensor('float64', new Float64Array([Math.PI]), [1, 1])),
  ];
  // Format 2.0 and 3.0 of the first file: the same header after a 4-byte length.
  const v1 = files[0];
  const headerLength = v1[8] | (v1[9] << 8);
  for (const major of [2, 3]) {
    const out = new Uint8Array(v1.length + 2);
    out.set(v1.subarray(0, 8));
    out[6] = major;
    new DataView(out.buffer).setUint32(8, headerLength, true);
    out.set(v1.subarray(10), 12);
    files.push(out);
  }
  return files;
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const HEADER_REPLACEMENTS: [RegExp, string[]][] = [
  [
    /\(\d[^)]*\)|\(\)/,
    [
      '(99999999999, 99999999999)',
      '(-1,)',
      '(4294967296,)',
      '(9007199254740993,)',
      '()',
      '(0,)',
      '(2, 3, 4, 5, 6, 7, 8, 9)',
      '(1e3,)',
      '(3L,)',
      '(,)',
      '(',
    ],
  ],
  [/'[<|>=]?[a-zA-Z]\d+'/, ["'<f4'", "'>f4'", "'<c8'", "'|O'", "'<U3'", "''", "'<f99'", "'<i8'", "'|b1'", "'<f2'", "'<V4'"]],
  [/False|True/, ['True', 'False', 'None', '1', "'False'"]],
  [/'shape'|'descr'|'fortran_order'/, ["'extra'", "'shape'", "'descr'", "''", "'__proto__'"]],
];

const npyMutations: Record<string, Mutation> = {
  ...byteMutations,
  headerLength: (bytes, r) => {
    const out = bytes.slice();
    if (out.length < 12) return out;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const value = r.pick([0, 1, 0xffff, 0xffffffff, out.length, out.length - 10, r.int(256)]);
    if (out[6] === 1) view.setUint16(8, value & 0xffff, true);
    else view.setUint32(8, value >>> 0, true);
    return out;
  },
  version: (bytes, r) => {
    const out = bytes.slice();
    if (out.length > 7) out[r.pick([6, 7])] = r.pick([0, 1, 2, 3, 4, 255]);
    return out;
  },
  headerText: (bytes, r) => {
    const text = latin1(bytes);
    const [pattern, replacements] = r.pick(HEADER_REPLACEMENTS);
    const replaced = text.replace(pattern, r.pick(replacements));
    return Uint8Array.from(Buffer.from(replaced, 'latin1'));
  },
  junkVarint: (bytes, r) => {
    const at = r.int(bytes.length + 1);
    const varint = encodeVarint(BigInt(r.int(2 ** 31)));
    const out = new Uint8Array(bytes.length + varint.length);
    out.set(bytes.subarray(0, at));
    out.set(varint, at);
    out.set(bytes.subarray(at), at + varint.length);
    return out;
  },
};

describe('.npy reader fuzz', () => {
  test('mutated .npy files give a coded error or a tensor the file holds, never a crash', { timeout: 120_000 }, async () => {
    const { seed, cases } = fuzzSettings();
    const files = seeds();
    const r = rng(seed);
    const failures: string[] = [];
    const outcomes = { ok: 0, coded: 0 };
    const rssBefore = process.memoryUsage().rss;
    const check = (tensor: Tensor, input: Uint8Array) => {
      if (tensor.byteLength > input.byteLength)
        throw new Error(`a tensor of ${tensor.byteLength} bytes from ${input.byteLength} bytes of input`);
    };
    for (let index = 0; index < cases; index++) {
      const { bytes, applied } = mutate(r.pick(files), r, npyMutations);
      try {
        check(decodeNpy(bytes), bytes);
        if (index % 16 === 0) {
          const path = join(dir, 'case.npy');
          writeFileSync(path, bytes);
          check(await loadNpy(path), bytes);
        }
        outcomes.ok++;
      } catch (error) {
        recordFailure(error, outcomes, failures, `case ${index} (seed ${seed}; ${applied.join(', ')})`);
      }
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    console.log(
      `npy reader fuzz: ${cases} cases (seed ${seed}): ${outcomes.ok} read, ${outcomes.coded} coded errors, ${failures.length} other failures; RSS ${(rssGrowth / 2 ** 20).toFixed(1)} MiB more`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(outcomes.ok + outcomes.coded).toBe(cases);
    expect(rssGrowth).toBeLessThan(256 * 2 ** 20);
  });
});
