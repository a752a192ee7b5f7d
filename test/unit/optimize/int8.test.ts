/**
 * quantizeInt8 on small built models: the rewrite's structure, its numerics on ONNX Runtime, the
 * calibration methods, and every bad input's code and message.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildModel } from '../../../lib/onnx/builder.js';
import { initializerMap, opsetVersion } from '../../../lib/onnx/graph.js';
import { decodeModel } from '../../../lib/onnx/model-io.js';
import { readTensor } from '../../../lib/onnx/tensor-data.js';
import { StreamingHistogram, asymmetricRange, symmetricRange } from '../../../lib/optimize/int8/histogram.js';
import { quantizeWeightPerChannel } from '../../../lib/optimize/int8/qdq.js';
import { quantizeInt8 } from '../../../lib/optimize/quantize.js';
import { InferenceSession } from '../../../lib/session.js';
import { Tensor } from '../../../lib/tensor.js';
import { encodeNpy as serializeNpy } from '../../../lib/npy.js';
import { tinyConvNet } from '../../fixtures/onnx-models.js';
import { randomFloats, seededRandom } from '../../fixtures/random.js';
import { expectCode } from '../../shared/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-int8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(count: number, seed: number): Record<string, Tensor>[] {
  return Array.from({ length: count }, (_, i) => ({ image: new Tensor('float32', randomFloats(3 * 8 * 8, seed + i), [1, 3, 8, 8]) }));
}

/** The bytes of a model's initializers' data. */
function initializerBytes(model: Uint8Array): number {
  let bytes = 0;
  for (const tensor of initializerMap(decodeModel(model).graph!).values()) bytes += readTensor(tensor).data.byteLength;
  return bytes;
}

async function run(model: Uint8Array, feeds: Record<string, Tensor>[]): Promise<Float32Array[]> {
  const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' });
  try {
    const out: Float32Array[] = [];
    for (const feed of feeds) out.push((await session.run(feed)).scores.data as Float32Array);
    return out;
  } finally {
    await session.dispose();
  }
}

