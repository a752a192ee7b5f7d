import { describe, expect, it } from 'vitest';
import { WorkerMovePolicy } from '../../lib/backends/run-on-policy.js';

/** Feeds run durations to a fresh policy; returns the 1-based run after which it says move, or 0. */
function movesAfter(thresholdMs: number, durations: number[]): number {
  const policy = new WorkerMovePolicy(thresholdMs);
  const index = durations.findIndex((ms) => policy.record(ms));
  return index + 1;
}

describe("runOn 'auto' worker move policy (threshold 4 ms)", () => {
  it('moves after the first run when it is far over the threshold (a 60 ms model)', () => {
    expect(movesAfter(4, [78, 60, 60])).toBe(1);
  });

  it('does not move on a slow cold first run of a fast model', () => {
    expect(movesAfter(4, [11, 0.01, 0.01, 0.01, 0.01])).toBe(0);
  });

  it('moves after two slow runs in a row once past the first (a 15 ms model)', () => {
    expect(movesAfter(4, [21, 15, 15, 15])).toBe(3);
  });

  it('does not move on isolated slow runs (a GC pause now and then)', () => {
    expect(movesAfter(4, [0.1, 9, 0.1, 9, 0.1, 12, 0.1])).toBe(0);
  });

  it('treats the threshold itself as fast', () => {
    expect(movesAfter(4, [40, 4, 4, 4])).toBe(0);
  });
});
