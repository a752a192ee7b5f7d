// Fuzzing Engine.load (and the plan header reader behind its errors) on the simulator build:
// thousands of mutations of valid plans (truncations, bit flips, header fields, length fields and
// version bytes, payload edits with a matching checksum so the engine description itself is read)
// must each end in success or a coded TensorRTNodeError: never a crash, a hang or another error.
// Seeded (TENSORRT_NODE_FUZZ_SEED) so a failure can be replayed; the seed is in every message.
import './use-sim.js';

import { appendFileSync, writeFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ErrorCode, TensorRTNodeError } from '../../lib/errors.js';
import { buildEngine } from '../../lib/tensorrt/builder.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { arithmetic, convQdq, mlp, nonZero, staticTanh } from '../fixtures/trt-models.js';
import { planFor, profilesOf } from './trt-helpers.js';

const CASES = 12_000;
const IN_FLIGHT = Number(process.env.TENSORRT_NODE_FUZZ_TRACE ? 1 : 32);
const SEED = Number(process.env.TENSORRT_NODE_FUZZ_SEED ?? 20_260_312) >>> 0;
// The simulator's plan header (native/sim/README.md): payload from byte 40, its CRC-32 at 32.
const HEADER = 40;
const CRC_OFFSET = 32;
const EXPECTED_CODES = new Set<string>([ErrorCode.ENGINE_CORRUPT, ErrorCode.ENGINE_INCOMPATIBLE, ErrorCode.UNSUPPORTED]);

interface Random {
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** xorshift32: fast, seedable, plenty for choosing mutations. */
function generator(seed: number): Random {
  let state = seed || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  return {
    int: (n) => next() % n,
    pick<T>(items: readonly T[]): T {
      return items[next() % items.length] as T;
    },
  };
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Makes the simulator's checksum match again, so the mutated engine description gets parsed. */
function fixChecksum(plan: Uint8Array): Uint8Array {
  if (plan.length >= HEADER) new DataView(plan.buffer, plan.byteOffset).setUint32(CRC_OFFSET, crc32(plan.subarray(HEADER)), true);
  return plan;
}

const INTERESTING_U32 = [0, 1, 2, 7, 8, 9, 0xff, 0x100, 0xffff, 0x10000, 0x100000, 0x100001, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation = (plan: Uint8Array, rng: Random) => Uint8Array;

const mutations: Record<string, Mutation> = {
  truncate: (plan, rng) => plan.slice(0, rng.int(plan.length)),
  flipBits: (plan, rng) => {
    const out = plan.slice();
    for (let n = 1 + rng.int(8); n > 0; n--) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  headerField: (plan, rng) => {
    const out = plan.slice();
    const view = new DataView(out.buffer);
    const offset = rng.pick([4, 8, 12, 16, 20, 24, 28, 36]);
    view.setUint32(offset, rng.pick([...INTERESTING_U32, plan.length, plan.length - HEADER, plan.length - HEADER + 1]), true);
    return out;
  },
  versionBytes: (plan, rng) => {
    const out = plan.slice();
    const at = 24 + rng.int(4);
    out[at] = rng.pick([0, 1, 9, 10, 11, 12, 16, 99, 100, 255, (out[at] as number) + 1, (out[at] as number) - 1]) & 0xff;
    return out;
  },
  payloadLength: (plan, rng) => {
    const out = plan.slice();
    if (out.length < HEADER + 4) return out;
    new DataView(out.buffer).setUint32(HEADER + rng.int(out.length - HEADER - 3), rng.pick(INTERESTING_U32), true);
    return fixChecksum(out);
  },
  // The engine description ends with its counts (I/O tensors, profiles, memory sizes): small
  // wrong counts there make descriptions that parse but do not add up.
  tailCount: (plan, rng) => {
    const out = plan.slice();
    const span = Math.min(256, out.length - HEADER - 4);
    if (span <= 0) return out;
    new DataView(out.buffer).setUint32(out.length - 4 - rng.int(span), rng.int(4), true);
    return fixChecksum(out);
  },
  payloadBytes: (plan, rng) => {
    const out = plan.slice();
    for (let n = 1 + rng.int(4); n > 0; n--) out[HEADER + rng.int(out.length - HEADER)] = rng.int(256);
    return fixChecksum(out);
  },
  payloadTruncate: (plan, rng) => {
    const out = plan.slice(0, HEADER + rng.int(plan.length - HEADER));
    new DataView(out.buffer).setBigUint64(16, BigInt(out.length - HEADER), true);
    return fixChecksum(out);
  },
  appendJunk: (plan, rng) => {
    const out = new Uint8Array(plan.length + 1 + rng.int(64));
    out.set(plan);
    for (let i = plan.length; i < out.length; i++) out[i] = rng.int(256);
    return rng.int(2) === 0 ? out : fixChecksum(out);
  },
  tagThenJunk: (_plan, rng) => {
    const out = Uint8Array.from({ length: rng.int(600) }, () => rng.int(256));
    out.set([0x66, 0x74, 0x72, 0x74].slice(0, out.length));
    return out;
  },
};

describe('Engine.load fuzzing', () => {
  it(`gives success or a coded error for ${CASES} mutated plans (seed ${SEED})`, async () => {
    const fixtures = [mlp(), convQdq(), arithmetic(), staticTanh(), nonZero()];
    const valid = await Promise.all(fixtures.map((fixture) => planFor(fixture)));
    const fixture = mlp();
    valid.push(await buildEngine(fixture.bytes, { profiles: profilesOf(fixture), versionCompatible: true }));
    const seeds = valid.map((plan) => new Uint8Array(plan));

    const names = Object.keys(mutations);
    const outcomes = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < CASES) {
        const index = next++;
        // Each case has its own generator, so a case replays alone whatever order the loads finish in.
        const rng = generator(Math.imul(SEED ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
        const name = names[index % names.length] as string;
        const input = (mutations[name] as Mutation)(rng.pick(seeds), rng);
        const allowHostCode = rng.int(2) === 0;
        if (process.env.TENSORRT_NODE_FUZZ_TRACE) {
          appendFileSync(process.env.TENSORRT_NODE_FUZZ_TRACE, `${index} ${name}\n`);
          writeFileSync(`${process.env.TENSORRT_NODE_FUZZ_TRACE}.plan`, input);
        }
        let outcome: string;
        try {
          (await Engine.load(input, { allowHostCode })).dispose();
          outcome = 'loaded';
        } catch (error) {
          const label = `case ${index} (${name}, ${input.length} bytes, seed ${SEED})`;
          expect(error, label).toBeInstanceOf(TensorRTNodeError);
          const code = (error as TensorRTNodeError).code;
          expect(EXPECTED_CODES.has(code), `${label}: ${code}: ${(error as Error).message}`).toBe(true);
          expect((error as Error).message.length, label).toBeGreaterThan(20);
          outcome = code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    console.log(`plan fuzzing, seed ${SEED}: ${total} cases: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    expect(total).toBe(CASES);
    // The mutations reach past the header checks: some plans still load, both error kinds occur.
    expect(outcomes.get('loaded') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get(ErrorCode.ENGINE_CORRUPT) ?? 0).toBeGreaterThan(0);
    expect(outcomes.get(ErrorCode.ENGINE_INCOMPATIBLE) ?? 0).toBeGreaterThan(0);
  });
});
