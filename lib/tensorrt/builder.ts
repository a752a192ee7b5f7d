/**
 * buildEngine: ONNX model -> TensorRT plan. Options are checked here (profiles against the model's
 * inputs) before anything native runs; precision is applied by rewriting the model (lib/optimize);
 * the native build runs on a thread of its own, reports progress and stops when `signal` aborts.
 */
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';

import { type NativeBuildOptions, requireBinding } from '../binding.js';
import { deviceIndex } from '../cuda/validate.js';
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument, isTensorRTNodeError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readRegularFile } from '../util/regular-file.js';
import { type BuildEngineOptions, type BuildProgress, type NormalizedBuildSettings, normalizeBuildSettings } from './build-options.js';
import { applyPrecision } from './precision.js';
import { type Profile, modelInputs, resolveProfiles } from './profiles.js';
import { loadTimingCache, saveTimingCache } from './timing-cache-file.js';

export type { BuildEngineOptions, BuildProgress, EngineBuildSettings, HardwareCompatibility, Precision } from './build-options.js';

/** A build's inputs after checking: what the engine cache hashes and the native builder receives. */
export interface PreparedBuild {
  readonly settings: NormalizedBuildSettings;
  readonly profiles: readonly Profile[];
  /** Absolute path of the model file, when it came from one (the parser finds external data next to it). */
  readonly modelPath: string | undefined;
  readonly bytes: Uint8Array;
}

function checkOptionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw invalidArgument('a file path', name, value);
  return value;
}

/** Reads the model and checks every option against it; nothing native runs. */
export async function prepareBuild(
  model: string | Uint8Array,
  options: BuildEngineOptions,
  optionName = 'options',
): Promise<PreparedBuild> {
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) throw invalidArgument('a file path or a Uint8Array', 'model', model);
  const settings = normalizeBuildSettings(options, optionName);
  const modelPath = typeof model === 'string' ? resolve(model) : undefined;
  // Only a regular file, read no further than it holds (never a FIFO or a device).
  const bytes =
    typeof model === 'string'
      ? new Uint8Array(await readRegularFile(model, { what: 'ONNX model file', code: ErrorCode.MODEL_LOAD }))
      : model;
  const profiles = resolveProfiles(modelInputs(bytes), options.profiles, options.shapes, optionName);
  return { settings, profiles, modelPath, bytes };
}

/** The target of an output file must be absent or a regular file (never a device, FIFO or link). */
async function checkOutputTarget(path: string, name: string): Promise<void> {
  try {
    const info = await lstat(path);
    if (!info.isFile()) throw invalidArgument('a path to a regular file (or to nothing yet)', name, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function progressRelay(onProgress: ((progress: BuildProgress) => void) | undefined) {
  if (onProgress === undefined) return undefined;
  const phases = new Map<string, { parent: string | undefined; steps: number }>();
  return (kind: 'start' | 'step' | 'finish', phase: string, parent: string, value: number): void => {
    if (kind === 'start') phases.set(phase, { parent: parent === '' ? undefined : parent, steps: value });
    const known = phases.get(phase) ?? { parent: undefined, steps: 0 };
    if (kind === 'finish') phases.delete(phase);
    const step = kind === 'start' ? 0 : kind === 'step' ? value + 1 : known.steps;
    try {
      onProgress({ kind, phase, parent: known.parent, step, steps: known.steps });
    } catch (error) {
      // A throwing callback must not take the build down with an uncaught exception on the native thread's behalf.
      process.emitWarning(`onProgress threw: ${String(error)}`, 'TensorRTNodeWarning');
    }
  };
}

/** Runs a prepared build: precision rewrite, native build, timing cache and output file. */
export async function runBuild(prepared: PreparedBuild, options: BuildEngineOptions): Promise<Uint8Array> {
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgument('an AbortSignal', 'options.signal', signal);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw invalidArgument('a function', 'options.onProgress', options.onProgress);
  const output = checkOptionalString(options.output, 'options.output');
  const timingCachePath = checkOptionalString(options.timingCache, 'options.timingCache');
  if (output !== undefined) await checkOutputTarget(output, 'options.output');
  const binding = requireBinding();
  if (binding.buildEngine === undefined) {
    throw new TensorRTNodeError(ErrorCode.BACKEND_UNAVAILABLE, 'The native addon was built without TensorRT headers');
  }
  if (signal?.aborted) throw abortError(signal);

  const { settings } = prepared;
  const source = prepared.modelPath ?? prepared.bytes;
  const rewritten = await applyPrecision(source, settings.precision, options.calibration, signal);
  const onnx = typeof rewritten === 'string' ? prepared.bytes : rewritten;
  if (signal?.aborted) throw abortError(signal);
  const timingCache = timingCachePath === undefined ? undefined : await loadTimingCache(timingCachePath);

  const nativeOptions: NativeBuildOptions = {
    profiles: prepared.profiles,
    device: deviceIndex(options.device, 'options.device'),
    hardwareCompatibility: settings.hardwareCompatibility,
    versionCompatible: settings.versionCompatible,
    excludeLeanRuntime: settings.excludeLeanRuntime,
    sparsity: settings.sparsity,
    plugins: settings.plugins,
    ...(settings.workspace !== undefined ? { workspaceBytes: settings.workspace } : {}),
    ...(settings.optimizationLevel !== undefined ? { optimizationLevel: settings.optimizationLevel } : {}),
    ...(settings.maxAuxStreams !== undefined ? { maxAuxStreams: settings.maxAuxStreams } : {}),
    ...(timingCache !== undefined ? { timingCache } : {}),
    ...(prepared.modelPath !== undefined ? { modelPath: prepared.modelPath } : {}),
  };
  const job = binding.buildEngine(onnx, nativeOptions, progressRelay(options.onProgress));
  const cancel = (): void => job.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  let result;
  try {
    result = await job.promise;
  } catch (error) {
    if (signal?.aborted && isTensorRTNodeError(error, ErrorCode.ABORTED)) throw abortError(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
  for (const warning of result.warnings) process.emitWarning(warning, 'TensorRTNodeWarning');
  if (timingCachePath !== undefined && timingCache !== undefined && result.timingCache !== undefined)
    await saveTimingCache(timingCachePath, timingCache, result.timingCache);
  if (output !== undefined) await writeFileAtomic(output, result.plan);
  return result.plan;
}

/**
 * Builds a TensorRT plan from an ONNX model (a path, which lets the parser read external data
 * next to it, or the model's bytes). Resolves to the plan's bytes; `output` also writes them to a
 * file atomically.
 */
export async function buildEngine(model: string | Uint8Array, options: BuildEngineOptions = {}): Promise<Uint8Array> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('an options object', 'options', options);
  const prepared = await prepareBuild(model, options);
  return runBuild(prepared, options);
}
