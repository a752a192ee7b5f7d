import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { loadBinding } from '../../lib/binding.js';
import { backends, cudaInfo } from '../../lib/index.js';
import { defineCudaSuite } from '../shared/cuda-suite.js';

describe('simulator build', () => {
  it('loads the simulator addon and reports CUDA as available', () => {
    const load = loadBinding();
    expect(load.ok, load.ok ? '' : load.reason).toBe(true);
    const info = cudaInfo();
    expect(info).toMatchObject({ available: true, simulator: true, runtimeVersion: '13.0', driverVersion: '13.0' });
    expect(info.devices[0]?.name).toBe('tensorrt-node simulated GPU 0');
  });

  it('explains in backends() why TensorRT is unavailable and that the CPU backend works', async () => {
    const report = await backends();
    expect(report.cuda.available).toBe(true);
    expect(report.cpu).toMatchObject({ available: true, version: '1.30.0' });
    if (!report.tensorrt.library.available) {
      expect(report.tensorrt.available).toBe(false);
      expect(report.tensorrt.reason).toMatch(/^TensorRT is not available: .*looked for libnvinfer\.so\.11 or libnvinfer\.so\.10 in: /);
      expect(report.tensorrt.library.parser.reason).toMatch(/libnvonnxparser\.so\.11/);
    }
  });
});

// The simulator's one device, as native/sim/cuda configures it (4 GiB unless TENSORRT_NODE_SIM_DEVICE_MEMORY says otherwise).
defineCudaSuite(() => [
  {
    index: 0,
    name: 'tensorrt-node simulated GPU 0',
    computeCapability: { major: 8, minor: 9 },
    totalMemory: Number(process.env.TENSORRT_NODE_SIM_DEVICE_MEMORY ?? 4 * 2 ** 30),
    multiProcessorCount: 16,
    uuid: `01${'0'.repeat(30)}`,
  },
]);
