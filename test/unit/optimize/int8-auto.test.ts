import { describe, expect, test } from 'vitest';
import { outputError, outputsOf } from '../../../lib/optimize/int8/sensitivity.js';
import { quantizeInt8 } from '../../../lib/optimize/quantize.js';
import { Tensor } from '../../../lib/tensor.js';
import { tinyConvNet } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';

function images(count: number, seed: number): Record<string, Tensor>[] {
  return Array.from({ length: count }, (_, i) => ({
    image: new Tensor('float32', randomFloats(3 * 8 * 8, seed + i, 1 + (i % 5)), [1, 3, 8, 8]),
  }));
}

describe('INT8 automatic choices', () => {
  test('by default: every method is tried on held-back samples (every 4th) and the closest to float wins', async () => {
    const calibration = images(16, 500);
    const progress: string[] = [];
    const { report } = await quantizeInt8(tinyConvNet(), {
      calibration,
      keepFloatLayers: 0,
      onProgress: ({ phase }) => progress.push(phase),
    });
    const { method } = report.choices;
    expect(report.choices.judgedOn).toEqual({ samples: 4, heldBack: true });
    expect(report.calibrationSamples).toBe(12);
    expect(method.automatic).toBe(true);
    expect(method.trials.map((trial) => trial.choice)).toEqual(['minmax', 'percentile', 'entropy', 'mse']);
    const best = method.trials.reduce((a, b) => (b.error < a.error ? b : a));
    expect(method.chosen).toBe(best.choice);
    expect(report.method).toBe(best.choice);
    expect(progress).toContain('method');
    // The trial errors are what the held-back samples (indices 3, 7, 11, 15) say of each method's model.
    const held = [3, 7, 11, 15].map((i) => calibration[i]);
    const reference = await outputsOf(tinyConvNet(), held);
    // ... and the histograms came from the other twelve.
    const rest = calibration.filter((_, i) => i % 4 !== 3);
    const { model: fixed } = await quantizeInt8(tinyConvNet(), { calibration: rest, method: best.choice, keepFloatLayers: 0 });
    expect(outputError(reference, await outputsOf(fixed, held))).toBeCloseTo(best.error, 10);
  });

  test('by default the float-layer count is chosen too, within the float budget; explicit settings turn both off', async () => {
    const calibration = images(16, 600);
    const { report } = await quantizeInt8(tinyConvNet(), { calibration, floatWeightBudget: 1 });
    const { floatLayers } = report.choices;
    expect(floatLayers.automatic).toBe(true);
    expect(floatLayers.trials[0].choice).toBe(0);
    expect(floatLayers.trials.map((trial) => trial.choice)).toEqual(
      [...floatLayers.trials.map((trial) => trial.choice)].sort((a, b) => a - b),
    );
    const best = floatLayers.trials.reduce((a, b) => (b.error < a.error ? b : a));
    expect(floatLayers.chosen).toBe(best.choice);
    expect(report.keptFloat).toHaveLength(best.choice);
    expect(report.sensitivity).toHaveLength(3);

    const fixed = (await quantizeInt8(tinyConvNet(), { calibration, method: 'entropy', keepFloatLayers: 0 })).report;
    expect(fixed.choices).toEqual({
      judgedOn: { samples: 0, heldBack: false },
      method: { chosen: 'entropy', automatic: false, trials: [] },
      floatLayers: { chosen: 0, automatic: false, trials: [] },
    });
    expect(fixed.calibrationSamples).toBe(16);
    expect(fixed.sensitivity).toEqual([]);
  });

  test('a zero float budget leaves nothing to choose: only the all-int8 trial', async () => {
    const { report } = await quantizeInt8(tinyConvNet(), { calibration: images(8, 700), method: 'minmax', floatWeightBudget: 0 });
    expect(report.choices.floatLayers.trials.map((trial) => trial.choice)).toEqual([0]);
    expect(report.keptFloat).toEqual([]);
  });
});
