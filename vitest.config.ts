import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { findNvcc } from './scripts/native-toolchain.js';

// The simulator tier needs the sim addon, which `npm test` builds first (scripts/ensure-sim.js) when a
// CUDA toolkit is present. Without a toolkit and without a build, that tier is skipped, not failed.
const simAvailable = existsSync('build-sim/Release/tensorrt_node.node') || findNvcc() !== undefined;
if (!simAvailable) console.warn('tensorrt-node: skipping test/sim (no CUDA toolkit to build the simulator addon)');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(simAvailable ? [] : ['test/sim/**'])],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // GC tests of native finalizers call globalThis.gc().
    execArgv: ['--expose-gc'],
  },
});
