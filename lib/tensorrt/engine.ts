/**
 * Engine: a TensorRT engine (plan file) loaded through the native addon. Loading reads the file
 * and deserializes on the libuv pool. TensorRT decides whether the plan loads; its log and the plan
 * header word a refusal: ERR_ENGINE_CORRUPT for data that is not a usable plan,
 * ERR_ENGINE_INCOMPATIBLE for a plan of another release (naming both), another GPU model, a missing
 * plugin or host code not allowed. The metadata (I/O tensors, profiles, memory) is read once at load.
 */
import { readFile } from 'node:fs/promises';

import { type NativeEngine, type NativeEngineMetadata, type NativeExecutionContext, requireBinding } from '../binding.js';
import { type DType, dtypeFromTensorRT } from '../dtype.js';
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import { formatDims, formatShape } from '../tensor.js';
import { deviceIndex } from '../cuda/validate.js';

export interface EngineLoadOptions {
  /**
   * Allow plans that embed host code (engines built version-compatible). TensorRT runs that code
   * in this process, so only enable it for plans you trust.
   */
  allowHostCode?: boolean;
  /**
   * The CUDA device (an index from devices()) the engine is deserialized on. Its contexts, their
   * streams and memory live there too. Default 0.
   */
  device?: number;
  signal?: AbortSignal;
}

export type DeviceMemoryMode = 'static' | 'on-demand' | 'auto';
const DEVICE_MEMORY_MODES: readonly unknown[] = ['static', 'on-demand', 'auto'];

export interface ContextOptions {
  /** Capture a run into a CUDA graph and replay it for later runs of the same shapes. */
  cudaGraph?: boolean;
  /**
   * TensorRT's device memory of each context: 'static' (allocated at creation for the largest
   * profile), 'on-demand' (provided by the context, grown to what the shapes run so far need) or
   * 'auto' (default: on-demand for engines with dynamic input shapes, static otherwise).
   */
  deviceMemory?: DeviceMemoryMode;
}

export interface EngineTensor {
  readonly name: string;
  readonly mode: 'input' | 'output';
  readonly dtype: DType;
  /** nvinfer1::DataType name, e.g. "kFLOAT". */
  readonly tensorrtType: string;
  /** -1 for dimensions fixed at run time. */
  readonly shape: readonly number[];
  /** TensorRT's description of the memory layout. */
  readonly format: string;
  /** Where TensorRT reads or writes it: shape tensors (e.g. a Reshape's target shape) live on the host. */
  readonly location: 'host' | 'device';
  /** For an output TensorRT writes into an input's memory (an in-place update such as a KV cache): that input. */
  readonly aliasOf?: string;
}

/** min/opt/max dims of one input in one optimization profile. */
export interface ProfileRange {
  readonly min: readonly number[];
  readonly opt: readonly number[];
  readonly max: readonly number[];
  /**
   * For a shape tensor input (one whose values decide shapes, e.g. a Reshape's target shape): the
   * least, typical and greatest values, element by element in row-major order (-1 where the input
   * may hold Reshape's wildcard). TensorRT needs them in every profile to build such a model.
   */
  readonly values?: ShapeValueRange;
}

/** min/opt/max values of a shape tensor input, one number per element. */
export interface ShapeValueRange {
  readonly min: readonly number[];
  readonly opt: readonly number[];
  readonly max: readonly number[];
}

export interface EngineProfile {
  readonly index: number;
  /** Input name -> min/opt/max dims. */
  readonly inputs: Readonly<Record<string, ProfileRange>>;
}

