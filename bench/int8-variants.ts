/**
 * INT8 variants for bench/optimize.ts: both targets, calibrated on the calibration split of the rendered
 * text (the bench evaluates on the evaluation split). Per-model settings are the ones chosen from the
 * measurements in the INT8 report; `--int8-samples` and friends are not exposed to keep the bench simple.
 */
import type { QuantizeInt8Options } from '../lib/optimize/quantize.js';
import { quantizeInt8 } from '../lib/optimize/quantize.js';
import { formatCpuSpeed } from '../lib/optimize/int8/cpu-format.js';
import { type OcrModelKind, ocrFeeds } from '../test/data/ocr-inputs.js';

export const INT8_SETTINGS: Record<
  OcrModelKind,
  { calibration: number } & Pick<QuantizeInt8Options, 'method' | 'keepFloatLayers' | 'sensitivitySamples' | 'biasCorrection'>
> = {
  det: { calibration: 16, method: 'mse', keepFloatLayers: 24, sensitivitySamples: 2 },
  rec: { calibration: 32, method: 'percentile', keepFloatLayers: 16, sensitivitySamples: 8 },
  cls: { calibration: 32, method: 'percentile', keepFloatLayers: 8, sensitivitySamples: 8 },
};

function int8Variant(target: 'tensorrt' | 'cpu') {
  return {
    name: target === 'tensorrt' ? 'int8-trt' : 'int8-cpu',
    async make(path: string, kind: OcrModelKind): Promise<Uint8Array> {
      const { calibration: count, ...settings } = INT8_SETTINGS[kind];
      const calibration = await ocrFeeds(kind, { split: 'calibration', count });
      const started = performance.now();
      const { model, report } = await quantizeInt8(path, { calibration, target, ...settings });
      console.log(
        `    ${kind} int8 ${target}: ${report.method}, ${report.calibrationSamples} calibration samples, ${report.quantizedNodes}/${report.quantizableNodes} nodes, ` +
          `${(report.quantizedWeightFraction * 100).toFixed(1)}% of weights int8, kept float: ${report.keptFloat.join(', ') || 'none'} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
      return model;
    },
  };
}

export const int8Variants = [int8Variant('tensorrt'), int8Variant('cpu')];

/**
 * What `optimize --int8 --calibration dir` does with no other flag (the automatic choices), for the
 * tensorrt target (`int8-default`) or with `--target cpu` only (`int8-cpu-default`: the format timed
 * and chosen on this CPU).
 */
function int8DefaultsVariant(target: 'tensorrt' | 'cpu') {
  return {
    name: target === 'tensorrt' ? 'int8-default' : 'int8-cpu-default',
    async make(
      path: string,
      kind: OcrModelKind,
      options: { calibration?: number; detSize?: { width: number; height: number } } = {},
    ): Promise<Uint8Array> {
      const calibration = await ocrFeeds(kind, { split: 'calibration', count: options.calibration ?? 64, detSize: options.detSize });
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      // Wall and CPU seconds per phase: on a shared machine the wall time says little alone.
      const phases: string[] = [];
      let phase = 'prepare';
      let phaseWall = started;
      let phaseCpu = cpuStarted;
      const endPhase = (): void => {
        const cpu = process.cpuUsage(phaseCpu);
        phases.push(
          `${phase} ${((performance.now() - phaseWall) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
        );
        phaseWall = performance.now();
        phaseCpu = process.cpuUsage();
      };
      const { model, report } = await quantizeInt8(path, {
        calibration,
        target,
        onProgress: (progress) => {
          if (progress.phase === phase) return;
          endPhase();
          phase = progress.phase;
        },
      });
      endPhase();
      const cpu = process.cpuUsage(cpuStarted);
      const c = report.choices;
      const label = target === 'tensorrt' ? 'int8 defaults' : 'int8 cpu defaults';
      console.log(
        `    ${kind} ${label}: method ${report.method} (${c.method.trials.map((t) => `${t.choice} ${t.error.toExponential(2)}`).join(', ')}), ${c.floatLayers.chosen} float layers (${c.floatLayers.trials.map((t) => `${t.choice}:${t.error.toExponential(2)}`).join(' ')}), ` +
          `judged on ${c.judgedOn.samples} held-back; ${report.calibrationSamples} calibration samples, ${(report.quantizedWeightFraction * 100).toFixed(1)}% of weights int8, size ${report.sizeRatio.toFixed(3)}x\n` +
          (report.cpu ? `    ${kind} ${formatCpuSpeed(report.cpu)}\n` : '') +
          `    ${kind} ${label} took ${((performance.now() - started) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU: ${phases.join('; ')}`,
      );
      return model;
    },
  };
}

export const int8DefaultVariant = int8DefaultsVariant('tensorrt');
export const int8CpuDefaultVariant = int8DefaultsVariant('cpu');
