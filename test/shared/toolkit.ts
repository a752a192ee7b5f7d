import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when a CUDA toolkit (nvcc) is installed: then the install step must have built the real addon. */
export function hasCudaToolkit(): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(process.env.CUDA_PATH ?? '/usr/local/cuda', 'bin')];
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, 'nvcc')));
}
