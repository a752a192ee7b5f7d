/**
 * `tensorrt-node build <model.onnx> -o model.plan`: the engine builder on the command line, with
 * trtexec's flags accepted as aliases (--saveEngine, --minShapes/--optShapes/--maxShapes,
 * --timingCacheFile, --memPoolSize=workspace:N, --fp16/--int8/--best, ...). A progress bar per
 * build phase on stderr, Ctrl-C cancels the build (nothing is written), and a summary at the end.
 */
import { basename, dirname, extname, join } from 'node:path';

import { MultiBar, type SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { ErrorCode, invalidArgument, isTensorRTNodeError } from '../errors.js';
import type { BuildEngineOptions, BuildProgress, Precision } from '../tensorrt/build-options.js';
import { buildEngine } from '../tensorrt/builder.js';
import { Engine } from '../tensorrt/engine.js';
import { parseHardwareCompatibility, parseMemPoolSize, parseShapeList, parseSize, parseSparsity } from './build-flags.js';
import { formatDims, formatShape } from '../tensor.js';
import { formatBytes, toJson } from './format.js';
import { choiceOption, collect, integerOption } from './options.js';

export type BuildCliOptions = Record<string, unknown> & {
  output?: string;
  saveEngine?: string;
  precision?: Precision;
  fp16?: boolean;
  int8?: boolean;
  best?: boolean;
  shapes?: string;
  minShapes?: string;
  optShapes?: string;
  maxShapes?: string;
  workspace?: string;
  memPoolSize?: string;
  timingCache?: string;
  timingCacheFile?: string;
  calibration?: string;
  optimizationLevel?: number;
  builderOptimizationLevel?: number;
  hardwareCompat?: string;
  hardwareCompatibilityLevel?: string;
  versionCompatible?: boolean;
  vc?: boolean;
  excludeLeanRuntime?: boolean;
  sparsity?: string | boolean;
  maxAuxStreams?: number;
  plugins?: string[];
  dynamicPlugins?: string[];
  json?: boolean;
};

export function defaultPlanPath(model: string): string {
  const ext = extname(model);
  return join(dirname(model), `${basename(model, ext === '.onnx' ? ext : '')}.plan`);
}

function precisionFrom(options: BuildCliOptions): Precision | undefined {
  const flags = (['fp16', 'int8', 'best'] as const).filter((p) => options[p] === true);
  const chosen = [...(options.precision ? [options.precision] : []), ...flags];
  if (new Set(chosen).size > 1) throw invalidArgument('one precision', '--precision', chosen.join(' and '));
  return chosen[0];
}

function profilesFrom(options: BuildCliOptions): Pick<BuildEngineOptions, 'shapes' | 'profiles'> {
  const ranges = { min: options.minShapes, opt: options.optShapes, max: options.maxShapes };
  const given = Object.entries(ranges).filter(([, v]) => v !== undefined);
  if (options.shapes !== undefined) {
    if (given.length > 0) throw invalidArgument('either --shapes or --min-shapes/--opt-shapes/--max-shapes', '--shapes', options.shapes);
    return { shapes: parseShapeList('--shapes', options.shapes) };
  }
  if (given.length === 0) return {};
  const parsed = {
    min: ranges.min === undefined ? undefined : parseShapeList('--min-shapes', ranges.min),
    opt: ranges.opt === undefined ? undefined : parseShapeList('--opt-shapes', ranges.opt),
    max: ranges.max === undefined ? undefined : parseShapeList('--max-shapes', ranges.max),
  };
  const names = new Set(Object.values(parsed).flatMap((p) => (p ? Object.keys(p) : [])));
  const profile: Record<string, { min: number[]; opt: number[]; max: number[] }> = {};
  for (const name of names) {
    const pick = (key: 'min' | 'opt' | 'max'): number[] => {
      const dims = parsed[key]?.[name];
      if (dims === undefined)
        throw invalidArgument(
          `dims for input ${name} (given in another of --min-shapes/--opt-shapes/--max-shapes)`,
          `--${key}-shapes`,
          ranges[key] ?? 'nothing',
        );
      return dims;
    };
    profile[name] = { min: pick('min'), opt: pick('opt'), max: pick('max') };
  }
  return { profiles: [profile] };
}

/** The build options the flags describe (everything but progress, signal and output). */
export function buildOptionsFromFlags(options: BuildCliOptions): BuildEngineOptions {
  const precision = precisionFrom(options);
  const workspace =
    options.workspace !== undefined
      ? parseSize('--workspace', options.workspace)
      : options.memPoolSize !== undefined
        ? parseMemPoolSize(options.memPoolSize)
        : undefined;
  const hardware = options.hardwareCompat ?? options.hardwareCompatibilityLevel;
  const plugins = [...(options.plugins ?? []), ...(options.dynamicPlugins ?? [])].flatMap((p) => p.split(',')).filter((p) => p !== '');
  const timingCache = options.timingCache ?? options.timingCacheFile;
  const optimizationLevel = options.optimizationLevel ?? options.builderOptimizationLevel;
  return {
    ...profilesFrom(options),
    ...(precision !== undefined ? { precision } : {}),
    ...(options.calibration !== undefined ? { calibration: options.calibration } : {}),
    ...(workspace !== undefined ? { workspace } : {}),
    ...(optimizationLevel !== undefined ? { optimizationLevel } : {}),
    ...(hardware !== undefined ? { hardwareCompatibility: parseHardwareCompatibility('--hardware-compat', hardware) } : {}),
    ...(options.versionCompatible || options.vc ? { versionCompatible: true } : {}),
    ...(options.excludeLeanRuntime ? { excludeLeanRuntime: true } : {}),
    ...(options.sparsity !== undefined ? { sparsity: parseSparsity(options.sparsity) } : {}),
    ...(options.maxAuxStreams !== undefined ? { maxAuxStreams: options.maxAuxStreams } : {}),
    ...(plugins.length > 0 ? { plugins } : {}),
    ...(timingCache !== undefined ? { timingCache } : {}),
  };
}

/** One bar per phase while it runs (stderr, only on a terminal). */
export function progressBars(): { onProgress: (p: BuildProgress) => void; stop: () => void } {
  const multibar = new MultiBar({
    format: '{phase} [{bar}] {value}/{total}',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
  });
  const bars = new Map<string, SingleBar>();
  return {
    onProgress(p) {
      const label = (p.parent ? `  ${p.phase}` : p.phase).padEnd(22);
      if (p.kind === 'start') bars.set(p.phase, multibar.create(p.steps, 0, { phase: label }));
      else bars.get(p.phase)?.update(p.step, { phase: label });
      if (p.kind === 'finish') bars.delete(p.phase);
    },
    stop: () => multibar.stop(),
  };
}

/** The engine builder's flags (trtexec's spellings too), shared by `build` and `export triton`. */
export function addBuildFlags(command: Command): Command {
  const level = integerOption('--optimization-level', { min: 0 });
  const streams = integerOption('--max-aux-streams', { min: 0 });
  return command
    .option(
      '--precision <precision>',
      'fp32 (default), fp16, int8 or best (int8 where quantizable, fp16 elsewhere)',
      choiceOption('--precision', ['fp32', 'fp16', 'int8', 'best'] as const),
    )
    .option('--fp16', 'trtexec alias of --precision fp16')
    .option('--int8', 'trtexec alias of --precision int8')
    .option('--best', 'trtexec alias of --precision best')
    .option('--calibration <dir>', 'int8/best: calibration samples (.npy: <dir>/<sample>/<input>.npy or <dir>/<sample>.npy)')
    .option('--shapes <spec>', 'one fixed profile: x:1x3x640x640,y:1x3')
    .option('--min-shapes <spec>', 'profile minimum dims (with --opt-shapes and --max-shapes)')
    .option('--opt-shapes <spec>', 'profile dims to optimize for')
    .option('--max-shapes <spec>', 'profile maximum dims')
    .option('--minShapes <spec>', 'trtexec alias of --min-shapes')
    .option('--optShapes <spec>', 'trtexec alias of --opt-shapes')
    .option('--maxShapes <spec>', 'trtexec alias of --max-shapes')
    .option('--workspace <size>', 'workspace memory limit: bytes, or 512M, 2G')
    .option('--memPoolSize <spec>', 'trtexec alias: workspace:<MiB>')
    .option('--timing-cache <path>', 'timing cache file: read before, updated after (shared by builds)')
    .option('--timingCacheFile <path>', 'trtexec alias of --timing-cache')
    .option('--optimization-level <n>', 'builder optimization level 0-5 (default 3)', level)
    .option('--builderOptimizationLevel <n>', 'trtexec alias of --optimization-level', level)
    .option('--hardware-compat <level>', 'none (default), ampere+ or same-compute-capability')
    .option('--hardwareCompatibilityLevel <level>', 'trtexec alias of --hardware-compat')
    .option('--version-compatible', 'version-compatible plan (embeds the lean runtime; load with allowHostCode)')
    .option('--versionCompatible', 'trtexec alias of --version-compatible')
    .option('--vc', 'trtexec alias of --version-compatible')
    .option('--exclude-lean-runtime', 'version-compatible plan without the lean runtime')
    .option('--excludeLeanRuntime', 'trtexec alias of --exclude-lean-runtime')
    .option('--sparsity [mode]', 'use 2:4 structured-sparse weights (trtexec: enable, disable, force)')
    .option('--max-aux-streams <n>', 'most auxiliary streams the engine may use', streams)
    .option('--maxAuxStreams <n>', 'trtexec alias of --max-aux-streams', streams)
    .option('--plugins <path>', 'plugin library to load (repeatable, or comma separated)', collect)
    .option('--dynamicPlugins <path>', 'trtexec alias of --plugins', collect);
}

export function registerBuild(program: Command): Command {
  const command = program
    .command('build')
    .description('build a TensorRT engine (.plan) from an ONNX model')
    .argument('<model>', 'ONNX model (.onnx); external data next to it is read too')
    .option('-o, --output <path>', 'the plan to write (default: <model>.plan next to the model)')
    .option('--saveEngine <path>', 'trtexec alias of --output');
  return addBuildFlags(command)
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, options: BuildCliOptions) => {
      const output = options.output ?? options.saveEngine ?? defaultPlanPath(model);
      const settings = buildOptionsFromFlags(options);
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error('interrupted (Ctrl-C)'));
      process.once('SIGINT', onSigint);
      const bars = progressBars();
      const started = process.hrtime.bigint();
      let plan: Uint8Array;
      try {
        process.stderr.write(`building ${model} -> ${output}\n`);
        plan = await buildEngine(model, { ...settings, output, signal: controller.signal, onProgress: bars.onProgress });
      } catch (error) {
        bars.stop();
        if (isTensorRTNodeError(error, ErrorCode.BUILD_FAILED) && error.details) process.stderr.write(`${error.details}\n`);
        throw error;
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      bars.stop();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const engine = await Engine.load(plan, {
        allowHostCode: settings.versionCompatible === true && settings.excludeLeanRuntime !== true,
      });
      try {
        const io = engine.tensors.map((t) => ({ name: t.name, mode: t.mode, dtype: t.dtype, shape: t.shape }));
        const profiles = engine.profiles.map((p) => p.inputs);
        const precision = settings.precision ?? 'fp32';
        if (options.json) {
          process.stdout.write(
            `${toJson({ output, seconds, planBytes: plan.length, precision, tensors: io, profiles, ...(settings.timingCache ? { timingCache: settings.timingCache } : {}) })}\n`,
          );
          return;
        }
        const lines = [
          `wrote ${output} (${formatBytes(plan.length)}) in ${seconds.toFixed(2)} s, precision ${precision}`,
          ...io.map((t) => `  ${t.mode === 'input' ? 'input ' : 'output'} ${t.name}: ${t.dtype} ${formatShape(t.shape)}`),
          ...profiles.map(
            (p, i) =>
              `  profile ${i}: ${
                Object.entries(p)
                  .map(([name, r]) => `${name} min ${formatDims(r.min)} opt ${formatDims(r.opt)} max ${formatDims(r.max)}`)
                  .join('; ') || '(static)'
              }`,
          ),
          ...(settings.timingCache ? [`  timing cache: ${settings.timingCache}`] : []),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        engine.dispose();
      }
    });
}