function checkAbort(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

function describeTensors(metadata: NativeEngineMetadata): EngineTensor[] {
  return metadata.tensors.map((tensor) => {
    const dtype = dtypeFromTensorRT(tensor.dtype);
    if (dtype === undefined) {
      throw new TensorRTNodeError(
        ErrorCode.UNSUPPORTED,
        `Tensor "${tensor.name}" of the engine has TensorRT type ${tensor.dtype}, which has no TypedArray; rebuild the engine with float32, float16, int8, int32, int64, uint8 or bool I/O`,
      );
    }
    if (!tensor.linear) {
      throw new TensorRTNodeError(
        ErrorCode.UNSUPPORTED,
        `Tensor "${tensor.name}" of the engine uses the vectorized layout "${tensor.format}"; tensorrt-node passes row-major (kLINEAR) I/O only`,
      );
    }
    const described: EngineTensor = {
      name: tensor.name,
      mode: tensor.mode,
      dtype,
      tensorrtType: tensor.dtype,
      shape: tensor.shape,
      format: tensor.format,
      location: tensor.location,
    };
    return tensor.aliasOf === undefined ? described : { ...described, aliasOf: tensor.aliasOf };
  });
}

export class Engine {
  readonly tensors: readonly EngineTensor[];
  readonly inputs: readonly EngineTensor[];
  readonly outputs: readonly EngineTensor[];
  readonly profiles: readonly EngineProfile[];
  /** Device memory TensorRT needs per execution context for activations, in bytes (the most of any profile). */
  readonly deviceMemorySize: number;
  /** The same, per optimization profile. */
  readonly deviceMemorySizePerProfile: readonly number[];
  /** The loaded TensorRT library's version. */
  readonly tensorrtVersion: string;
  readonly name: string;
  readonly layers: number;
  #native: NativeEngine | undefined;

  /** The CUDA device the engine lives on. */
  readonly device: number;

  private constructor(native: NativeEngine, device: number) {
    const metadata = native.metadata();
    this.device = device;
    this.#native = native;
    this.tensors = Object.freeze(describeTensors(metadata));
    this.inputs = Object.freeze(this.tensors.filter((t) => t.mode === 'input'));
    this.outputs = Object.freeze(this.tensors.filter((t) => t.mode === 'output'));
    this.profiles = Object.freeze(metadata.profiles.map((inputs, index) => ({ index, inputs })));
    this.deviceMemorySize = metadata.deviceMemorySize;
    this.deviceMemorySizePerProfile = Object.freeze([...metadata.deviceMemorySizePerProfile]);
    this.tensorrtVersion = metadata.tensorrtVersion;
    this.name = metadata.name;
    this.layers = metadata.layers;
  }

  /** Loads a plan from a file path or from its bytes (used in place, not copied). */
  static async load(source: string | Uint8Array, options: EngineLoadOptions = {}): Promise<Engine> {
    if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
      throw invalidArgument('a file path or a Uint8Array of plan bytes', 'source', source);
    }
    if (typeof options !== 'object' || options === null) throw invalidArgument('an options object', 'options', options);
    if (options.allowHostCode !== undefined && typeof options.allowHostCode !== 'boolean') {
      throw invalidArgument('a boolean', 'options.allowHostCode', options.allowHostCode);
    }
    const binding = requireBinding();
    const device = deviceIndex(options.device, 'options.device');
    if (!binding.tensorrtHeaders || binding.loadEngine === undefined) {
      throw new TensorRTNodeError(
        ErrorCode.BACKEND_UNAVAILABLE,
        'The native addon was built without TensorRT headers; rebuild it with TENSORRT_INCLUDE pointing at TensorRT 10 or 11 headers (npm run build:native)',
      );
    }
    checkAbort(options.signal, 'Engine.load');
    let bytes: Uint8Array;
    if (typeof source === 'string') {
      try {
        bytes = await readFile(source, { signal: options.signal });
      } catch (error) {
        checkAbort(options.signal, 'Engine.load');
        throw new TensorRTNodeError(ErrorCode.IO, `Could not read the plan file ${source}: ${(error as Error).message}`, { cause: error });
      }
    } else {
      bytes = source;
    }
    const native = await binding.loadEngine(bytes, options.allowHostCode ?? false, device);
    if (options.signal?.aborted) {
      native.dispose();
      checkAbort(options.signal, 'Engine.load');
    }
    try {
      return new Engine(native, device);
    } catch (error) {
      native.dispose();
      throw error;
    }
  }

  get disposed(): boolean {
    return this.#native === undefined;
  }

  /**
   * A new execution context with its own CUDA stream (for ContextPool). `deviceMemory: 'auto'`
   * (the default) gives contexts of engines with dynamic shapes on-demand memory, which holds
   * what the shapes run so far need instead of what the largest profile could.
   * @internal the native context is the TensorRT backend's to drive; sessions run engines.
   */
  createContext(options: ContextOptions = {}): NativeExecutionContext {
    if (this.#native === undefined) throw new TensorRTNodeError(ErrorCode.DISPOSED, 'The engine was disposed');
    if (options.cudaGraph !== undefined && typeof options.cudaGraph !== 'boolean') {
      throw invalidArgument('a boolean', 'options.cudaGraph', options.cudaGraph);
    }
    const memory = options.deviceMemory ?? 'auto';
    if (!DEVICE_MEMORY_MODES.includes(memory))
      throw invalidArgument(`one of ${DEVICE_MEMORY_MODES.map((m) => `'${m}'`).join(', ')}`, 'options.deviceMemory', memory);
    return this.#native.createContext({
      cudaGraph: options.cudaGraph ?? false,
      deviceMemory: memory === 'auto' ? this.#autoMemory() : memory,
    });
  }

  /** On-demand memory saves where the shapes a context runs can need less than the largest profile. */
  #autoMemory(): 'static' | 'on-demand' {
    const dynamic = this.inputs.some((input) => input.shape.some((d) => d < 0));
    return dynamic && this.deviceMemorySize > 0 ? 'on-demand' : 'static';
  }

  /** The engine's plan bytes, as TensorRT serializes it. */
  serialize(): Uint8Array {
    if (this.#native === undefined) throw new TensorRTNodeError(ErrorCode.DISPOSED, 'The engine was disposed');
    return this.#native.serialize();
  }

  /** A readable summary for `tensorrt-node inspect model.plan`. */
  inspect(): string {
    const lines = [`TensorRT engine${this.name ? ` "${this.name}"` : ''} (TensorRT ${this.tensorrtVersion})`];
    lines.push(`  layers: ${this.layers}`, `  device memory per context: ${this.deviceMemorySize} bytes (most of any profile)`);
    for (const group of [this.inputs, this.outputs]) {
      for (const tensor of group) {
        lines.push(`  ${tensor.mode} ${tensor.name}: ${tensor.dtype} ${formatShape(tensor.shape)}`);
      }
    }
    for (const profile of this.profiles) {
      lines.push(`  profile ${profile.index}: device memory ${this.deviceMemorySizePerProfile[profile.index] ?? 0} bytes`);
      for (const [name, range] of Object.entries(profile.inputs)) {
        lines.push(`    ${name}: min ${formatDims(range.min)} opt ${formatDims(range.opt)} max ${formatDims(range.max)}`);
      }
    }
    return lines.join('\n');
  }

  /** Releases the engine. Contexts created from it keep it alive natively until they are disposed. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}

/** The index of the first profile whose bounds hold every input's dims, or a reason none does. */
export function selectProfile(
  profiles: readonly EngineProfile[],
  dims: Readonly<Record<string, readonly number[]>>,
): { index: number } | { reason: string } {
  const reasons: string[] = [];
  for (const profile of profiles) {
    const misfit = profileMisfit(profile, dims);
    if (misfit === undefined) return { index: profile.index };
    reasons.push(`profile ${profile.index}: ${misfit}`);
  }
  return { reason: reasons.join('; ') };
}

/** Why `dims` do not fit `profile`, or undefined when they do. */
export function profileMisfit(profile: EngineProfile, dims: Readonly<Record<string, readonly number[]>>): string | undefined {
  for (const [name, range] of Object.entries(profile.inputs)) {
    const actual = dims[name];
    if (actual === undefined) continue;
    if (actual.length !== range.min.length) return `${name} has rank ${actual.length}, the profile rank ${range.min.length}`;
    for (let i = 0; i < actual.length; i++) {
      const d = actual[i] as number;
      if (d < (range.min[i] as number) || d > (range.max[i] as number)) {
        return `${name} dims ${formatDims(actual)} are outside min ${formatDims(range.min)} .. max ${formatDims(range.max)}`;
      }
    }
  }
  return undefined;
}
