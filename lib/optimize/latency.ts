/**
 * Interleaved CPU timing of several models on the same feeds: each feed runs on every model in turn,
 * with the starting model rotating from feed to feed, so machine load and warm caches hit all alike.
 */
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import type { Feeds } from './feeds.js';
import type { OrtRunner } from './ort-runner.js';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median milliseconds per run of each runner (in the order given), after one warm-up run each. */
export async function interleavedMedians(
  runners: readonly OrtRunner[],
  feeds: readonly Feeds[],
  rounds: number,
  signal?: AbortSignal,
): Promise<{ medians: number[]; runsPerModel: number }> {
  const prepared = feeds.map((feed) => runners.map((runner) => runner.prepare(feed)));
  for (const [index, runner] of runners.entries()) await runner.runPrepared(prepared[0][index]);
  const times: number[][] = runners.map(() => []);
  let turn = 0;
  for (let round = 0; round < rounds; round++) {
    for (const perRunner of prepared) {
      const first = turn++ % runners.length;
      for (let step = 0; step < runners.length; step++) {
        if (signal?.aborted) throw new TensorRTNodeError(ErrorCode.ABORTED, 'The timing was aborted', { cause: signal.reason });
        const which = (first + step) % runners.length;
        const start = process.hrtime.bigint();
        await runners[which].runPrepared(perRunner[which]);
        times[which].push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
  }
  return { medians: times.map(median), runsPerModel: times[0].length };
}
