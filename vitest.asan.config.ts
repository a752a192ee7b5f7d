// scripts/asan.sh: the sim tests in worker threads of one process, so the process exits normally
// and LeakSanitizer's exit-time check covers every environment the addon ran in (vitest's forks
// are killed at the end, which would skip the check). gc() comes from `node --expose-gc`, which
// worker threads cannot take as execArgv.
import { defineConfig } from 'vitest/config';

import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    pool: 'threads',
    execArgv: [],
    // AddressSanitizer replaces malloc, so glibc's own heap counters (testing.heapStats) see none
    // of it, and the malloc counter a test preloads cannot replace libasan's preload.
    exclude: [...(base.test?.exclude ?? []), 'test/sim/heap-stats.test.ts', 'test/sim/run-allocations.test.ts'],
  },
});
