// Shared setup of the simulated-TensorRT tests: builds sim plans from the ONNX fixtures and runs the
// same models on ONNX Runtime for reference.
import * as ort from 'onnxruntime-node';

import { buildEngine } from '../../lib/tensorrt/builder.js';
import type { ProfileRange } from '../../lib/tensorrt/engine.js';
import type { Fixture } from '../fixtures/trt-models.js';

export function profilesOf(fixture: Fixture): Record<string, ProfileRange>[] {
  return fixture.profiles.map((profile, p) =>
    Object.fromEntries(
      Object.entries(profile).map(([name, [min, opt, max]]) => {
        const values = fixture.values?.[p]?.[name];
        return [
          name,
          values === undefined ? { min, opt, max } : { min, opt, max, values: { min: values[0], opt: values[1], max: values[2] } },
        ];
      }),
    ),
  );
}

const plans = new Map<string, Promise<Uint8Array>>();

/** The sim plan for a fixture, built once per test file. */
export function planFor(fixture: Fixture): Promise<Uint8Array> {
  let plan = plans.get(fixture.name);
  if (plan === undefined) {
    plan = buildEngine(fixture.bytes, { profiles: profilesOf(fixture) });
    plans.set(fixture.name, plan);
  }
  return plan;
}

export type Feeds = Record<string, { dtype: 'float32'; data: Float32Array; dims: number[] }>;

/** Outputs of ONNX Runtime (CPU) for the same model and feeds. */
export async function referenceRun(
  fixture: Fixture,
  feeds: Feeds,
): Promise<Record<string, { data: ArrayLike<number | bigint>; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(fixture.bytes);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(feed.dtype, feed.data, feed.dims);
    const results = await session.run(ortFeeds);
    const out: Record<string, { data: ArrayLike<number | bigint>; dims: readonly number[] }> = {};
    for (const [name, tensor] of Object.entries(results))
      out[name] = { data: tensor.data as ArrayLike<number | bigint>, dims: tensor.dims };
    return out;
  } finally {
    await session.release();
  }
}

/** Largest absolute difference between two numeric arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
