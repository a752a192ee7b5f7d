/**
 * exportTriton: a model as a Triton Inference Server model repository entry,
 *
 *   <repo>/<name>/config.pbtxt
 *   <repo>/<name>/1/model.plan   a TensorRT engine built here for this GPU (or the .plan given), or
 *   <repo>/<name>/1/model.onnx   where TensorRT cannot build here: the ONNX model (rewritten when a
 *                                precision is asked), for Triton's ONNX Runtime backend with its
 *                                TensorRT accelerator, plus model.onnx.data when the weights are external
 *
 * `reason` says which was chosen and why, as a session's fallbackReason does. The folder appears whole
 * or not at all (see model-folder.ts).
 */
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

import { backends } from '../backends/availability.js';
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import { type ModelProto, allInitializers, decodeModel, loadModel, saveModel } from '../onnx/index.js';
import { isExternal } from '../onnx/tensor-data.js';
import { DEFAULT_MAX_BATCH, batchesAlongFirstDim } from '../serve/batch-settings.js';
import {
  type BuildEngineOptions,
  type BuildProgress,
  type EngineBuildSettings,
  normalizeBuildSettings,
} from '../tensorrt/build-options.js';
import { BUILD_SHAPING_OPTIONS, ENGINE_SHAPING_OPTIONS } from '../tensorrt/build-options.js';
import { buildEngine } from '../tensorrt/builder.js';
import { Engine } from '../tensorrt/engine.js';
import { applyPrecision } from '../tensorrt/precision.js';
import { type Profile, defaultProfile, modelInputs } from '../tensorrt/profiles.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readRegularFile } from '../util/regular-file.js';
import { isPlainObject, validateEnum, validateSignal } from '../validate.js';
import { type TritonModelConfig, type TritonPlatform, formatModelConfig } from './model-config.js';
import { type ModelFolder, prepareModelFolder, validateModelName, writeModelFolder } from './model-folder.js';
import { engineTensors, onnxTensors } from './model-tensors.js';
import {
  type BatchRange,
  type ModelTensor,
  resolveMaxBatch,
  tritonModelConfig,
  validateDelayUs,
  validateInstances,
  validateMaxBatch,
} from './triton-config.js';

export type TritonModelFormat = 'plan' | 'onnx';

export interface TritonExportOptions extends EngineBuildSettings {
  /** The model repository folder (created when absent). */
  repo: string;
  /** The model's name and folder; default the model file's name without its extension. */
  name?: string;
  /** Triton's max_batch_size: 0 serves the model unbatched; default 32 (the batcher's) when the model batches, else 0. */
  maxBatch?: number;
  /** Instances (execution contexts) in the instance group; default 2, the runs a local session keeps in flight. */
  instances?: number;
  /** Where the instances run; default 'gpu'. TensorRT plans run on GPUs only. */
  instanceKind?: 'gpu' | 'cpu';
  /** dynamic_batching's max_queue_delay_microseconds; default the batcher's maxDelayMs (2 ms). */
  dynamicBatchingDelayUs?: number;
  /** 'auto' (default): a plan when TensorRT can build here, else ONNX. */
  format?: 'auto' | TritonModelFormat;
  /** The GPU to build on and to serve from (instance_group's gpus); default: build on 0, serve on every GPU. */
  device?: number;
  /** Replace a model folder that already holds files. */
  force?: boolean;
  /** Plans: a timing cache file shared by builds. */
  timingCache?: string;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
}

export interface TritonExportResult {
  /** `<repo>/<name>` (the repository's real path). */
  readonly path: string;
  readonly configPath: string;
  /** The model file in version folder 1. */
  readonly modelPath: string;
  readonly format: TritonModelFormat;
  readonly platform: TritonPlatform;
  /** Why this format: what was found about TensorRT here, or what was asked. */
  readonly reason: string;
  /** Options given that the chosen format does not use (engine build options for an ONNX export). */
  readonly unused: readonly string[];
  readonly config: TritonModelConfig;
}

const PLAN_EXTENSIONS = ['.plan', '.engine'];
/** Triton's ONNX Runtime backend spells precision_mode this way (FP32 is its default). */
const PRECISION_MODES = { fp16: 'FP16', int8: 'INT8', best: 'INT8' } as const;

function given(options: TritonExportOptions, keys: readonly (keyof TritonExportOptions)[]): string[] {
  return keys.filter((key) => options[key] !== undefined && options[key] !== false && !(key === 'precision' && options[key] === 'fp32'));
}

interface Choice {
  format: TritonModelFormat;
  reason: string;
}