describe('quantizeInt8 on a small conv net', () => {
  test('tensorrt target: per-channel int8 weights, symmetric int8 activations, residual Add branch quantized, close to float', async () => {
    const floatModel = tinyConvNet();
    const held = images(8, 900);
    const { model, report } = await quantizeInt8(floatModel, {
      calibration: images(16, 100),
      method: 'minmax',
      keepFloatLayers: 0,
      evaluation: { feeds: held, latencyRounds: 0 },
    });
    const proto = decodeModel(model);
    const graph = proto.graph!;
    expect(opsetVersion(proto)).toBe(17);
    expect(report).toMatchObject({
      target: 'tensorrt',
      method: 'minmax',
      calibrationSamples: 16,
      quantizableNodes: 3,
      quantizedNodes: 3,
      quantizedWeightFraction: 1,
    });
    const inits = initializerMap(graph);
    // No float weights left for the quantized ops; each reads an int8 tensor through a per-axis DequantizeLinear.
    for (const name of ['conv1.w', 'conv2.w', 'fc.w']) expect(inits.has(name)).toBe(false);
    const conv1w = readTensor(inits.get('conv1.w_quantized')!);
    expect(conv1w.dtype).toBe('int8');
    expect(readTensor(inits.get('conv1.w_scale')!).dims).toEqual([4]);
    const fcDq = graph.node.find((node) => node.output[0] === 'fc.w_dequantized')!;
    expect(Number(fcDq.attribute.find((a) => a.name === 'axis')!.i)).toBe(0); // Gemm transB=1: [N, K]
    // Activations: image, p1 (conv2 input and the Add's residual branch), flat; zero points 0, int8.
    const quantizeNodes = graph.node.filter((node) => node.opType === 'QuantizeLinear');
    expect(quantizeNodes.map((node) => node.input[0]).sort()).toEqual(['flat', 'image', 'p1']);
    for (const q of quantizeNodes) expect(readTensor(inits.get(q.input[2])!)).toMatchObject({ dtype: 'int8', data: Int8Array.of(0) });
    const add = graph.node.find((node) => node.opType === 'Add')!;
    expect(add.input).toContain('p1_dequantized');
    const [a, b] = [await run(floatModel, held), await run(model, held)];
    for (let i = 0; i < held.length; i++) for (let j = 0; j < 5; j++) expect(b[i][j]).toBeCloseTo(a[i][j], 1);
    // Size: the report measures the bytes it wrote, and the weights shrink by exactly what int8 saves.
    expect(report).toMatchObject({ inputBytes: floatModel.byteLength, outputBytes: model.byteLength });
    expect(report.sizeRatio).toBe(model.byteLength / floatModel.byteLength);
    const floatInits = initializerMap(decodeModel(floatModel).graph!);
    const weights = ['conv1.w', 'conv2.w', 'fc.w'].map((name) => readTensor(floatInits.get(name)!));
    const biasBytes = ['conv1.b', 'conv2.b', 'fc.b'].reduce((sum, name) => sum + readTensor(floatInits.get(name)!).data.byteLength, 0);
    // Each weight: one int8 per element, a float32 scale and an int8 zero point per output channel (dim
    // 0 here); biases stay float32; each quantized activation adds one float32 scale and one int8 zero point.
    const expectedBytes = biasBytes + weights.reduce((sum, w) => sum + w.data.length + 5 * w.dims[0], 0) + quantizeNodes.length * (4 + 1);
    expect(initializerBytes(model)).toBe(expectedBytes);
    expect(initializerBytes(model) / initializerBytes(floatModel)).toBeCloseTo(404 / 1140, 12);
    expect(report.quality?.samples).toBe(8);
    expect(report.quality?.outputs[0].cosine.min).toBeGreaterThan(0.99);
  });

  test('cpu target: uint8 activations with zero points, conv outputs quantized, int32 biases', async () => {
    const { model } = await quantizeInt8(tinyConvNet(), {
      calibration: images(8, 200),
      target: 'cpu',
      format: 'qdq',
      method: 'percentile',
      keepFloatLayers: 0,
    });
    const graph = decodeModel(model).graph!;
    const inits = initializerMap(graph);
    const quantized = graph.node.filter((node) => node.opType === 'QuantizeLinear');
    expect(quantized.map((node) => node.input[0])).toEqual(expect.arrayContaining(['image', 'c1', 'c2', 'p1', 'flat']));
    for (const q of quantized) expect(readTensor(inits.get(q.input[2])!).dtype).toBe('uint8');
    const conv1 = graph.node.find((node) => node.output[0] === 'c1')!;
    const biasDq = graph.node.find((node) => node.output[0] === conv1.input[2])!;
    expect(biasDq.opType).toBe('DequantizeLinear');
    expect(readTensor(inits.get(biasDq.input[0])!).dtype).toBe('int32');
    const held = images(4, 950);
    const [a, b] = [await run(tinyConvNet(), held), await run(model, held)];
    for (let i = 0; i < held.length; i++) for (let j = 0; j < 5; j++) expect(b[i][j]).toBeCloseTo(a[i][j], 1);
  });

  test('every method gives a model that runs; exclusions by op type and node name keep those nodes float', async () => {
    for (const method of ['minmax', 'percentile', 'entropy', 'mse'] as const) {
      const { model, report } = await quantizeInt8(tinyConvNet(), { calibration: images(4, 300), method, exclude: { opTypes: ['Gemm'] } });
      expect(report.quantizedNodes).toBe(2);
      expect(report.excludedNodes).toHaveLength(1);
      expect((await run(model, images(1, 1)))[0]).toHaveLength(5);
    }
    const byName = buildModel({
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 3] }],
      initializers: [
        { name: 'w1', dtype: 'float32', dims: [4, 4], data: randomFloats(16, 1) },
        { name: 'w2', dtype: 'float32', dims: [4, 3], data: randomFloats(12, 2) },
      ],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'], name: 'first' },
        { op: 'MatMul', inputs: ['h', 'w2'], outputs: ['y'], name: 'second' },
      ],
    });
    const feeds = [{ x: new Tensor('float32', randomFloats(4, 5), [1, 4]) }];
    const { report } = await quantizeInt8(byName, { calibration: feeds, exclude: { nodes: ['second'] } });
    expect(report.excludedNodes).toEqual(['second']);
    expect(report.quantizedWeightFraction).toBeCloseTo(16 / 28, 6);
  });

  test('calibration from a directory of .npy files, with progress', async () => {
    const calibrationDir = join(dir, 'calib');
    mkdirSync(calibrationDir);
    images(3, 400).forEach((feed, i) => writeFileSync(join(calibrationDir, `${i}.npy`), serializeNpy(feed.image)));
    const progress: string[] = [];
    const { report } = await quantizeInt8(tinyConvNet(), {
      calibration: calibrationDir,
      method: 'percentile',
      keepFloatLayers: 1,
      floatWeightBudget: 1,
      onProgress: ({ phase, done, total }) => progress.push(`${phase} ${done}/${total}`),
    });
    expect(report.calibrationSamples).toBe(3);
    expect(progress).toEqual([
      'calibration 0/3',
      'calibration 1/3',
      'calibration 2/3',
      'calibration 3/3',
      'sensitivity 0/3',
      'sensitivity 1/3',
      'sensitivity 2/3',
      'sensitivity 3/3',
    ]);
    expect(report.sensitivity.map((entry) => entry.node).sort()).toEqual(['Conv_0', 'Conv_3', 'Gemm_7']);
    expect(report.keptFloat).toEqual([report.sensitivity[0].node]);
  });

  test('an opset-9 model is raised to 13 (Clip attributes become inputs) for per-channel Q/DQ', async () => {
    const old = buildModel({
      opset: 9,
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 2, 4, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 3, 4, 4] }],
      initializers: [{ name: 'w', dtype: 'float32', dims: [3, 2, 1, 1], data: randomFloats(6, 3) }],
      nodes: [
        {
          op: 'Clip',
          inputs: ['x'],
          outputs: ['clipped'],
          attributes: { min: { type: 'float', value: 0 }, max: { type: 'float', value: 6 } },
        },
        { op: 'Conv', inputs: ['clipped', 'w'], outputs: ['y'] },
      ],
    });
    const feed = [{ x: new Tensor('float32', randomFloats(32, 8, 8), [1, 2, 4, 4]) }];
    const { model } = await quantizeInt8(old, { calibration: feed });
    const proto = decodeModel(model);
    expect(opsetVersion(proto)).toBe(13);
    const clip = proto.graph!.node.find((node) => node.opType === 'Clip')!;
    expect(clip.input).toHaveLength(3);
    expect(clip.attribute).toHaveLength(0);
    const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main' });
    const y = (await session.run(feed[0])).y.data as Float32Array;
    await session.dispose();
    expect(y.every(Number.isFinite)).toBe(true);
  });
});

