// The simulator build's allocator hooks, which the soak uses to tell a leak (live malloc bytes
// grow) from malloc keeping pages it freed (RSS grows alone).
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { requireBinding } from '../../lib/binding.js';

const onGlibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined;

describe.runIf(onGlibc)('testing.heapStats and testing.releaseFreeHeap', () => {
  it('counts a live allocation in the bytes in use and in the bytes held', () => {
    const testing = requireBinding('sim').testing;
    if (testing === undefined) throw new Error('the simulator build has no testing hooks');
    const before = testing.heapStats();
    if (before === undefined) throw new Error('heapStats() reported nothing on glibc');
    const live = Buffer.alloc(16 << 20, 1); // malloc'd by Node's array buffer allocator
    const during = testing.heapStats();
    if (during === undefined) throw new Error('heapStats() reported nothing on glibc');
    expect(during.inUse - before.inUse).toBeGreaterThanOrEqual(16 << 20);
    expect(during.held).toBeGreaterThanOrEqual(during.inUse);
    expect(live[live.length - 1]).toBe(1);
    expect(typeof testing.releaseFreeHeap()).toBe('boolean');
  });
});
