/**
 * `tensorrt-node optimize model.onnx --int8 --calibration dir [--method ...] [--target tensorrt|cpu]`:
 * the INT8 mode of the optimize command. Calibration shows a progress bar on stderr (cli-progress:
 * maintained, no dependencies of its own beyond string width helpers, and it redraws in place on a TTY
 * while staying silent in logs).
 */
import { SingleBar } from 'cli-progress';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { CALIBRATION_METHODS } from '../optimize/int8/histogram.js';
import { INT8_FORMATS, formatCpuSpeed } from '../optimize/int8/cpu-format.js';
import { QUANT_TARGETS } from '../optimize/int8/placement.js';
import { type Int8Report, quantizeInt8 } from '../optimize/quantize.js';
import type { OptimizeMode } from './optimize.js';
import { choiceOption, integerOption } from './options.js';

function fractionOption(flag: string): (value: string) => number {
  return (value) => {
    const number = /^\s*\d*\.?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!(number >= 0 && number <= 1)) throw invalidArgument('a number from 0 to 1', flag, value);
    return number;
  };
}

function autoOrInteger(flag: string): (value: string) => number | 'auto' {
  const integer = integerOption(flag, { min: 0 });
  return (value) => (value === 'auto' ? 'auto' : integer(value));
}

function splitList(values: unknown): string[] | undefined {
  if (values === undefined) return undefined;
  return (values as string[])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

export function formatInt8Summary(report: Int8Report): string[] {
  const c = report.choices;
  const judged = `${c.judgedOn.samples} ${c.judgedOn.heldBack ? 'held-back' : 'calibration'} samples`;
  const lines = [
    `int8: target ${report.target}, method ${report.method}${c.method.automatic ? ` (auto on ${judged}: ${c.method.trials.map((t) => `${t.choice} ${t.error.toExponential(2)}`).join(', ')}; --method to override)` : ''}, ${report.calibrationSamples} calibration samples`,
    ...(c.floatLayers.automatic
      ? [
          `int8: ${c.floatLayers.chosen} layer(s) kept in float (auto on ${judged}: ${c.floatLayers.trials.map((t) => `${t.choice} -> ${t.error.toExponential(2)}`).join(', ')}; --keep-float to override)`,
        ]
      : []),
    `int8: ${report.quantizedNodes} of ${report.quantizableNodes} Conv/ConvTranspose/Gemm/MatMul nodes quantized, ${(report.quantizedWeightFraction * 100).toFixed(1)}% of their weights int8, ${report.activationQdqPairs} activation Q/DQ pairs`,
  ];
  if (report.cpu) lines.push(formatCpuSpeed(report.cpu));
  if (report.keptFloat.length > 0) lines.push(`int8: kept in float by sensitivity: ${report.keptFloat.join(', ')}`);
  const excluded = report.excludedNodes.filter((name) => !report.keptFloat.includes(name));
  if (excluded.length > 0)
    lines.push(
      `int8: left in float: ${excluded.length > 8 ? `${excluded.slice(0, 8).join(', ')}, ... (${excluded.length})` : excluded.join(', ')}`,
    );
  return lines;
}

export const int8Mode: OptimizeMode = {
  name: 'int8',
  description: 'post-training INT8 quantization with Q/DQ nodes, calibrated on the CPU',
  addOptions(command) {
    command
      .option(
        '--calibration <dir>',
        'int8: calibration inputs (.npy: <dir>/<sample>.npy, or <dir>/<sample>/<input>.npy); keep them apart from --eval',
      )
      .option(
        '--method <method>',
        `int8: activation range from the histograms (auto|${CALIBRATION_METHODS.join('|')}; auto: the one closest to float on held-back calibration samples)`,
        choiceOption('--method', ['auto', ...CALIBRATION_METHODS] as const),
        'auto',
      )
      .option(
        '--target <target>',
        `int8: tensorrt (symmetric int8 activations) or cpu (uint8 activations for ONNX Runtime's integer kernels)`,
        choiceOption('--target', QUANT_TARGETS),
        'tensorrt',
      )
      .option(
        '--format <format>',
        `int8: qdq (Q/DQ pairs, what TensorRT reads), qoperator (QLinearConv/QLinearMatMul; --target cpu only) or auto (tensorrt: qdq; cpu: both timed against float on this CPU, the faster kept)`,
        choiceOption('--format', ['auto', ...INT8_FORMATS] as const),
        'auto',
      )
      .option(
        '--keep-float <n>',
        'int8: keep the n most sensitive layers in float (per-layer sensitivity analysis); auto: as many as help on held-back calibration samples, within --float-budget; 0: no analysis',
        autoOrInteger('--keep-float'),
        'auto',
      )
      .option(
        '--held-back <n>',
        'int8: calibration samples (every 4th) held back from the histograms to judge the automatic choices',
        integerOption('--held-back', { min: 0 }),
        8,
      )
      .option(
        '--float-budget <fraction>',
        'int8: largest share of the Conv/Gemm/MatMul weights --keep-float may leave in float',
        fractionOption('--float-budget'),
        0.1,
      )
      .option('--exclude-nodes <names...>', 'int8: node names to keep in float')
      .option('--exclude-ops <ops...>', 'int8: op types to keep in float');
  },
  async run({ modelPath, options, signal, log }) {
    if (typeof options.calibration !== 'string') {
      throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, 'Expected --calibration <dir> with --int8 but received none');
    }
    // One bar per phase: calibration samples, then (with --keep-float) layers of the sensitivity analysis.
    let bar: SingleBar | undefined;
    let phase: string | undefined;
    let result;
    try {
      result = await quantizeInt8(modelPath, {
        calibration: options.calibration,
        method: options.method as (typeof CALIBRATION_METHODS)[number],
        target: options.target as (typeof QUANT_TARGETS)[number],
        format: options.format as (typeof INT8_FORMATS)[number] | 'auto',
        keepFloatLayers: options.keepFloat as number | 'auto',
        heldBackSamples: options.heldBack as number,
        floatWeightBudget: options.floatBudget as number,
        exclude: { nodes: splitList(options.excludeNodes), opTypes: splitList(options.excludeOps) },
        signal,
        onProgress: (progress) => {
          if (progress.phase !== phase) {
            bar?.stop();
            phase = progress.phase;
            const unit =
              { calibration: 'samples', method: 'methods', sensitivity: 'layers', 'float layers': 'counts tried', 'cpu format': 'timings' }[
                phase
              ] ?? '';
            bar = new SingleBar({
              format: `${phase.padEnd(11)} [{bar}] {value}/{total} ${unit}`,
              stream: process.stderr,
              hideCursor: true,
              clearOnComplete: false,
            });
            bar.start(progress.total ?? 0, progress.done);
          } else {
            if (progress.total !== undefined) bar?.setTotal(progress.total);
            bar?.update(progress.done);
          }
        },
      });
    } finally {
      bar?.stop();
    }
    if (result.report.keptFloat.length > 0) log(`sensitivity analysis kept ${result.report.keptFloat.length} layer(s) in float`);
    return { model: result.model, summary: formatInt8Summary(result.report) };
  },
};
