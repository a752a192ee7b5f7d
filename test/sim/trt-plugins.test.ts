// TensorRT's standard plugins: tensorrt-node loads libnvinfer_plugin and registers its plugins
// (initLibNvInferPlugins) once, before the first runtime or builder, so ONNX models and plans with
// plugin layers build and load. The simulated libnvinfer_plugin registers SimLeakyRelu_TRT only
// when that call is made. Without the library, a plan that needs a plugin is refused with an
// error that names the plugin and the missing library (not as corrupt).
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { backends } from '../../lib/backends/availability.js';
import { simBindingPath } from '../../lib/binding.js';
import { ErrorCode } from '../../lib/errors.js';
import { buildModel } from '../../lib/onnx/index.js';
import { buildEngine } from '../../lib/tensorrt/builder.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { randomArray } from '../fixtures/trt-models.js';

/** x[2, 5] -> SimLeakyRelu_TRT (alpha 0.25) -> y: an op only the plugin library provides. */
function pluginModel(): Uint8Array {
  return buildModel({
    name: 'plugin',
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 5] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [2, 5] }],
    nodes: [{ op: 'SimLeakyRelu_TRT', inputs: ['x'], outputs: ['y'], attributes: { alpha: 0.25 } }],
  });
}

describe('standard plugins', () => {
  it('are registered before the first builder and runtime, so a model and plan with a plugin layer build, load and run', async () => {
    const plan = await buildEngine(pluginModel());
    const engine = await Engine.load(plan);
    const context = engine.createContext();
    const x = randomArray(10, 3);
    const [y] = await context.run([{ name: 'x', data: x, dims: [2, 5] }], [{ name: 'y' }], 0);
    expect(y?.dims).toEqual([2, 5]);
    expect(Array.from(new Float32Array(y?.data as ArrayBuffer))).toEqual(Array.from(x, (v) => Math.fround(v >= 0 ? v : v * 0.25)));
    context.dispose();
    engine.dispose();

    const report = await backends();
    expect(report.tensorrt.plugins).toEqual({ available: true });
    expect(report.tensorrt.library.plugins.library).toMatch(/libnvinfer_plugin\.so\.11$/);
  });

  it('missing: a plan that needs one is refused as incompatible, naming the plugin and the missing library', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trtn-plugins-'));
    try {
      const planPath = join(dir, 'plugin.plan');
      writeFileSync(planPath, await buildEngine(pluginModel()));
      const onnxPath = join(dir, 'plugin.onnx');
      writeFileSync(onnxPath, pluginModel());
      const script = fileURLToPath(new URL('./fixtures/tensorrt-library.cjs', import.meta.url));
      const missing = join(dir, 'no-such-folder', 'libnvinfer_plugin.so.11');
      const report = JSON.parse(
        execFileSync(process.execPath, [script, simBindingPath(), planPath, onnxPath], {
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, TENSORRT_NODE_NVINFER_PLUGIN: missing },
        }),
      );
      expect(report.info.available).toBe(true);
      expect(report.info.plugins.available).toBe(false);
      expect(report.info.plugins.reason).toContain(`TENSORRT_NODE_NVINFER_PLUGIN=${missing}`);
      expect(report.load).toMatchObject({ ok: false, code: ErrorCode.ENGINE_INCOMPATIBLE });
      expect(report.load.message).toContain('The plan uses the TensorRT plugin SimLeakyRelu_TRT (version 1), which is not registered');
      expect(report.load.message).toContain("TensorRT's plugin library was not found");
      expect(report.load.details).toContain('IPluginCreator not found in Plugin Registry');
      // The parser cannot import the op as a plugin either.
      expect(report.build).toMatchObject({ ok: false, code: ErrorCode.BUILD_FAILED });
      expect(report.build.details).toContain('no importer registered for op: SimLeakyRelu_TRT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
