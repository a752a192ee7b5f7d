import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './cli-helper.js';

const require = createRequire(import.meta.url);
const ourVersion = (require('../../package.json') as { version: string }).version;
const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;

beforeAll(ensureBuilt);

describe('tensorrt-node info', () => {
  it('prints versions, backend availability with reasons, and devices', async () => {
    const result = await runCli(['info']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`tensorrt-node ${ourVersion}\n`);
    expect(result.stdout).toContain(`node ${process.version} (${process.platform} ${process.arch}`);
    expect(result.stdout).toMatch(new RegExp(`cpu +available +onnxruntime-node ${ortVersion.replace(/\./g, '\\.')}\\n`));
    expect(result.stdout).toMatch(/tensorrt +unavailable +\S.+\n/);
    expect(result.stdout).toMatch(/devices:\n {2}none \(.+\)/);
  });

  it('--json gives the same report as data', async () => {
    const result = await runCli(['info', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.package).toEqual({ name: 'tensorrt-node', version: ourVersion });
    expect(report.node.version).toBe(process.version);
    expect(report.backends.cpu).toEqual({ available: true, version: ortVersion });
    expect(report.backends.tensorrt.available).toBe(false);
    expect(report.backends.tensorrt.reason).toEqual(expect.any(String));
    expect(report.devices.devices).toEqual([]);
    expect(report.devices.reason).toEqual(expect.any(String));
  });
});
