/**
 * The operator-level INT8 form (QLinearConv / QLinearMatMul) and the 'cpu' target's timed choice
 * between it and QDQ: the rewrite's structure, its numerics on ONNX Runtime against the QDQ model,
 * what it leaves alone, and the report of the choice (never its times).
 */
import { describe, expect, test } from 'vitest';
import { isTensorRTNodeError } from '../../../lib/errors.js';
import { buildModel } from '../../../lib/onnx/builder.js';
import { initializerMap } from '../../../lib/onnx/graph.js';
import { decodeModel, encodeModel } from '../../../lib/onnx/model-io.js';
import { readTensor } from '../../../lib/onnx/tensor-data.js';
import { qdqToQOperator } from '../../../lib/optimize/int8/qoperator.js';
import { quantizeInt8 } from '../../../lib/optimize/quantize.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyConvNet, tinyQdqModel } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';
import { cosine, opTypes, runModel } from './helpers.js';

function images(count: number, seed: number): Record<string, Tensor>[] {
  return Array.from({ length: count }, (_, i) => ({ image: new Tensor('float32', randomFloats(3 * 8 * 8, seed + i), [1, 3, 8, 8]) }));
}

const image = (seed: number) => ({ image: { type: 'float32' as const, data: randomFloats(3 * 8 * 8, seed), dims: [1, 3, 8, 8] } });

