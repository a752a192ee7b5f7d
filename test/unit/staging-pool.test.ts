import { describe, expect, it } from 'vitest';
import { StagingPool } from '../../lib/backends/staging-pool.js';

describe('StagingPool', () => {
  it('copies data into a buffer listed for transfer, of the same type, leaving the source alone', () => {
    const pool = new StagingPool();
    const source = new BigInt64Array([1n, -2n, 3n]);
    const transfer: ArrayBuffer[] = [];
    const staged = pool.stage(source, transfer);
    expect(staged).toBeInstanceOf(BigInt64Array);
    expect([...staged]).toEqual([1n, -2n, 3n]);
    expect(transfer).toEqual([staged.buffer]);
    expect(staged.buffer).not.toBe(source.buffer);
    staged[0] = 9n;
    expect(source[0]).toBe(1n);
  });

  it('copies only the bytes of a view into a larger buffer', () => {
    const backing = new Float32Array([0, 1, 2, 3, 4, 5]);
    const staged = new StagingPool().stage(backing.subarray(2, 5), []);
    expect(staged.buffer.byteLength).toBe(12);
    expect([...staged]).toEqual([2, 3, 4]);
  });

  it('reuses buffers given back, by size, and keeps at most four of a size', () => {
    const pool = new StagingPool();
    const buffers = Array.from({ length: 6 }, () => new ArrayBuffer(8));
    pool.release(buffers);
    const reused = new Set<ArrayBuffer>();
    for (let i = 0; i < 5; i++) {
      const transfer: ArrayBuffer[] = [];
      pool.stage(new Float64Array([i]), transfer);
      reused.add(transfer[0]);
    }
    expect([...reused].filter((buffer) => buffers.includes(buffer))).toHaveLength(4);
    const other: ArrayBuffer[] = [];
    pool.stage(new Float32Array([1]), other);
    expect(buffers).not.toContain(other[0]);
  });
});
