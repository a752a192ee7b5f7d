// The CUDA layer on a real GPU with the real build (scripts/gpu-check.sh). Skipped without one.
import '../shared/use-release.js';

import { describe, expect, it } from 'vitest';

import { loadBinding } from '../../lib/binding.js';
import { cudaInfo } from '../../lib/index.js';
import { defineCudaSuite } from '../shared/cuda-suite.js';

const load = loadBinding('release');
const gpu = load.ok && load.binding.cudaInfo().available;

describe.skipIf(!gpu)('CUDA on a real GPU', () => {
  it('reports the device, runtime and driver', () => {
    const info = cudaInfo();
    expect(info).toMatchObject({ available: true, simulator: false });
    expect(info.devices.length).toBeGreaterThan(0);
    console.log(JSON.stringify(info, null, 2));
  });

  defineCudaSuite();
});
