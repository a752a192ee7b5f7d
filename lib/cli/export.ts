/**
 * `tensorrt-node export triton <model.onnx|.plan> --repo <dir>`: a model as a Triton Inference Server
 * model repository entry (config.pbtxt and version 1 of the model). Takes `build`'s flags for the
 * engine it builds here; without TensorRT it exports the ONNX model and says why.
 */
import { stat } from 'node:fs/promises';

import type { Command } from 'commander';

import { exportTriton } from '../export/triton.js';
import { addBuildFlags, type BuildCliOptions, buildOptionsFromFlags, progressBars } from './build.js';
import { formatBytes, toJson } from './format.js';
import { choiceOption, integerOption } from './options.js';

type ExportCliOptions = BuildCliOptions & {
  repo: string;
  name?: string;
  maxBatch?: number;
  instances?: number;
  instanceKind?: 'gpu' | 'cpu';
  device?: number;
  dynamicBatchingDelayUs?: number;
  format?: 'auto' | 'plan' | 'onnx';
  force?: boolean;
};

/** Engine-only build options as their flags, for the note on an ONNX export. */
const FLAG_NAMES: Record<string, string> = {
  profiles: '--min-shapes/--opt-shapes/--max-shapes',
  shapes: '--shapes',
  optimizationLevel: '--optimization-level',
  hardwareCompatibility: '--hardware-compat',
  versionCompatible: '--version-compatible',
  excludeLeanRuntime: '--exclude-lean-runtime',
  sparsity: '--sparsity',
  maxAuxStreams: '--max-aux-streams',
  plugins: '--plugins',
  timingCache: '--timing-cache',
};

function registerTriton(parent: Command): void {
  const command = parent
    .command('triton')
    .description('write a Triton model repository entry: <repo>/<name>/config.pbtxt and <repo>/<name>/1/model.plan (or model.onnx)')
    .argument('<model>', 'ONNX model (.onnx) to build here, or a TensorRT plan (.plan) to copy')
    .requiredOption('--repo <dir>', 'the model repository folder (created when absent)')
    .option('--name <name>', 'model name and folder (default: the file name without its extension)')
    .option(
      '--max-batch <n>',
      'max_batch_size; 0 serves the model unbatched (default 32 when it batches)',
      integerOption('--max-batch', { min: 0 }),
    )
    .option('--instances <n>', 'instance_group count (default 2)', integerOption('--instances', { min: 1 }))
    .option('--instance-kind <kind>', 'gpu (default) or cpu (ONNX only)', choiceOption('--instance-kind', ['gpu', 'cpu'] as const))
    .option('--device <n>', 'GPU to build on and to serve from (instance_group gpus)', integerOption('--device', { min: 0 }))
    .option(
      '--dynamic-batching-delay-us <n>',
      "dynamic_batching's max_queue_delay_microseconds (default 2000, the batcher's 2 ms)",
      integerOption('--dynamic-batching-delay-us', { min: 0 }),
    )
    .option(
      '--format <format>',
      'auto (default: plan when TensorRT builds here), plan or onnx',
      choiceOption('--format', ['auto', 'plan', 'onnx'] as const),
    )
    .option('--force', 'replace a model folder that already holds files');
  addBuildFlags(command)
    .option('--json', 'print the result as JSON')
    .action(async (model: string, options: ExportCliOptions) => {
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error('interrupted (Ctrl-C)'));
      process.once('SIGINT', onSigint);
      // Bars only once a build reports progress: a refusal or an ONNX export prints one line, not a bar's newline.
      let bars: ReturnType<typeof progressBars> | undefined;
      let result;
      try {
        result = await exportTriton(model, {
          ...buildOptionsFromFlags(options),
          repo: options.repo,
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
          ...(options.instances !== undefined ? { instances: options.instances } : {}),
          ...(options.instanceKind !== undefined ? { instanceKind: options.instanceKind } : {}),
          ...(options.device !== undefined ? { device: options.device } : {}),
          ...(options.dynamicBatchingDelayUs !== undefined ? { dynamicBatchingDelayUs: options.dynamicBatchingDelayUs } : {}),
          ...(options.format !== undefined ? { format: options.format } : {}),
          ...(options.force ? { force: true } : {}),
          onProgress: (progress) => {
            if (bars === undefined) {
              process.stderr.write(`building a TensorRT plan from ${model} for ${options.repo}\n`);
              bars = progressBars();
            }
            bars.onProgress(progress);
          },
          signal: controller.signal,
        });
      } finally {
        bars?.stop();
        process.removeListener('SIGINT', onSigint);
      }
      if (options.json) {
        process.stdout.write(`${toJson(result)}\n`);
        return;
      }
      const config = result.config;
      const group = config.instance_group[0];
      const batching = config.dynamic_batching
        ? `max_batch_size ${config.max_batch_size}, dynamic_batching delay ${config.dynamic_batching.max_queue_delay_microseconds} us, preferred ${config.dynamic_batching.preferred_batch_size.join('/')}`
        : 'max_batch_size 0 (unbatched)';
      const tensor = (t: (typeof config.input)[number]) => `${t.name}: ${t.data_type} [${t.dims.join(', ')}]`;
      const lines = [
        `exported ${config.name} to ${result.path} (${result.platform})`,
        `  format  ${result.format}: ${result.reason}`,
        `  model   ${result.modelPath} (${formatBytes((await stat(result.modelPath)).size)})`,
        `  config  ${result.configPath}: ${batching}; ${group?.count ?? 1} x ${group?.kind ?? 'KIND_GPU'}${group?.gpus ? ` on GPU ${group.gpus.join(', ')}` : ''}`,
        ...config.input.map((t) => `  input   ${tensor(t)}`),
        ...config.output.map((t) => `  output  ${tensor(t)}`),
        ...result.unused.map((key) => `note: ${FLAG_NAMES[key] ?? key} applies to TensorRT engines only; not used for the ONNX export`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

export function registerExport(program: Command): void {
  const parent = program.command('export').description('export a model for a serving system (triton: a Triton model repository)');
  registerTriton(parent);
}