async function chooseFormat(isPlan: boolean, asked: 'auto' | TritonModelFormat): Promise<Choice> {
  if (isPlan && asked === 'onnx') throw invalidArgument("'plan' or 'auto' (the model is a TensorRT plan)", 'options.format', asked);
  if (asked === 'onnx') return { format: 'onnx', reason: 'format onnx was asked for' };
  const tensorrt = (await backends()).tensorrt;
  if (isPlan) {
    // The config lists the plan's tensors, which only TensorRT can read from it.
    if (!tensorrt.available)
      throw new TensorRTNodeError(
        ErrorCode.BACKEND_UNAVAILABLE,
        `Expected TensorRT to read the plan's tensors here but it cannot: ${tensorrt.summary ?? tensorrt.reason ?? 'unknown reason'}`,
        { details: tensorrt.reason ?? '' },
      );
    return { format: 'plan', reason: 'the model is a TensorRT plan: copied as it is' };
  }
  const builds = tensorrt.available && tensorrt.builder.available;
  const why = !tensorrt.available ? (tensorrt.summary ?? tensorrt.reason ?? 'unknown reason') : "TensorRT's builder library is missing.";
  if (builds)
    return {
      format: 'plan',
      reason: `${tensorrt.version === undefined ? 'TensorRT' : `TensorRT ${tensorrt.version}`} builds engines here: model.plan is built for this machine's GPU`,
    };
  if (asked === 'plan')
    throw new TensorRTNodeError(ErrorCode.BACKEND_UNAVAILABLE, `Expected TensorRT to build model.plan here but it cannot: ${why}`, {
      details: tensorrt.reason ?? why,
    });
  return {
    format: 'onnx',
    reason: `TensorRT cannot build engines here (${why.replace(/\.$/, '')}): model.onnx is exported for Triton's ONNX Runtime backend with its TensorRT accelerator`,
  };
}

/**
 * The profile for a model dynamic only in its first dim: batches 1..maxBatch, tuned for maxBatch,
 * since Triton's dynamic batcher fills runs up to it under load.
 */
function batchProfile(
  bytes: Uint8Array,
  tensors: { inputs: ModelTensor[]; outputs: ModelTensor[] },
  maxBatch: number | undefined,
): Profile[] | undefined {
  if (maxBatch === 0 || !batchesAlongFirstDim(tensors.inputs, tensors.outputs)) return undefined;
  const fallback = defaultProfile(modelInputs(bytes));
  if (fallback === undefined) return undefined;
  const size = maxBatch ?? DEFAULT_MAX_BATCH;
  const profile: Profile = Object.fromEntries(
    Object.entries(fallback).map(([name, range]) => {
      const rest = range.min.slice(1);
      return [name, { min: [1, ...rest], opt: [size, ...rest], max: [size, ...rest] }];
    }),
  );
  return [profile];
}

function hasExternalData(model: ModelProto): boolean {
  return model.graph !== undefined && [...allInitializers(model.graph)].some(isExternal);
}

interface Written {
  file: string;
  tensors: { inputs: ModelTensor[]; outputs: ModelTensor[] };
  batchRange?: BatchRange | undefined;
}

async function describePlan(
  plan: Uint8Array,
  options: TritonExportOptions,
): Promise<Written['tensors'] & { batchRange: BatchRange | undefined }> {
  const engine = await Engine.load(plan, {
    allowHostCode: options.versionCompatible === true && options.excludeLeanRuntime !== true,
    ...(options.device !== undefined ? { device: options.device } : {}),
  });
  try {
    return engineTensors(engine);
  } finally {
    engine.dispose();
  }
}

/** Writes an ONNX model into the version folder so that it needs nothing outside it. */
async function writeOnnx(
  model: string,
  proto: ModelProto,
  version: string,
  options: TritonExportOptions,
  precision: string,
): Promise<Written> {
  const file = join(version, 'model.onnx');
  if (precision === 'fp32') {
    // External data is gathered into one file beside model.onnx, wherever the source kept it.
    if (hasExternalData(proto)) await saveModel(proto, file, { externalData: { location: 'model.onnx.data' } });
    else await writeFileAtomic(file, await readRegularFile(model, { what: 'ONNX model file', code: ErrorCode.MODEL_LOAD }));
    return { file, tensors: onnxTensors(proto) };
  }
  // The same rewrite as an engine build's: every weight inline, float32 I/O kept.
  const bytes = (await applyPrecision(model, options.precision ?? 'fp32', options.calibration, options.signal)) as Uint8Array;
  await writeFileAtomic(file, bytes);
  return { file, tensors: onnxTensors(decodeModel(bytes)) };
}

