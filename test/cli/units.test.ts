/** The CLI's pure helpers: percentiles, and parsing --input / --shapes against a model's inputs. */
import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../../lib/backends/backend.js';
import { listDevices } from '../../lib/cli/devices.js';
import { formatDuration } from '../../lib/cli/format.js';
import { formatRun } from '../../lib/cli/run.js';
import { formatDims, formatShape } from '../../lib/tensor.js';
import { formatInfo } from '../../lib/cli/info.js';
import { LatencyRecorder } from '../../lib/cli/latency.js';
import { randomTensor, seededRandom } from '../../lib/cli/random-tensor.js';
import { parseInputSpecs, parseShapeSpecs } from '../../lib/cli/run-inputs.js';
import { ErrorCode } from '../../lib/errors.js';

const inputs: TensorInfo[] = [
  { name: 'image', dtype: 'float32', shape: ['batch', 3, 'h', 'w'] },
  { name: 'a=b', dtype: 'int64', shape: [1] },
  { name: 'input:0', dtype: 'float32', shape: [2] },
];

function recorded(samples: readonly number[]): LatencyRecorder {
  const recorder = new LatencyRecorder();
  for (const sample of samples) recorder.record(sample);
  return recorder;
}

describe('LatencyRecorder', () => {
  it("uses the nearest rank, within the histogram's 0.1%", () => {
    const recorder = recorded(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(recorder.percentile(50)).toBeCloseTo(50, 1);
    expect(recorder.percentile(90)).toBeCloseTo(90, 1);
    expect(recorder.percentile(99)).toBeCloseTo(99, 1);
    expect(recorded([5]).percentile(99)).toBe(5);
    expect(recorded([1, 2, 3, 4]).percentile(50)).toBeCloseTo(2, 2);
    expect(() => new LatencyRecorder().percentile(50)).toThrow(RangeError);
  });

  it('summarises samples and throughput: count, min, max and mean exact', () => {
    const stats = recorded([4, 1, 3, 2]).stats(20);
    expect(stats).toMatchObject({ iterations: 4, minMs: 1, maxMs: 4, meanMs: 2.5, p90Ms: 4, p99Ms: 4, throughputQps: 200, totalMs: 20 });
    expect(stats.p50Ms).toBeCloseTo(2, 2);
  });

  it('keeps no sample: memory stays flat over two million runs', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc).toBeTypeOf('function');
    const recorder = new LatencyRecorder();
    recorder.record(1);
    (gc as () => void)();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2_000_000; i++) recorder.record(0.5 + (i % 1000) / 100);
    (gc as () => void)();
    // Two million numbers in an array would hold 16 MB on the heap.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(2 * 1024 * 1024);
    expect(recorder.iterations).toBe(2_000_001);
    expect(recorder.percentile(50)).toBeCloseTo(5.5, 1);
  });
});

describe('durations and dims as printed', () => {
  it('gives a short wall time in milliseconds rather than 0.000 s', () => {
    expect(formatDuration(0.25)).toBe('0.2500 ms');
    expect(formatDuration(12.5)).toBe('12.500 ms');
    expect(formatDuration(412.5)).toBe('412.5 ms');
    expect(formatDuration(2500)).toBe('2.500 s');
  });

  it("prints a model's named dynamic dim by its name, an unnamed one as ? (ONNX Runtime's '', TensorRT's -1)", () => {
    expect(formatShape(['batch', 4])).toBe('[batch, 4]');
    expect(formatShape(['', 4])).toBe('[?, 4]');
    expect(formatShape([-1, 4])).toBe('[?, 4]');
    expect(formatDims([2, 4])).toBe('[2, 4]');
    expect(formatDims([])).toBe('[] (scalar)');
  });

  it("run's summary: the wall time of a fast model, and where runOn auto settled", () => {
    const latency = {
      iterations: 2,
      minMs: 0.1,
      maxMs: 0.3,
      meanMs: 0.2,
      p50Ms: 0.1,
      p90Ms: 0.3,
      p99Ms: 0.3,
      throughputQps: 5000,
      totalMs: 0.4,
    };
    const report = {
      model: 'm.onnx',
      backend: 'cpu' as const,
      runOn: 'auto' as const,
      placement: 'worker' as const,
      inputs: [],
      outputs: [],
      warmup: 3,
      latency,
    };
    const text = formatRun(report);
    expect(text).toMatch(/^Total wall time: 0\.4000 ms$/m);
    expect(text).toMatch(/^run on {4}worker thread \(auto: decided during warm-up\)$/m);
    expect(formatRun({ ...report, runOn: 'main', placement: 'main' })).toMatch(/^run on {4}main$/m);
  });
});

