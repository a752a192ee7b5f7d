/**
 * `tensorrt-node optimize model.onnx --prune 2:4 [--keep-dense n --samples dir]`: the pruning mode of
 * the optimize command. The written model has 2:4-sparse weights that TensorRT uses when the engine is
 * built with its sparsity flag.
 */
import { SingleBar } from 'cli-progress';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { PRUNE_PATTERNS, type PruneReport, pruneStructured } from '../optimize/prune.js';
import type { OptimizeMode } from './optimize.js';
import { choiceOption, integerOption } from './options.js';

function splitList(values: unknown): string[] | undefined {
  if (values === undefined) return undefined;
  return (values as string[])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

export function formatPruneSummary(report: PruneReport): string[] {
  const lines = [
    `prune: ${report.pattern} on ${report.prunedLayers.length} of ${report.weightedLayers} Conv/ConvTranspose/Gemm/MatMul layers (${percent(report.weightElements === 0 ? 0 : report.prunedLayerElements / report.weightElements)} of their weights); ${percent(report.sparsity)} of all their weights are now zero`,
  ];
  if (report.keptDense.length > 0) lines.push(`prune: left dense by sensitivity: ${report.keptDense.join(', ')}`);
  if (report.excluded.length > 0) lines.push(`prune: excluded: ${report.excluded.join(', ')}`);
  const reasons = new Map<string, string[]>();
  for (const skipped of report.skipped) reasons.set(skipped.reason, [...(reasons.get(skipped.reason) ?? []), skipped.node]);
  for (const [reason, nodes] of reasons)
    lines.push(
      `prune: skipped ${nodes.length} (${reason}): ${nodes.length > 6 ? `${nodes.slice(0, 6).join(', ')}, ...` : nodes.join(', ')}`,
    );
  lines.push('prune: without retraining, pruning costs accuracy: check the quality report (--eval) before using the model');
  return lines;
}

export const pruneMode: OptimizeMode = {
  name: 'prune',
  value: { name: 'pattern', parse: choiceOption('--prune', PRUNE_PATTERNS) },
  description: 'zero weights in a structured sparsity pattern (2:4) for sparse Tensor Cores, without retraining',
  addOptions(command) {
    command
      .option(
        '--keep-dense <n>',
        'prune: leave the n layers whose pruning moves the outputs most dense (needs --samples)',
        integerOption('--keep-dense', { min: 0 }),
        0,
      )
      .option('--samples <dir>', 'prune: inputs for the sensitivity analysis (.npy, as for --eval); keep them apart from --eval')
      .option(
        '--sensitivity-samples <n>',
        'prune: how many of --samples the sensitivity analysis runs',
        integerOption('--sensitivity-samples', { min: 1 }),
        4,
      )
      .option('--prune-exclude <names...>', 'prune: node names or op types never to prune');
  },
  async run({ modelPath, options, signal, log }) {
    const keep = options.keepDense as number;
    if (keep > 0 && typeof options.samples !== 'string') {
      throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected --samples <dir> with --keep-dense ${keep} but received none`);
    }
    const excluded = splitList(options.pruneExclude) ?? [];
    let bar: SingleBar | undefined;
    let result;
    try {
      result = await pruneStructured(modelPath, {
        pattern: options.prune as (typeof PRUNE_PATTERNS)[number],
        keepDenseLayers: keep,
        samples: options.samples as string | undefined,
        sensitivitySamples: options.sensitivitySamples as number,
        exclude: { nodes: excluded, opTypes: excluded },
        signal,
        onProgress: ({ done, total }) => {
          if (!bar) {
            bar = new SingleBar({
              format: 'sensitivity [{bar}] {value}/{total} layers',
              stream: process.stderr,
              hideCursor: true,
              clearOnComplete: false,
            });
            bar.start(total, done);
          } else bar.update(done);
        },
      });
    } finally {
      bar?.stop();
    }
    if (result.report.keptDense.length > 0) log(`sensitivity analysis left ${result.report.keptDense.length} layer(s) dense`);
    return { model: result.model, summary: formatPruneSummary(result.report) };
  },
};
