/**
 * The engine builder's options: what users pass to buildEngine (and InferenceSession's `tensorrt`
 * options, and `tensorrt-node build`), checked and normalised once. The normalised form is also
 * what the engine cache hashes into its key.
 */
import { isAbsolute, resolve } from 'node:path';

import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import type { Feeds } from '../optimize/feeds.js';
import type { ProfileRange } from './engine.js';

export type Precision = 'fp32' | 'fp16' | 'int8' | 'best';

/** Build options that shape the engine itself (none applies to an ONNX model served as it is). */
export const ENGINE_SHAPING_OPTIONS = [
  'profiles',
  'shapes',
  'optimizationLevel',
  'hardwareCompatibility',
  'versionCompatible',
  'excludeLeanRuntime',
  'sparsity',
  'maxAuxStreams',
  'plugins',
  'timingCache',
] as const;
/** Options that shape a build at all: none applies to a plan that is built already. */
export const BUILD_SHAPING_OPTIONS = [...ENGINE_SHAPING_OPTIONS, 'precision', 'calibration', 'workspace'] as const;
export type HardwareCompatibility = 'none' | 'ampere+' | 'same-compute-capability';

export interface BuildProgress {
  /** 'start' when a phase begins, 'step' when one of its steps completes, 'finish' when it ends. */
  readonly kind: 'start' | 'step' | 'finish';
  readonly phase: string;
  /** The enclosing phase, undefined for a top-level phase. */
  readonly parent: string | undefined;
  /** Steps completed so far. */
  readonly step: number;
  readonly steps: number;
}

/** Options that shape the engine (and so the cache key). */
export interface EngineBuildSettings {
  /**
   * 'fp32' (default): the model as it is. 'fp16': converted with convertToFloat16. 'int8': Q/DQ from
   * quantizeInt8 with `calibration`. 'best': int8 where quantizable, fp16 elsewhere. Networks are
   * strongly typed, so precision comes from the rewritten model, the same on TensorRT 10 and 11.
   */
  precision?: Precision;
  /** int8/best: calibration samples, as quantizeInt8 takes them (a directory of .npy files or feeds). */
  calibration?: AsyncIterable<Feeds> | Iterable<Feeds> | string;
  /** Optimization profiles: per input, min/opt/max dims. */
  profiles?: readonly Readonly<Record<string, ProfileRange>>[];
  /** Shorthand for one fixed profile: input name -> dims. */
  shapes?: Readonly<Record<string, readonly number[]>>;
  /** Workspace memory pool limit in bytes. */
  workspace?: number;
  /** Builder optimization level 0-5 (TensorRT's default 3). */
  optimizationLevel?: number;
  hardwareCompatibility?: HardwareCompatibility;
  /** Version-compatible plan (embeds the lean runtime unless excludeLeanRuntime; load with allowHostCode). */
  versionCompatible?: boolean;
  excludeLeanRuntime?: boolean;
  /** Let TensorRT use 2:4 structured-sparse weights. */
  sparsity?: boolean;
  /** Most auxiliary streams an engine may use. */
  maxAuxStreams?: number;
  /** Plugin libraries to load before parsing. */
  plugins?: readonly string[];
}

export interface BuildEngineOptions extends EngineBuildSettings {
  /** The CUDA device (an index from devices()) the builder times tactics on and builds for. Default 0. */
  device?: number;
  /** A timing cache file: loaded before the build (if present), saved with the new timings atomically after. */
  timingCache?: string;
  /** Also write the plan here, atomically. */
  output?: string;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
}

/** Settings after checking: defaults filled in, paths absolute. */
export interface NormalizedBuildSettings {
  readonly precision: Precision;
  readonly workspace: number | undefined;
  readonly optimizationLevel: number | undefined;
  readonly hardwareCompatibility: HardwareCompatibility;
  readonly versionCompatible: boolean;
  readonly excludeLeanRuntime: boolean;
  readonly sparsity: boolean;
  readonly maxAuxStreams: number | undefined;
  readonly plugins: readonly string[];
}

const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8', 'best'];
const HARDWARE: readonly HardwareCompatibility[] = ['none', 'ampere+', 'same-compute-capability'];

function optionalBoolean(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidArgument('a boolean', name, value);
  return value;
}

function optionalInteger(value: unknown, name: string, min: number, max: number, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) throw invalidArgument(what, name, value);
  return value as number;
}

export function normalizeBuildSettings(options: EngineBuildSettings, optionName: string): NormalizedBuildSettings {
  const precision = options.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision))
    throw invalidArgument(`one of ${PRECISIONS.map((p) => `'${p}'`).join(', ')}`, `${optionName}.precision`, precision);
  if ((precision === 'int8' || precision === 'best') && options.calibration === undefined) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected calibration samples (a directory of .npy files or an iterable of feeds) for ${optionName}.calibration but received undefined (precision '${precision}' needs them)`,
    );
  }
  const hardware = options.hardwareCompatibility ?? 'none';
  if (!HARDWARE.includes(hardware))
    throw invalidArgument(`one of ${HARDWARE.map((h) => `'${h}'`).join(', ')}`, `${optionName}.hardwareCompatibility`, hardware);
  const versionCompatible = optionalBoolean(options.versionCompatible, `${optionName}.versionCompatible`);
  const excludeLeanRuntime = optionalBoolean(options.excludeLeanRuntime, `${optionName}.excludeLeanRuntime`);
  if (excludeLeanRuntime && !versionCompatible) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected versionCompatible: true (it applies to version-compatible plans only) for ${optionName}.excludeLeanRuntime but received versionCompatible ${String(options.versionCompatible)}`,
    );
  }
  const plugins = options.plugins ?? [];
  if (!Array.isArray(plugins) || !plugins.every((p) => typeof p === 'string' && p !== '')) {
    throw invalidArgument('an array of plugin library paths', `${optionName}.plugins`, plugins);
  }
  return {
    precision,
    workspace: optionalInteger(
      options.workspace,
      `${optionName}.workspace`,
      1,
      Number.MAX_SAFE_INTEGER,
      'a positive integer number of bytes',
    ),
    optimizationLevel: optionalInteger(options.optimizationLevel, `${optionName}.optimizationLevel`, 0, 5, 'an integer from 0 to 5'),
    hardwareCompatibility: hardware,
    versionCompatible,
    excludeLeanRuntime,
    sparsity: optionalBoolean(options.sparsity, `${optionName}.sparsity`),
    maxAuxStreams: optionalInteger(options.maxAuxStreams, `${optionName}.maxAuxStreams`, 0, 1024, 'a non-negative integer'),
    // Bare names go to the dynamic loader's search path, as dlopen does; relative paths are made absolute.
    plugins: plugins.map((p: string) => (isAbsolute(p) || !p.includes('/') ? p : resolve(p))),
  };
}
