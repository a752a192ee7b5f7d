import { describe, expect, it } from 'vitest';

import { BatchPolicy } from '../../../lib/serve/batch-policy.js';

describe('BatchPolicy', () => {
  it('keeps batching while a batched item costs clearly less than a single one', () => {
    const policy = new BatchPolicy();
    expect(policy.nextRunSize(64, 64)).toBe(1); // measures a single item first
    policy.observeRun(1, 1.0);
    expect(policy.nextRunSize(64, 64)).toBe(64);
    policy.observeRun(64, 64 * 0.05);
    expect(policy.batchingPays).toBe(true);
    expect(policy.mayWait()).toBe(true);
  });

  it('runs items one by one when batching does not pay, and probes a batch now and then', () => {
    const policy = new BatchPolicy();
    policy.observeRun(1, 1.0);
    policy.observeRun(16, 16 * 1.0);
    expect(policy.batchingPays).toBe(false);
    expect(policy.mayWait()).toBe(false);
    const sizes: number[] = [];
    for (let i = 0; i < 64; i++) {
      const size = policy.nextRunSize(16, 16);
      sizes.push(size);
      policy.observeRun(size, size * 1.0);
    }
    expect(sizes.filter((size) => size > 1).length).toBe(2);
    expect(policy.batchingPays).toBe(false);
  });

  it('comes back to batching when the probes show it pays again', () => {
    const policy = new BatchPolicy();
    policy.observeRun(1, 1.0);
    policy.observeRun(16, 16);
    for (let i = 0; i < 400 && !policy.batchingPays; i++) {
      const size = policy.nextRunSize(16, 16);
      policy.observeRun(size, size === 1 ? 1.0 : size * 0.1);
    }
    expect(policy.batchingPays).toBe(true);
  });

  it('stops waiting for companions that do not come, with a growing backoff', () => {
    const policy = new BatchPolicy();
    policy.observeRun(1, 1);
    policy.observeRun(8, 1);
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
      policy.observeRun(1, 1);
      runs++;
    }
    expect(runs).toBe(32);
    policy.observeWait(5);
    expect(policy.mayWait()).toBe(true);
  });

  it('always batches when not adaptive', () => {
    const policy = new BatchPolicy(false);
    policy.observeRun(1, 1);
    policy.observeRun(16, 16);
    expect(policy.nextRunSize(16, 8)).toBe(8);
    expect(policy.mayWait()).toBe(true);
  });
});
