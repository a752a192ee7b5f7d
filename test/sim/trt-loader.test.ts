// The TensorRT loader: which libraries it accepts (a library minor at least the headers' within
// their major; a runtime without a builder), what it reports (the ONNX parser's release, not its
// API's 0.1.0) and where it looks (a folder named by TENSORRT_NODE_NVINFER, as for TensorRT from
// pip; every place listed when nothing is found). The loader runs once per process, so each
// environment gets a child process.
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { simBindingPath } from '../../lib/binding.js';
import { ErrorCode } from '../../lib/errors.js';
import { tensorrtLibraryInfo } from '../../lib/tensorrt/info.js';
import { mlp, staticTanh } from '../fixtures/trt-models.js';
import { planFor } from './trt-helpers.js';

const simDir = dirname(simBindingPath());
const script = fileURLToPath(new URL('./fixtures/tensorrt-library.cjs', import.meta.url));
let dir: string;
let planPath: string;
let onnxPath: string;

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  details?: string;
}
interface Report {
  info: {
    available: boolean;
    library?: string;
    version?: number;
    reason?: string;
    builder: { available: boolean; reason?: string };
    parser: { available: boolean; library?: string; version?: number };
    plugins: { available: boolean; library?: string };
  };
  load: Outcome;
  build: Outcome;
}

function inChild(env: Record<string, string>): Report {
  const output = execFileSync(process.execPath, [script, simBindingPath(), planPath, onnxPath], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return JSON.parse(output) as Report;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trtn-loader-'));
  planPath = join(dir, 'mlp.plan');
  writeFileSync(planPath, await planFor(mlp()));
  onnxPath = join(dir, 'tanh.onnx');
  writeFileSync(onnxPath, staticTanh().bytes);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('TensorRT loader', () => {
  it('reports the ONNX parser’s release from its library, not the parser API’s own version', () => {
    const info = tensorrtLibraryInfo();
    expect(info.version).toBe('11.1.0');
    expect(info.builder.available).toBe(true);
    expect(info.parser).toMatchObject({ available: true, version: '11.1.0' });
  });

  it('runs plans with a runtime library that has no builder, and says building needs the full library', () => {
    const report = inChild({ TENSORRT_NODE_NVINFER: join(simDir, 'libnvinfer_lean.so.11') });
    expect(report.info.available).toBe(true);
    expect(report.info.builder.available).toBe(false);
    expect(report.info.builder.reason).toMatch(/libnvinfer_lean\.so\.11 has no builder .*createInferBuilder_INTERNAL/);
    expect(report.load).toMatchObject({ ok: true, layers: 3 });
    expect(report.build).toMatchObject({ ok: false, code: ErrorCode.BACKEND_UNAVAILABLE });
    expect(report.build.message).toContain('The TensorRT builder is not available');
  });

  it('refuses a library older than the headers within their major version', () => {
    const report = inChild({ TENSORRT_NODE_SIM_TENSORRT_VERSION: '11.0.0' });
    expect(report.info.available).toBe(false);
    expect(report.info.reason).toContain('compiled against TensorRT 11.1 headers but loaded TensorRT 11.0.0');
    expect(report.load).toMatchObject({ ok: false, code: ErrorCode.BACKEND_UNAVAILABLE });
    expect(report.build).toMatchObject({ ok: false, code: ErrorCode.BACKEND_UNAVAILABLE });
  });

  it('accepts a newer minor, which then refuses plans of the older release itself', () => {
    const report = inChild({ TENSORRT_NODE_SIM_TENSORRT_VERSION: '11.2.0' });
    expect(report.info).toMatchObject({ available: true, version: 110200 });
    expect(report.load).toMatchObject({ ok: false, code: ErrorCode.ENGINE_INCOMPATIBLE });
    expect(report.load.message).toContain('built with TensorRT 11.1.0 but the loaded TensorRT library is 11.2.0');
    expect(report.build).toMatchObject({ ok: true });
  });

  it('loads TensorRT, its parser and plugins from a folder named by TENSORRT_NODE_NVINFER (a pip tensorrt_libs folder)', () => {
    const libs = join(dir, 'site-packages', 'tensorrt_libs');
    mkdirSync(libs, { recursive: true });
    for (const name of ['libnvinfer.so.11', 'libnvonnxparser.so.11', 'libnvinfer_plugin.so.11'])
      symlinkSync(join(simDir, name), join(libs, name));
    const report = inChild({ TENSORRT_NODE_NVINFER: libs });
    expect(report.info.library).toBe(join(libs, 'libnvinfer.so.11'));
    expect(report.info.parser.library).toBe(join(libs, 'libnvonnxparser.so.11'));
    expect(report.info.plugins.library).toBe(join(libs, 'libnvinfer_plugin.so.11'));
    expect(report.load).toMatchObject({ ok: true });
  });

  it('lists every place it looked when TensorRT is not found', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const report = inChild({ TENSORRT_NODE_NVINFER: empty });
    expect(report.info.available).toBe(false);
    expect(report.info.reason).toContain(`looked for libnvinfer.so.11 or libnvinfer.so.10 in: ${empty}`);
    expect(report.info.reason).toContain('Set TENSORRT_NODE_NVINFER to the library or its folder');
    expect(report.load).toMatchObject({ ok: false, code: ErrorCode.BACKEND_UNAVAILABLE });
    expect(report.load.message).toContain(`looked for libnvinfer.so.11 or libnvinfer.so.10 in: ${empty}`);
  });
});
