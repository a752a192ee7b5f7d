// Shared by the install and build helper scripts: where the CUDA toolkit and cmake-js are.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The nvcc of a CUDA toolkit, from PATH, CUDA_PATH or /usr/local/cuda; undefined without one. */
export function findNvcc() {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(process.env.CUDA_PATH ?? '/usr/local/cuda', 'bin')].filter(Boolean);
  return dirs.map((dir) => join(dir, 'nvcc')).find((file) => existsSync(file));
}

/** The cmake-js command line entry, or undefined when the dependency is missing. */
export function findCmakeJs() {
  try {
    return require.resolve('cmake-js/bin/cmake-js');
  } catch {
    return undefined;
  }
}
