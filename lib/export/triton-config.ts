/**
 * What goes into config.pbtxt, derived from the model's tensors and the export's options: the
 * batch dim Triton adds (max_batch_size), each tensor's type and dims, dynamic_batching from the
 * batcher's own defaults, the instance group, and for ONNX models the TensorRT accelerator of
 * Triton's ONNX Runtime backend. Pure: nothing here reads or writes files.
 */
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { DEFAULT_DELAY_MS, DEFAULT_MAX_BATCH, batchesAlongFirstDim, validateDelayMs } from '../serve/batch-settings.js';
import type { TritonModelConfig, TritonPlatform, TritonTensorConfig } from './model-config.js';
import type { TritonDataType } from './triton-types.js';

/** A model tensor as the export sees it: -1 for a dim of any size. */
export interface ModelTensor {
  readonly name: string;
  readonly dataType: TritonDataType;
  readonly shape: readonly number[];
}

/** The first-dim range an engine's profile 0 (the one Triton's TensorRT backend uses) takes for every input. */
export interface BatchRange {
  readonly min: number;
  readonly opt: number;
  readonly max: number;
}

/** Runs in flight at once, as a local session keeps them (the TensorRT context pool's default size; two on the CPU). */
export const DEFAULT_INSTANCES = 2;
/** The largest value model_config.proto's int32 max_batch_size and count hold. */
const INT32_MAX = 2 ** 31 - 1;

export interface TritonConfigSpec {
  readonly name: string;
  readonly platform: TritonPlatform;
  readonly inputs: readonly ModelTensor[];
  readonly outputs: readonly ModelTensor[];
  /** Asked: 0 turns batching off; undefined: the batcher's default when the model batches, else 0. */
  readonly maxBatch?: number | undefined;
  /** Plans only: what the engine's profile 0 takes along the first dim. */
  readonly batchRange?: BatchRange | undefined;
  readonly delayUs?: number | undefined;
  readonly instances?: number | undefined;
  readonly kind: 'gpu' | 'cpu';
  /** The GPU the instances run on; all GPUs when undefined. */
  readonly device?: number | undefined;
  /** ONNX models on GPU instances: parameters of Triton's ONNX Runtime TensorRT accelerator. */
  readonly accelerator?: Readonly<Record<string, string>> | undefined;
}

export function validateMaxBatch(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > INT32_MAX)
    throw invalidArgument(`an integer from 0 to ${INT32_MAX}`, name, value);
  return value as number;
}

export function validateInstances(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > INT32_MAX)
    throw invalidArgument(`an integer from 1 to ${INT32_MAX}`, name, value);
  return value as number;
}

/** The batcher's delay check, in Triton's unit: whole microseconds. */
export function validateDelayUs(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  validateDelayMs(typeof value === 'number' ? value / 1000 : value, name);
  if (!Number.isSafeInteger(value)) throw invalidArgument('a whole number of microseconds', name, value);
  return value as number;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

/**
 * max_batch_size: Triton stacks requests along a first dim it adds itself, so batching needs every
 * input and output to have a dynamic first dim (the batcher's rule), and a plan's profile 0 to take
 * every batch from 1 up to it.
 */
export function resolveMaxBatch(spec: Pick<TritonConfigSpec, 'inputs' | 'outputs' | 'maxBatch' | 'batchRange'>): number {
  const asked = spec.maxBatch;
  if (asked === 0) return 0;
  const batches = batchesAlongFirstDim(spec.inputs, spec.outputs);
  if (!batches) {
    if (asked === undefined) return 0;
    const fixed = [...spec.inputs, ...spec.outputs].find((t) => t.shape.length === 0 || (t.shape[0] as number) >= 0);
    const why = fixed === undefined ? 'the model has no inputs' : `tensor "${fixed.name}" has shape ${formatShape(fixed.shape)}`;
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a model whose inputs and outputs all have a dynamic first dim for maxBatch ${asked} but ${why} (pass 0, or leave it out, to serve it unbatched)`,
    );
  }
  const range = spec.batchRange;
  if (range !== undefined && range.min > 1) {
    // A profile that cannot take a lone request is served as it is, unless a batch size was asked for.
    if (asked === undefined) return 0;
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected an engine whose profile 0 takes a batch of 1 for maxBatch ${asked} (Triton sends batches of any size up to max_batch_size) but its first dims start at ${range.min}; rebuild with a minimum batch of 1, or pass 0`,
    );
  }
  if (asked === undefined) return Math.min(DEFAULT_MAX_BATCH, range?.max ?? DEFAULT_MAX_BATCH);
  if (range !== undefined && asked > range.max)
    throw invalidArgument(`at most ${range.max} (the largest batch the engine's profile 0 takes)`, 'maxBatch', asked);
  return asked;
}

/** Triton wants at least one dim: a tensor without any is declared [1] and reshaped to none. */
function tensorConfig(tensor: ModelTensor, batched: boolean): TritonTensorConfig {
  const dims = batched ? tensor.shape.slice(1) : [...tensor.shape];
  const base = { name: tensor.name, data_type: tensor.dataType };
  return dims.length === 0 ? { ...base, dims: [1], reshape: { shape: [] } } : { ...base, dims };
}

/**
 * Batch sizes Triton's dynamic batcher should aim for: the engine's optimization batch (what
 * TensorRT tuned its kernels for) when it lies below the maximum, and the maximum, which is what
 * the batcher fills runs up to.
 */
function preferredBatchSizes(maxBatch: number, range: BatchRange | undefined): number[] {
  const opt = range?.opt;
  return opt !== undefined && opt > 1 && opt < maxBatch ? [opt, maxBatch] : [maxBatch];
}

export function tritonModelConfig(spec: TritonConfigSpec): TritonModelConfig {
  const maxBatch = resolveMaxBatch(spec);
  const batched = maxBatch > 0;
  if (spec.platform === 'tensorrt_plan' && spec.kind !== 'gpu')
    throw invalidArgument("'gpu' (TensorRT plans run on GPUs only)", 'instanceKind', spec.kind);
  const delayUs = validateDelayUs(spec.delayUs, 'dynamicBatchingDelayUs') ?? Math.round(DEFAULT_DELAY_MS * 1000);
  const accelerator =
    spec.platform === 'onnxruntime_onnx' && spec.kind === 'gpu' && spec.accelerator !== undefined ? spec.accelerator : undefined;
  return {
    name: spec.name,
    platform: spec.platform,
    max_batch_size: maxBatch,
    input: spec.inputs.map((t) => tensorConfig(t, batched)),
    output: spec.outputs.map((t) => tensorConfig(t, batched)),
    ...(batched
      ? {
          dynamic_batching: { preferred_batch_size: preferredBatchSizes(maxBatch, spec.batchRange), max_queue_delay_microseconds: delayUs },
        }
      : {}),
    instance_group: [
      {
        count: validateInstances(spec.instances, 'instances') ?? DEFAULT_INSTANCES,
        kind: spec.kind === 'gpu' ? 'KIND_GPU' : 'KIND_CPU',
        ...(spec.device !== undefined && spec.kind === 'gpu' ? { gpus: [spec.device] } : {}),
      },
    ],
    ...(accelerator !== undefined
      ? {
          optimization: {
            execution_accelerators: {
              gpu_execution_accelerator: [
                { name: 'tensorrt', ...(Object.keys(accelerator).length > 0 ? { parameters: { ...accelerator } } : {}) },
              ],
            },
          },
        }
      : {}),
  };
}
