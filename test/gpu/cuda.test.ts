// The CUDA layer on a real GPU with the real build (scripts/gpu-check.sh). Skipped without one.
import '../shared/use-release.js';

import { execFileSync } from 'node:child_process';

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

  // What the driver's own tool says about each GPU: name, compute capability and UUID (its index order may differ from CUDA's).
  defineCudaSuite(() =>
    execFileSync('nvidia-smi', ['--query-gpu=name,compute_cap,uuid', '--format=csv,noheader'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => {
        const [name = '', capability = '', uuid = ''] = line.split(',').map((field) => field.trim());
        const [major = '', minor = ''] = capability.split('.');
        return {
          name,
          computeCapability: { major: Number(major), minor: Number(minor) },
          uuid: uuid.replace(/^GPU-/, '').replace(/-/g, ''),
        };
      }),
  );
});
