// Before `npm test`: builds the simulator addon (build-sim/Release) when it is missing or older
// than any native source or build file. An up-to-date build costs one file-tree scan.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findCmakeJs, findNvcc } from './native-toolchain.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = [join(root, 'build-sim', 'Release', 'tensorrt_node.node'), join(root, 'build-sim', 'Release', 'libtrtn_cudart_sim.so')];

function newestInput() {
  let newest = statSync(join(root, 'CMakeLists.txt')).mtimeMs;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  visit(join(root, 'native'));
  return newest;
}

const oldestOutput = Math.min(...outputs.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
if (oldestOutput >= newestInput()) process.exit(0);

if (findNvcc() === undefined) {
  // The simulator compiles against CUDA's own headers; without a toolkit the sim tier is skipped (vitest.config.ts).
  console.log(
    'tensorrt-node: no CUDA toolkit (nvcc) found; the simulator tests (test/sim) are skipped. Install the CUDA toolkit to run them.',
  );
  process.exit(0);
}

const cmakeJs = findCmakeJs();
if (cmakeJs === undefined) {
  console.error('tensorrt-node: cmake-js is missing; run `npm install` before `npm test`.');
  process.exit(1);
}
console.log('tensorrt-node: building the simulator addon (build-sim/Release) for the tests...');
const build = spawnSync(
  process.execPath,
  [cmakeJs, 'build', '--directory', root, '--out', join(root, 'build-sim'), '--CDTRTN_SIMULATOR=ON', '--CDTRTN_WERROR=ON'],
  { cwd: root, stdio: 'inherit' },
);
process.exit(build.status ?? 1);
