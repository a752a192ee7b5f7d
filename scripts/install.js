// The package's install step. It never fails: the CPU backend works without the native addon.
//   1. a prebuilt or already built addon that loads -> done
//   2. else a CUDA toolkit is found -> build from source with cmake-js
//   3. else -> skip, with a one-line note
// TENSORRT_NODE_SKIP_NATIVE=1 skips the native build altogether.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findCmakeJs, findNvcc } from './native-toolchain.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const note = (message) => console.log(`tensorrt-node: ${message}`);

function existingAddonLoads() {
  try {
    const nodeGypBuild = require('node-gyp-build');
    require(nodeGypBuild.path(root));
    return true;
  } catch {
    return false;
  }
}

function main() {
  if (process.env.TENSORRT_NODE_SKIP_NATIVE === '1') {
    note('native addon skipped (TENSORRT_NODE_SKIP_NATIVE=1); the CPU backend (ONNX Runtime) is available.');
    return;
  }
  if (existingAddonLoads()) {
    note('native addon ready.');
    return;
  }
  const nvcc = findNvcc();
  if (nvcc === undefined) {
    note('no CUDA toolkit (nvcc) found, native addon not built; the CPU backend (ONNX Runtime) is available.');
    return;
  }
  const cmakeJs = findCmakeJs();
  if (cmakeJs === undefined) {
    note('cmake-js is missing, native addon not built; the CPU backend (ONNX Runtime) is available.');
    return;
  }
  note(`building the native addon with the CUDA toolkit at ${dirname(dirname(nvcc))}...`);
  const build = spawnSync(process.execPath, [cmakeJs, 'build', '--directory', root, '--out', join(root, 'build')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0 || !existingAddonLoads()) {
    note('building the native addon failed (see above); the CPU backend (ONNX Runtime) is available. Retry with `npm run build:native`.');
    return;
  }
  note('native addon built.');
}

try {
  main();
} catch (error) {
  note(`native addon setup failed (${error instanceof Error ? error.message : String(error)}); the CPU backend is available.`);
}
