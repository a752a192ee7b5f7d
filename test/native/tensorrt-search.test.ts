// Where the real build looks for TensorRT. On a machine without TensorRT the loader's reason must
// list every place it looked in (the dynamic linker's path, the .deb and tar install folders,
// TENSORRT_ROOT) and how to point it at TensorRT from pip. The loader runs once per process, so
// the search happens in a child process with a known environment.
import '../shared/use-release.js';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { loadBinding } from '../../lib/binding.js';

const load = loadBinding('release');
const tensorrtHere = load.ok && load.binding.tensorrtInfo().available;

describe.skipIf(!load.ok || tensorrtHere)('TensorRT search of the real build', () => {
  it('lists every place it looked and how to point it at TensorRT', () => {
    const root = mkdtempSync(join(tmpdir(), 'trtn-root-'));
    try {
      const script = fileURLToPath(new URL('../sim/fixtures/tensorrt-library.cjs', import.meta.url));
      const env: Record<string, string | undefined> = { ...process.env, TENSORRT_ROOT: root, LD_LIBRARY_PATH: '/nowhere/lib' };
      delete env.TENSORRT_NODE_NVINFER;
      const report = JSON.parse(execFileSync(process.execPath, [script, load.ok ? load.path : ''], { encoding: 'utf8', env })) as {
        info: { available: boolean; reason: string };
      };
      expect(report.info.available).toBe(false);
      const reason = report.info.reason;
      expect(reason).toMatch(/looked for libnvinfer\.so\.1[01] or libnvinfer\.so\.1[01] in: TENSORRT_NODE_NVINFER \(not set\), /);
      expect(reason).toContain("the dynamic linker's search path (LD_LIBRARY_PATH=/nowhere/lib, /etc/ld.so.cache, /lib, /usr/lib)");
      if (process.arch === 'x64') expect(reason).toContain('/usr/lib/x86_64-linux-gnu');
      for (const folder of [join(root, 'lib'), '/usr/local/tensorrt/lib', '/opt/tensorrt/lib']) expect(reason).toContain(folder);
      expect(reason).toMatch(/\/usr\/local\/TensorRT-[^,]*\/lib/);
      expect(reason).toContain('the tensorrt_libs folder in site-packages');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
