/** The CLI's pure helpers: percentiles, and parsing --input / --shapes against a model's inputs. */
import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../../lib/backends/backend.js';
import { latencyStats, percentile } from '../../lib/cli/latency.js';
import { randomTensor, seededRandom } from '../../lib/cli/random-tensor.js';
import { parseInputSpecs, parseShapeSpecs } from '../../lib/cli/run-inputs.js';
import { ErrorCode } from '../../lib/errors.js';

const inputs: TensorInfo[] = [
  { name: 'image', dtype: 'float32', shape: ['batch', 3, 'h', 'w'] },
  { name: 'a=b', dtype: 'int64', shape: [1] },
  { name: 'input:0', dtype: 'float32', shape: [2] },
];

describe('percentile and latencyStats', () => {
  it('uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 90)).toBe(90);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('summarises samples and throughput', () => {
    const stats = latencyStats([4, 1, 3, 2], 20);
    expect(stats).toEqual({ iterations: 4, minMs: 1, maxMs: 4, meanMs: 2.5, p50Ms: 2, p90Ms: 4, p99Ms: 4, throughputQps: 200, totalMs: 20 });
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