describe('quantizeInt8 refuses bad input with clear errors', () => {
  test('an empty calibration set', async () => {
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: [] }),
      'ERR_INVALID_ARGUMENT',
      /Expected at least one calibration sample for options\.calibration but received an empty set/,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: empty }),
      'ERR_INVALID_ARGUMENT',
      /Expected \.npy files or sample subdirectories in .*empty but it has none/,
    );
  });

  test('feeds with unknown names, wrong shapes, or missing inputs name the sample', async () => {
    const bad = images(2, 1);
    bad[1] = { picture: bad[1].image };
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: bad }),
      'ERR_UNKNOWN_TENSOR',
      /received an unknown input "picture" \(calibration sample 1\)/,
    );
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: [{ image: new Tensor('float32', new Float32Array(3 * 16 * 16), [1, 3, 16, 16]) }] }),
      'ERR_SHAPE_MISMATCH',
      /Expected 8 at axis 2 .* for input "image" but received dims \[1, ?3, ?16, ?16\] \(calibration sample 0\)/,
    );
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: [{ image: new Tensor('float32', new Float32Array(64), [1, 64]) }] }),
      'ERR_SHAPE_MISMATCH',
      /Expected rank 4/,
    );
  });

  test('options', async () => {
    await expectCode(
      quantizeInt8(tinyConvNet(), undefined as never),
      'ERR_INVALID_ARGUMENT',
      /Expected an options object with a calibration source for options/,
    );
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: 42 as never }),
      'ERR_INVALID_ARGUMENT',
      /Expected an AsyncIterable or Iterable of feeds, or a directory of \.npy files for options\.calibration but received 42/,
    );
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: images(1, 1), method: 'kl' as never }),
      'ERR_INVALID_ARGUMENT',
      /options\.method/,
    );
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: images(1, 1), target: 'gpu' as never }),
      'ERR_INVALID_ARGUMENT',
      /options\.target/,
    );
    await expectCode(
      quantizeInt8(tinyConvNet(), { calibration: images(1, 1), exclude: { nodes: 'conv' as never } }),
      'ERR_INVALID_ARGUMENT',
      /options\.exclude\.nodes/,
    );
    await expectCode(
      quantizeInt8(new TextEncoder().encode('not a model'), { calibration: images(1, 1) }),
      'ERR_MODEL_LOAD',
      /Expected an ONNX model/,
    );
  });

  test('models without a graph or with an unsupported opset', async () => {
    const noGraph = buildModel({ inputs: [], outputs: [], nodes: [] });
    await expectCode(
      quantizeInt8(noGraph, { calibration: images(1, 1) }),
      'ERR_MODEL_LOAD',
      /Expected an ONNX model with a graph of nodes but it has none/,
    );
    const ancient = buildModel({
      opset: 6,
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
      initializers: [{ name: 'w', dtype: 'float32', dims: [4, 4], data: randomFloats(16, 1) }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    await expectCode(
      quantizeInt8(ancient, { calibration: [{ x: new Tensor('float32', randomFloats(4, 2), [1, 4]) }] }),
      'ERR_UNSUPPORTED',
      /Expected a model of opset 7 or later for INT8 quantization but it imports opset 6/,
    );
    const splitWithAttribute = buildModel({
      opset: 11,
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [
        { name: 'a', dtype: 'float32', dims: [1, 2] },
        { name: 'b', dtype: 'float32', dims: [1, 2] },
      ],
      initializers: [{ name: 'w', dtype: 'float32', dims: [4, 4], data: randomFloats(16, 1) }],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
        { op: 'Split', inputs: ['h'], outputs: ['a', 'b'], name: 'halves', attributes: { axis: 1, split: [2, 2] } },
      ],
    });
    await expectCode(
      quantizeInt8(splitWithAttribute, { calibration: [{ x: new Tensor('float32', randomFloats(4, 2), [1, 4]) }] }),
      'ERR_UNSUPPORTED',
      /Cannot raise Split node "halves" from opset 11 to 13/,
    );
  });

  test('an aborted signal stops calibration', async () => {
    const controller = new AbortController();
    async function* slow() {
      for (const feed of images(100, 1)) {
        yield feed;
        controller.abort(new Error('stop'));
      }
    }
    await expectCode(quantizeInt8(tinyConvNet(), { calibration: slow(), signal: controller.signal }), 'ERR_ABORTED', /aborted: stop/);
  });
});

