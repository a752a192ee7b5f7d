// How a refused plan is reported. TensorRT alone decides whether a plan loads (there is no public
// API for its header); what it logged and the plan header (the tag "ftrt", and the building
// release in bytes 24..27 only when the word at offset 4 is 0, as NVIDIA's trtexec reads it) only
// word the error: ERR_ENGINE_INCOMPATIBLE for a plan this library cannot use, ERR_ENGINE_CORRUPT for
// data that is not a usable plan, each saying what to do.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { ErrorCode, TensorRTNodeError } from '../../lib/errors.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { mlp, seeded } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';

async function refusal(plan: Uint8Array, allowHostCode = false): Promise<TensorRTNodeError> {
  try {
    (await Engine.load(plan, { allowHostCode })).dispose();
  } catch (error) {
    expect(error).toBeInstanceOf(TensorRTNodeError);
    return error as TensorRTNodeError;
  }
  throw new Error('expected the plan to be refused');
}

async function edited(edit: (plan: Uint8Array, view: DataView) => void): Promise<Uint8Array> {
  const plan = new Uint8Array(await planFor(mlp())); // a copy (the builder's bytes are a Buffer, whose slice() is a view)
  edit(plan, new DataView(plan.buffer, plan.byteOffset, plan.byteLength));
  return plan;
}

describe('the simulator’s plans', () => {
  it('have the real header layout: the tag, a zero word at offset 4, the building release in bytes 24..27', async () => {
    const plan = await planFor(mlp());
    const view = new DataView(plan.buffer, plan.byteOffset, plan.byteLength);
    expect(new TextDecoder().decode(plan.subarray(0, 4))).toBe('ftrt');
    expect(view.getUint32(4, true)).toBe(0);
    expect([...plan.subarray(24, 28)]).toEqual([11, 1, 0, 0]);
  });
});

describe('a plan TensorRT refuses', () => {
  it('is refused by TensorRT itself, whose log lines come with the error', async () => {
    const error = await refusal(await edited((plan) => plan.set([10, 16, 0, 72], 24)));
    expect(error.code).toBe(ErrorCode.ENGINE_INCOMPATIBLE);
    expect(error.message).toContain('built with TensorRT 10.16.0 but the loaded TensorRT library is 11.1.0');
    expect(error.details).toContain('expecting library version 11.1.0.0 got 10.16.0.72');
    const notPlan = await refusal(mlp().bytes);
    expect(notPlan.code).toBe(ErrorCode.ENGINE_CORRUPT);
    expect(notPlan.message).toContain('not a TensorRT plan');
    expect(notPlan.details).toContain('Magic tag does not match');
  });

  it('names both builds when only the build number differs', async () => {
    const error = await refusal(await edited((plan) => (plan[27] = 5)));
    expect(error.code).toBe(ErrorCode.ENGINE_INCOMPATIBLE);
    expect(error.message).toContain('built with TensorRT 11.1.0.5 but the loaded TensorRT library is 11.1.0.0');
  });

  it('tells a plan built for another GPU from a corrupt one', async () => {
    const error = await refusal(await edited((plan) => plan.set([7, 5], 36)));
    expect(error.code).toBe(ErrorCode.ENGINE_INCOMPATIBLE);
    expect(error.message).toMatch(/built for another GPU model \(this GPU has compute capability \d+\.\d+, the plan was built for 7\.5\)/);
    expect(error.message).toContain('Rebuild the engine on this machine');
    expect(error.details).toContain('incompatible device');
  });

  it('reads the version bytes only when the word at offset 4 is 0', async () => {
    // A small serialization version: a release with another plan format, whatever bytes 24..27 hold.
    const older = await refusal(await edited((_plan, view) => view.setUint32(4, 1, true)));
    expect(older.code).toBe(ErrorCode.ENGINE_INCOMPATIBLE);
    expect(older.message).toContain('serialization version 1');
    expect(older.message).not.toContain('built with TensorRT 11.1.0');
    expect(older.details).toContain('Version tag does not match');
  });

  it('calls the plan tag followed by junk corrupt and says what to do, without advising allowHostCode', async () => {
    const next = seeded(12);
    const junk = Uint8Array.from({ length: 300 }, (_, i) => (i < 4 ? 'ftrt'.charCodeAt(i) : Math.floor((next() + 1) * 128)));
    for (const allowHostCode of [false, true]) {
      const error = await refusal(junk, allowHostCode);
      expect(error.code).toBe(ErrorCode.ENGINE_CORRUPT);
      expect(error.message).toContain('is not a plan TensorRT can read');
      expect(error.message).toContain('Copy the plan again or rebuild the engine');
      expect(error.message).not.toContain('allowHostCode');
    }
    const ascii = await refusal(new TextEncoder().encode(`ftrt${'garbage '.repeat(10)}`));
    expect(ascii.code).toBe(ErrorCode.ENGINE_CORRUPT);
  });

  it('reports empty and tiny data as corrupt', async () => {
    for (const data of [new Uint8Array(0), new Uint8Array(3), new TextEncoder().encode('ftrt')]) {
      const error = await refusal(data);
      expect(error.code).toBe(ErrorCode.ENGINE_CORRUPT);
      expect(error.message).toMatch(/not a TensorRT plan|shorter than a plan header/);
    }
  });
});
