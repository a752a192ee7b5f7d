import { describe, expect, it } from 'vitest';

import { BatchPolicy } from '../../../lib/serve/batch-policy.js';

/** Runs `count` runs the policy chooses, each costing `perItem(size)` ms per item. */
function drive(policy: BatchPolicy, count: number, perItem: (size: number) => number, queued = 64, maxBatch = 64): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const size = policy.nextRunSize(queued, maxBatch);
    sizes.push(size);
    policy.observeRun(size, size * perItem(size));
  }
  return sizes;
}

describe('BatchPolicy', () => {
  it('measures a stretch of single items, sent together, and then small batches before deciding', () => {
    const policy = new BatchPolicy();
    expect(policy.unbounded).toBe(false);
    expect(policy.nextRunSize(64, 64)).toBe(1);
    expect(policy.unbounded).toBe(true); // the rest of the stretch goes without waiting for a run slot
    policy.observeRun(1, 1);
    expect(drive(policy, 6, (size) => (size === 1 ? 1 : 0.05))).toEqual([1, 1, 1, 8, 8, 8]);
    expect(drive(policy, 2, (size) => (size === 1 ? 1 : 0.05))).toEqual([64, 64]);
    expect(policy.unbounded).toBe(false);
    expect(policy.batchingPays).toBe(true);
    expect(policy.state()).toMatchObject({ singleMsPerItem: 1, batchedMsPerItem: 0.05 });
  });

  it('keeps batching while a batched item costs clearly less, probing a single item every 32 runs', () => {
    const policy = new BatchPolicy();
    drive(policy, 7, (size) => (size === 1 ? 1 : 0.05));
    const sizes = drive(policy, 64, (size) => (size === 1 ? 1 : 0.05));
    // Two probes, each a stretch of four single items.
    expect(sizes.filter((size) => size === 1)).toHaveLength(8);
    expect(sizes.join(',')).toContain('1,1,1,1');
    expect(policy.mayWait()).toBe(true);
  });

  it('runs items one by one when batching does not pay, and probes a small batch now and then', () => {
    const policy = new BatchPolicy();
    drive(policy, 7, () => 1);
    expect(policy.batchingPays).toBe(false);
    expect(policy.mayWait()).toBe(false);
    expect(policy.unbounded).toBe(true);
    const sizes = drive(policy, 512, () => 1, 16, 16);
    expect(sizes.filter((size) => size > 1)).toEqual([8, 8]);
    expect(policy.batchingPays).toBe(false);
    // A probe that comes due while items go one at a time waits until two are queued.
    const lone = drive(policy, 300, () => 1, 1, 16);
    expect(lone.every((size) => size === 1)).toBe(true);
    expect(policy.nextRunSize(5, 16)).toBe(5);
  });

  it('is not swayed by one stalled run', () => {
    const policy = new BatchPolicy();
    drive(policy, 8, () => 1);
    let stalled = false;
    // One single-item run stalls 50x (the OS scheduled something else): batching still does not pay.
    drive(policy, 40, (size) => {
      if (size === 1 && !stalled) {
        stalled = true;
        return 50;
      }
      return 1;
    });
    expect(policy.batchingPays).toBe(false);
  });

  it('comes back to batching when the probes show it pays again', () => {
    const policy = new BatchPolicy();
    drive(policy, 7, () => 1);
    expect(policy.batchingPays).toBe(false);
    let runs = 0;
    while (!policy.batchingPays && runs < 1000) {
      drive(policy, 1, (size) => (size === 1 ? 1 : 0.1), 16, 16);
      runs++;
    }
    expect(policy.batchingPays).toBe(true);
  });

  it('stops waiting for companions that do not come, with a growing backoff', () => {
    const policy = new BatchPolicy();
    drive(policy, 7, (size) => (size === 1 ? 1 : 0.1));
    expect(policy.mayWait()).toBe(true);
    policy.observeWait(1);
    let runs = 0;
    while (!policy.mayWait()) {
      policy.observeRun(1, 1);
      runs++;
    }
    expect(runs).toBe(16);
    policy.observeWait(1);
    runs = 0;
    while (!policy.mayWait()) {
      policy.observeRun(8, 0.8);
      runs++;
    }
    expect(runs).toBe(32);
    policy.observeWait(5);
    expect(policy.mayWait()).toBe(true);
  });

  it('always batches when not adaptive', () => {
    const policy = new BatchPolicy(false);
    drive(policy, 10, () => 1, 16, 8);
    expect(policy.nextRunSize(16, 8)).toBe(8);
    expect(policy.mayWait()).toBe(true);
  });
});
