// Outputs TensorRT writes into an input's memory (ICudaEngine::getAliasedInputTensor; its
// KVCacheUpdate layer updates the cache in place): the output must be given the input's address.
// The simulator refuses an enqueue where the two addresses differ, as TensorRT requires them equal.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { Engine } from '../../lib/tensorrt/engine.js';
import { kvCache, randomArray } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';

/** out[0, h, at + s, :] = update[0, h, s, :] for positions inside the cache. */
function updated(cache: Float32Array, update: Float32Array, seq: number, at: number): Float32Array {
  const out = cache.slice();
  for (let h = 0; h < 2; h++) {
    for (let s = 0; s < seq && at + s < 4; s++) {
      for (let e = 0; e < 3; e++) out[(h * 4 + at + s) * 3 + e] = update[(h * seq + s) * 3 + e] as number;
    }
  }
  return out;
}

describe('aliased outputs', () => {
  it('report the input they alias and land in its memory, with or without CUDA graphs', async () => {
    const engine = await Engine.load(await planFor(kvCache()));
    expect(engine.outputs.find((t) => t.name === 'next')?.aliasOf).toBe('cache');
    expect(engine.inputs.find((t) => t.name === 'cache')?.aliasOf).toBeUndefined();
    for (const cudaGraph of [false, true]) {
      const context = engine.createContext({ cudaGraph });
      let cache = randomArray(24, 7);
      for (const [step, [seq, at]] of (
        [
          [1, 0],
          [1, 1],
          [2, 2],
          [1, 3],
          [4, 0],
          [3, 2],
        ] as const
      ).entries()) {
        const update = randomArray(2 * seq * 3, 20 + step);
        const [out] = await context.run(
          [
            { name: 'cache', data: cache, dims: [1, 2, 4, 3] },
            { name: 'update', data: update, dims: [1, 2, seq, 3] },
            { name: 'writeIndices', data: Int32Array.of(at), dims: [1] },
          ],
          [{ name: 'next' }],
          0,
        );
        const next = new Float32Array(out?.data as ArrayBuffer);
        expect(Array.from(next), `graph ${cudaGraph} step ${step}`).toEqual(Array.from(updated(cache, update, seq, at)));
        cache = next;
      }
      context.dispose();
    }
    engine.dispose();
  });
});
