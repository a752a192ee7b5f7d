import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // GC tests of native finalizers call globalThis.gc().
    execArgv: ['--expose-gc'],
  },
});
