// Shape tensor inputs in optimization profiles: TensorRT builds for the range of a shape tensor's
// values as it does for dims (IOptimizationProfile::setShapeValuesV2 for kMIN, kOPT and kMAX), and
// refuses to build without them. The profile format's `values` carries that range, checked in
// TypeScript; the simulator refuses a build that lacks it, as TensorRT does.
import './use-sim.js';

import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../../lib/errors.js';
import { buildModel } from '../../lib/onnx/index.js';
import { buildEngine } from '../../lib/tensorrt/builder.js';
import { Engine } from '../../lib/tensorrt/engine.js';
import { hostShape, randomArray } from '../fixtures/trt-models.js';
import { rejection } from '../shared/rejection.js';
import { profilesOf } from './trt-helpers.js';

// x[12] reshaped to the shape input's value: no dynamic dims, only a shape tensor input.
function staticReshape(): Uint8Array {
  return buildModel({
    name: 'static_reshape',
    inputs: [
      { name: 'x', dtype: 'float32', dims: [12] },
      { name: 'shape', dtype: 'int64', dims: [2] },
    ],
    outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
  });
}

const dims = { min: [2], opt: [2], max: [2] } as const;

describe('shape tensor values in optimization profiles', () => {
  it('refuses a build whose profile gives no values for a shape tensor input, naming the input and the profile', async () => {
    const fixture = hostShape();
    const error = await rejection(buildEngine(fixture.bytes, { profiles: [{ x: { min: [1], opt: [6], max: [24] }, shape: { ...dims } }] }));
    expect(error.code).toBe(ErrorCode.BUILD_FAILED);
    expect(error.message).toBe(
      'TensorRT could not build the engine: input "shape" is a shape tensor and profile 0 gives no range of its values (values)',
    );
    expect(error.details).toContain('shape: shape input tensor has no shape values in profile 0');
  });

  it('refuses a model whose only profile-worthy input is a shape tensor when no profile is given', async () => {
    const error = await rejection(buildEngine(staticReshape()));
    expect(error.code).toBe(ErrorCode.BUILD_FAILED);
    expect(error.message).toBe(
      'TensorRT could not build the engine: input "shape" is a shape tensor, so TensorRT needs profiles that give the range of its values (values)',
    );
    expect(error.details).toContain('Network has dynamic or shape inputs, but no optimization profile has been defined.');
  });

  it('builds with the values and runs shapes within them', async () => {
    const plan = await buildEngine(staticReshape(), {
      profiles: [{ x: { min: [12], opt: [12], max: [12] }, shape: { ...dims, values: { min: [1, -1], opt: [3, 4], max: [12, 12] } } }],
    });
    const engine = await Engine.load(plan);
    const context = engine.createContext();
    const x = randomArray(12, 5);
    const [y] = await context.run(
      [
        { name: 'x', data: x, dims: [12] },
        { name: 'shape', data: BigInt64Array.from([6n, -1n]), dims: [2] },
      ],
      [{ name: 'y' }],
      0,
    );
    expect(y?.dims).toEqual([6, 2]);
    expect(Array.from(new Float32Array(y?.data as ArrayBuffer))).toEqual(Array.from(x));
    context.dispose();
    engine.dispose();
  });

  it('builds the host-shape fixture once its profile carries the values', async () => {
    const fixture = hostShape();
    const plan = await buildEngine(fixture.bytes, { profiles: profilesOf(fixture) });
    expect(plan.byteLength).toBeGreaterThan(0);
  });

  it('checks the values in TypeScript before anything native runs', async () => {
    const bytes = staticReshape();
    const x = { min: [12], opt: [12], max: [12] };
    const cases: [unknown, string][] = [
      [
        { min: [1], opt: [3], max: [12] },
        'Expected 2 values (the elements of input shape [2]) for options.profiles[0].shape.values.min but received [1]',
      ],
      [
        { min: [1, 1], opt: [3, 4.5], max: [12, 12] },
        'Expected an array of integers for options.profiles[0].shape.values.opt but received [3, 4.5]',
      ],
      [
        { min: [1, 1], opt: [3, 0], max: [12, 12] },
        'Expected min <= opt <= max for options.profiles[0].shape.values value 1 but received min 1, opt 0, max 12',
      ],
      [[1, 2], 'Expected an object { min, opt, max } of shape tensor values for options.profiles[0].shape.values but received [1, 2]'],
    ];
    for (const [values, message] of cases) {
      const error = await rejection(buildEngine(bytes, { profiles: [{ x, shape: { ...dims, values } as never }] }));
      expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(error.message).toBe(message);
    }
  });
});