describe('calibration ranges from streaming histograms', () => {
  const gaussian = (count: number, seed: number) => {
    const next = seededRandom(seed);
    return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next()));
  };

  test('growing range merges bins exactly: counts and extremes survive', () => {
    const histogram = new StreamingHistogram();
    histogram.add(Float32Array.of(0.1, -0.2, 0.3));
    histogram.add(Float32Array.of(50, -80));
    expect(histogram.count).toBe(5);
    expect(histogram.min).toBe(-80);
    expect(histogram.max).toBe(50);
    expect(histogram.positive.reduce((a, b) => a + b) + histogram.negative.reduce((a, b) => a + b)).toBe(5);
  });

  test('minmax is the extreme; percentile and entropy clip the outlier of a Gaussian, mse trades it against rounding', () => {
    const histogram = new StreamingHistogram();
    const data = gaussian(200_000, 7);
    data[0] = 40; // one outlier
    histogram.add(data);
    expect(symmetricRange(histogram, { method: 'minmax' })).toBe(40);
    for (const method of ['percentile', 'entropy'] as const) {
      const amax = symmetricRange(histogram, { method });
      expect(amax, method).toBeGreaterThan(2.5);
      expect(amax, method).toBeLessThan(6);
    }
    // One value at 40 costs (40 - amax)^2 when clipped, so MSE keeps part of its range.
    const mse = symmetricRange(histogram, { method: 'mse' });
    expect(mse).toBeGreaterThan(4);
    expect(mse).toBeLessThan(40);
    const percentile = symmetricRange(histogram, { method: 'percentile', percentile: 99.9 });
    expect(percentile).toBeGreaterThan(3.1);
    expect(percentile).toBeLessThan(3.5); // |x| 99.9th percentile of N(0,1) is 3.29
  });

  test('asymmetric ranges keep zero inside and follow each side', () => {
    const histogram = new StreamingHistogram();
    histogram.add(Float32Array.from(gaussian(50_000, 3), (v) => Math.max(v, -0.375) + 0.0)); // hardswish-like floor
    const [lo, hi] = asymmetricRange(histogram, { method: 'minmax' });
    expect(lo).toBeCloseTo(-0.375, 5);
    expect(hi).toBeGreaterThan(3);
    const [plo, phi] = asymmetricRange(histogram, { method: 'percentile' });
    expect(plo).toBeLessThanOrEqual(0);
    expect(phi).toBeLessThanOrEqual(hi);
  });

  test('per-channel weights: scale is max|w| / 127 per output channel, values within [-127, 127]', () => {
    const w = Float32Array.of(1, -0.5, 0.25, 0, 0.0101, -0.02);
    const q = quantizeWeightPerChannel(w, [2, 3], 0);
    expect([...q.scales]).toEqual([Math.fround(1 / 127), Math.fround(0.02 / 127)]);
    expect([...q.values]).toEqual([127, -64, 32, 0, 64, -127]);
    const reduced = quantizeWeightPerChannel(w, [2, 3], 0, 63);
    expect([...reduced.values]).toEqual([63, -31, 16, 0, 32, -63]); // -0.5 / float32(1/63) = -31.49999
    const byColumn = quantizeWeightPerChannel(w, [2, 3], 1);
    expect(byColumn.scales).toHaveLength(3);
  });
});