/** The engine builder's share of the export's options. */
function buildOptions(options: TritonExportOptions, profiles: Profile[] | undefined): BuildEngineOptions {
  const keys = [...BUILD_SHAPING_OPTIONS, 'device', 'onProgress', 'signal'] as const;
  const picked = Object.fromEntries(keys.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
  return { ...picked, ...(profiles !== undefined ? { profiles } : {}) } as BuildEngineOptions;
}

/** Builds model.plan here (or copies the plan given) and reads its tensors back from the engine. */
async function writePlan(
  model: string,
  isPlan: boolean,
  version: string,
  options: TritonExportOptions,
  sourceTensors: Written['tensors'] | undefined,
  maxBatch: number | undefined,
): Promise<Written> {
  let plan: Uint8Array;
  if (isPlan) {
    plan = new Uint8Array(await readRegularFile(model, { what: 'TensorRT plan file', code: ErrorCode.MODEL_LOAD }));
  } else {
    const bytes = new Uint8Array(await readRegularFile(model, { what: 'ONNX model file', code: ErrorCode.MODEL_LOAD }));
    const profiles =
      options.profiles === undefined && options.shapes === undefined
        ? batchProfile(bytes, sourceTensors as Written['tensors'], maxBatch)
        : undefined;
    plan = await buildEngine(model, buildOptions(options, profiles));
  }
  const described = await describePlan(plan, options);
  const file = join(version, 'model.plan');
  await writeFileAtomic(file, plan);
  return { file, tensors: { inputs: described.inputs, outputs: described.outputs }, batchRange: described.batchRange };
}

/** Exports `model` (an ONNX model or a TensorRT plan file) into a Triton model repository. */
export async function exportTriton(model: string, options: TritonExportOptions): Promise<TritonExportResult> {
  if (typeof model !== 'string' || model === '') throw invalidArgument('a model file path (.onnx or .plan)', 'model', model);
  if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
  const isPlan = PLAN_EXTENSIONS.includes(extname(model).toLowerCase());
  const name = validateModelName(
    options.name ?? basename(model, extname(model)),
    options.name === undefined ? 'the model name (from the file name; pass options.name)' : 'options.name',
  );
  const maxBatch = validateMaxBatch(options.maxBatch, 'options.maxBatch');
  validateInstances(options.instances, 'options.instances');
  validateDelayUs(options.dynamicBatchingDelayUs, 'options.dynamicBatchingDelayUs');
  const kind = validateEnum(options.instanceKind, ['gpu', 'cpu'] as const, 'options.instanceKind') ?? 'gpu';
  const asked = validateEnum(options.format, ['auto', 'plan', 'onnx'] as const, 'options.format') ?? 'auto';
  if (options.force !== undefined && typeof options.force !== 'boolean') throw invalidArgument('a boolean', 'options.force', options.force);
  if (options.device !== undefined && (!Number.isSafeInteger(options.device) || options.device < 0))
    throw invalidArgument('a non-negative integer device index', 'options.device', options.device);
  validateSignal(options.signal);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw invalidArgument('a function', 'options.onProgress', options.onProgress);
  const settings = normalizeBuildSettings(options, 'options');
  if (isPlan) {
    const built = given(options, BUILD_SHAPING_OPTIONS);
    if (built.length > 0)
      throw invalidArgument('no build options (the plan is built already)', 'options', `a TensorRT plan with ${built.join(', ')}`);
  }
  if (options.signal?.aborted) throw abortError(options.signal);
  const choice = await chooseFormat(isPlan, asked);
  if (choice.format === 'plan' && kind === 'cpu')
    throw invalidArgument("'gpu' (TensorRT plans run on GPUs only)", 'options.instanceKind', kind);
  // Read before any work: an ONNX model with a type or a rank Triton cannot declare is refused now.
  const proto = isPlan ? undefined : await loadModel(model);
  const sourceTensors = proto === undefined ? undefined : onnxTensors(proto);
  // A batch size the model cannot take is refused before anything is built (the engine is checked again after).
  if (sourceTensors !== undefined) resolveMaxBatch({ ...sourceTensors, maxBatch });
  const force = options.force ?? false;
  const folder: ModelFolder = await prepareModelFolder(options.repo, name, force);

  let written: Written | undefined;
  let config: TritonModelConfig | undefined;
  await writeModelFolder(folder, force, async (dir) => {
    const version = join(dir, '1');
    await mkdir(version);
    written =
      choice.format === 'onnx'
        ? await writeOnnx(model, proto as ModelProto, version, options, settings.precision)
        : await writePlan(model, isPlan, version, options, sourceTensors, maxBatch);
    const precisionMode = settings.precision === 'fp32' ? undefined : PRECISION_MODES[settings.precision];
    config = tritonModelConfig({
      name,
      platform: choice.format === 'plan' ? 'tensorrt_plan' : 'onnxruntime_onnx',
      inputs: written.tensors.inputs,
      outputs: written.tensors.outputs,
      maxBatch,
      batchRange: written.batchRange,
      delayUs: options.dynamicBatchingDelayUs,
      instances: options.instances,
      kind,
      device: options.device,
      accelerator: {
        ...(precisionMode !== undefined ? { precision_mode: precisionMode } : {}),
        ...(settings.workspace !== undefined ? { max_workspace_size_bytes: String(settings.workspace) } : {}),
      },
    });
    await writeFileAtomic(join(dir, 'config.pbtxt'), new TextEncoder().encode(formatModelConfig(config)));
  });
  const done = written as unknown as Written;
  const final = config as unknown as TritonModelConfig;
  return {
    path: folder.path,
    configPath: join(folder.path, 'config.pbtxt'),
    modelPath: join(folder.path, '1', basename(done.file)),
    format: choice.format,
    platform: final.platform,
    reason: choice.reason,
    unused: choice.format === 'onnx' ? given(options, ENGINE_SHAPING_OPTIONS) : [],
    config: final,
  };
}
