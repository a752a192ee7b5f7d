/**
 * How long the event loop is held up while a long model runs back to back: session.run (runOn
 * 'auto' moves it to a worker thread) against raw onnxruntime-node, which computes on the main
 * thread. perf_hooks.monitorEventLoopDelay samples the delay of a 1 ms timer.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as Ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../lib/index.js';
import { collectGarbage } from './stats.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;

export interface DelayResult {
  runs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function measure(runs: number, runOnce: () => Promise<unknown>): Promise<DelayResult> {
  collectGarbage();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  for (let i = 0; i < runs; i++) await runOnce();
  histogram.disable();
  return { runs, p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
}

function print(label: string, result: DelayResult): void {
  console.log(
    `   ${label.padEnd(34)} event-loop delay p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, max ${result.maxMs.toFixed(2)} ms (${result.runs} runs)`,
  );
}

export async function eventLoopDelay(
  model: string,
  data: Float32Array,
  dims: number[],
  runs: number,
  warmup: number,
  warmupMs: number,
): Promise<{ ours: DelayResult; raw: DelayResult }> {
  console.log(`== event-loop delay while ${dims.join('x')} runs back to back`);
  const session = await InferenceSession.create(model, { backend: 'cpu' });
  let ours: DelayResult;
  try {
    const feeds = { x: new Tensor('float32', data, dims) };
    // Warm-up outside the measurement: the first run is on the main thread and moves the session to
    // its worker, which loads the model itself meanwhile (seconds on a busy machine): warm up by time too.
    const warmupEnds = performance.now() + warmupMs;
    for (let i = 0; i < warmup || performance.now() < warmupEnds; i++) await session.run(feeds);
    ours = await measure(runs, () => session.run(feeds));
  } finally {
    await session.dispose();
  }
  print("session.run (runOn 'auto')", ours);
  const raw = await ort.InferenceSession.create(model);
  let rawResult: DelayResult;
  try {
    const feeds = { x: new ort.Tensor('float32', data, dims) };
    for (let i = 0; i < warmup; i++) await raw.run(feeds);
    rawResult = await measure(runs, () => raw.run(feeds));
  } finally {
    await raw.release();
  }
  print('raw onnxruntime-node (main thread)', rawResult);
  return { ours, raw: rawResult };
}