describe('parseInputSpecs', () => {
  it('matches names that contain = and files whose paths contain =', () => {
    const sources = parseInputSpecs(['a=b=x=1.npy', 'image=random'], inputs);
    expect(sources.get('a=b')).toEqual({ kind: 'file', path: 'x=1.npy' });
    expect(sources.get('image')).toEqual({ kind: 'random' });
  });

  it('accepts a bare file for a single-input model only', () => {
    expect(parseInputSpecs(['x.npy'], [inputs[0]]).get('image')).toEqual({ kind: 'file', path: 'x.npy' });
    expect(() => parseInputSpecs(['x.npy'], inputs)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });

  it('refuses repeats and empty values', () => {
    expect(() => parseInputSpecs(['image=random', 'image=x.npy'], inputs)).toThrow(/one --input per input name/);
    expect(() => parseInputSpecs(['image='], inputs)).toThrow(/name=file\.npy or name=random/);
  });
});

describe('parseShapeSpecs', () => {
  it('reads trtexec spelling, several per flag or several flags, names with colons', () => {
    const shapes = parseShapeSpecs(['image:2x3x32x64,input:0:2', 'a=b:1'], inputs);
    expect(Object.fromEntries(shapes)).toEqual({ image: [2, 3, 32, 64], 'input:0': [2], 'a=b': [1] });
  });

  it('refuses malformed dims and unknown names', () => {
    expect(() => parseShapeSpecs(['image:2x0x3x3'], inputs)).toThrow(/positive dims/);
    expect(() => parseShapeSpecs(['image:2,3'], inputs)).toThrow(/name:dims/);
    expect(() => parseShapeSpecs(['nope:1'], inputs)).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_TENSOR }));
  });
});

describe('randomTensor', () => {
  it('is reproducible from the seed and within each dtype’s range', () => {
    const a = randomTensor('float32', [2, 50], seededRandom(3));
    expect(randomTensor('float32', [2, 50], seededRandom(3)).data).toEqual(a.data);
    expect([...a.data].every((v) => v >= -1 && v < 1)).toBe(true);
    const ints = randomTensor('int64', [100], seededRandom(1)).data as BigInt64Array;
    expect([...ints].every((v) => v >= 0n && v < 10n)).toBe(true);
    const bools = randomTensor('bool', [100], seededRandom(1)).data as Uint8Array;
    expect(new Set(bools)).toEqual(new Set([0, 1]));
    const halves = randomTensor('float16', [100], seededRandom(1)).data as Uint16Array;
    // No NaN or infinity: the exponent bits are never all ones.
    expect([...halves].every((bits) => (bits & 0x7c00) !== 0x7c00)).toBe(true);
  });
});

describe('info rendering of CUDA devices', () => {
  const cuda = {
    available: true,
    simulator: false,
    runtimeVersion: '13.0',
    driverVersion: '13.0',
    devices: [
      {
        index: 0,
        name: 'NVIDIA H200',
        computeCapability: { major: 9, minor: 0 },
        totalMemory: 150_000_000_000,
        multiProcessorCount: 132,
        uuid: 'GPU-0',
      },
    ],
  };

  it('lists devices with compute capability, SMs and memory', () => {
    const devices = listDevices(cuda);
    expect(devices).toEqual({
      devices: [{ index: 0, name: 'NVIDIA H200', computeCapability: '9.0', totalMemoryBytes: 150_000_000_000, multiProcessorCount: 132 }],
    });
    const text = formatInfo({
      package: { name: 'tensorrt-node', version: '0.0.0' },
      node: { version: 'v20.0.0', platform: 'linux', arch: 'x64', napi: '9' },
      backends: {
        cpu: { available: true, version: '1.30.0' },
        tensorrt: {
          available: true,
          version: '10.3.0',
          library: {
            available: true,
            version: '10.3.0',
            library: 'libnvinfer.so.10',
            builder: { available: true },
            parser: { available: true, version: '10.3.0' },
            plugins: { available: false, reason: 'not found' },
          },
          plugins: { available: false, reason: 'not found' },
          builder: { available: true },
        },
      },
      cuda: { available: true, simulator: false, runtimeVersion: '13.0', driverVersion: '13.0' },
      devices,
    });
    expect(text).toContain('tensorrt  available  TensorRT 10.3.0');
    expect(text).toContain(
      'tensorrt libraries:\n  runtime      available    10.3.0  libnvinfer.so.10\n  builder      available    in the runtime library\n',
    );
    expect(text).toContain('  plugins      unavailable  not found\n');
    expect(text).toContain('cuda:\n  runtime 13.0, driver supports 13.0\n');
    expect(text).toMatch(/devices:\n {2}0 {2}NVIDIA H200 {2}compute 9\.0 {2}132 SMs {2}139\.7 GiB$/);
  });

  it('says why there are none', () => {
    expect(listDevices({ available: false, simulator: false, devices: [], reason: 'No CUDA device was found.' })).toEqual({
      devices: [],
      reason: 'No CUDA device was found.',
    });
  });
});