/** x -> Q/DQ -> Conv (int8 per-channel weight, float bias) -> Q/DQ -> y: the bias must be made int32 by the rewrite. */
function qdqConvWithFloatBias(): Uint8Array {
  const weights = Int8Array.from(randomFloats(2 * 3 * 9, 41), (v) => Math.round(v * 127));
  return buildModel({
    opset: 13,
    inputs: [{ name: 'image', dtype: 'float32', dims: [1, 3, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2, 8, 8] }],
    initializers: [
      { name: 'x.scale', dtype: 'float32', dims: [], data: [2 / 255] },
      { name: 'x.zp', dtype: 'uint8', dims: [], data: [128] },
      { name: 'w.q', dtype: 'int8', dims: [2, 3, 3, 3], data: weights },
      { name: 'w.scale', dtype: 'float32', dims: [2], data: [0.01, 0.02] },
      { name: 'w.zp', dtype: 'int8', dims: [2], data: [0, 0] },
      { name: 'b', dtype: 'float32', dims: [2], data: [0.3, -0.2] },
      { name: 'y.scale', dtype: 'float32', dims: [], data: [0.05] },
      { name: 'y.zp', dtype: 'uint8', dims: [], data: [100] },
    ],
    nodes: [
      { op: 'QuantizeLinear', inputs: ['image', 'x.scale', 'x.zp'], outputs: ['x.q'] },
      { op: 'DequantizeLinear', inputs: ['x.q', 'x.scale', 'x.zp'], outputs: ['x.dq'] },
      { op: 'DequantizeLinear', inputs: ['w.q', 'w.scale', 'w.zp'], outputs: ['w.dq'], attributes: { axis: 0 } },
      { op: 'Conv', inputs: ['x.dq', 'w.dq', 'b'], outputs: ['c'], name: 'conv', attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { op: 'QuantizeLinear', inputs: ['c', 'y.scale', 'y.zp'], outputs: ['c.q'] },
      { op: 'DequantizeLinear', inputs: ['c.q', 'y.scale', 'y.zp'], outputs: ['y'] },
    ],
  });
}

describe('QDQ to operator-level INT8', () => {
  test('a Conv between Q/DQ pairs becomes one QLinearConv with an int32 bias at x_scale * w_scale, and computes the same', async () => {
    const qdq = qdqConvWithFloatBias();
    const proto = decodeModel(qdq);
    const stats = qdqToQOperator(proto.graph!);
    expect(stats).toEqual({ converted: { QLinearConv: 1 }, kept: [] });
    const graph = proto.graph!;
    expect(opTypes(graph)).toEqual(['QuantizeLinear', 'QLinearConv', 'DequantizeLinear']);
    const conv = graph.node.find((node) => node.opType === 'QLinearConv')!;
    expect(conv.input.slice(0, 8)).toEqual(['x.q', 'x.scale', 'x.zp', 'w.q', 'w.scale', 'w.zp', 'y.scale', 'y.zp']);
    expect(conv.attribute.map((a) => a.name).sort()).toEqual(['kernel_shape', 'pads']);
    const bias = readTensor(initializerMap(graph).get(conv.input[8])!);
    expect(bias.dtype).toBe('int32');
    expect([...bias.data]).toEqual([Math.round(0.3 / ((2 / 255) * 0.01)), Math.round(-0.2 / ((2 / 255) * 0.02))]);
    // The float weights' DequantizeLinear is gone with its only reader.
    expect(graph.node.some((node) => node.output[0] === 'w.dq')).toBe(false);
    for (const seed of [1, 2, 3]) {
      const [a, b] = [(await runModel(qdq, image(seed))).y, (await runModel(encodeModel(proto), image(seed))).y];
      // Both requantize to the same grid; at most a rounding step apart.
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(0.05 + 1e-6);
      expect(cosine(a, b)).toBeGreaterThan(0.9999);
    }
  });

  test('a MatMul whose output is a float graph output stays in QDQ form, with the reason', () => {
    const proto = decodeModel(tinyQdqModel());
    const before = opTypes(proto.graph!);
    const stats = qdqToQOperator(proto.graph!);
    expect(stats.converted).toEqual({});
    const matmul = proto.graph!.node.find((node) => node.opType === 'MatMul')!;
    expect(stats.kept).toEqual([{ node: matmul.name, reason: 'output is not quantized' }]);
    expect(opTypes(proto.graph!)).toEqual(before);
  });
});

describe("quantizeInt8's format for the cpu target", () => {
  test("format 'qoperator': QLinearConv for both convolutions, the Gemm into the graph output in QDQ; agrees with the QDQ model", async () => {
    const calibration = images(8, 200);
    const options = { calibration, target: 'cpu' as const, method: 'percentile' as const, keepFloatLayers: 0, timingRounds: 1 };
    const qdq = await quantizeInt8(tinyConvNet(), { ...options, format: 'qdq' });
    const qop = await quantizeInt8(tinyConvNet(), { ...options, format: 'qoperator' });
    expect(qdq.report.format).toBe('qdq');
    expect(opTypes(decodeModel(qdq.model).graph!)).not.toContain('QLinearConv');
    expect(qop.report.format).toBe('qoperator');
    const ops = opTypes(decodeModel(qop.model).graph!);
    expect(ops.filter((op) => op === 'QLinearConv')).toHaveLength(2);
    expect(ops).toContain('Gemm');
    expect(qop.report.cpu).toMatchObject({ chosen: 'qoperator', automatic: false, qoperator: { converted: { QLinearConv: 2 } } });
    expect(qop.report.cpu!.formats.map((f) => f.format)).toEqual(['qoperator']);
    for (const seed of [950, 951, 952]) {
      const [a, b] = [(await runModel(qdq.model, image(seed))).scores, (await runModel(qop.model, image(seed))).scores];
      expect(cosine(a, b)).toBeGreaterThan(0.999);
    }
  });

  test("format 'auto' times float, QDQ and operator-level forms and keeps the faster; the report records the choice", async () => {
    const { model, report } = await quantizeInt8(tinyConvNet(), {
      calibration: images(8, 300),
      target: 'cpu',
      method: 'percentile',
      keepFloatLayers: 0,
      timingRounds: 2,
    });
    const cpu = report.cpu!;
    expect(cpu.automatic).toBe(true);
    expect(cpu.formats.map((f) => f.format)).toEqual(['qdq', 'qoperator']);
    for (const f of cpu.formats) {
      expect(f.ms).toBeGreaterThan(0);
      expect(f.ratio).toBeCloseTo(f.ms / cpu.floatMs, 10);
    }
    const fastest = cpu.formats.reduce((a, b) => (b.ms < a.ms ? b : a));
    expect(cpu.chosen).toBe(fastest.format);
    expect(cpu.ratio).toBe(fastest.ratio);
    expect(cpu.int8Pays).toBe(fastest.ratio < 1);
    expect(cpu.runsPerModel).toBe(2 * cpu.samples);
    expect(report.format).toBe(cpu.chosen);
    expect(opTypes(decodeModel(model).graph!).includes('QLinearConv')).toBe(cpu.chosen === 'qoperator');
    expect(report.outputBytes).toBe(model.byteLength);
  });

  test('the tensorrt target writes QDQ without timing, and refuses the operator-level form', async () => {
    const { report } = await quantizeInt8(tinyConvNet(), { calibration: images(4, 400), method: 'minmax', keepFloatLayers: 0 });
    expect(report.format).toBe('qdq');
    expect(report.cpu).toBeUndefined();
    const error = await quantizeInt8(tinyConvNet(), { calibration: images(1, 1), format: 'qoperator' }).catch((e: unknown) => e);
    expect(isTensorRTNodeError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(
      /^Expected 'qdq' or 'auto' with target 'tensorrt' .* for options\.format but received "qoperator"/,
    );
    const bad = await quantizeInt8(tinyConvNet(), { calibration: images(1, 1), target: 'cpu', format: 'qlinear' as never }).catch(
      (e: unknown) => e,
    );
    expect(isTensorRTNodeError(bad, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect((bad as Error).message).toMatch(/options\.format/);
  });
});
