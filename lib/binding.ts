/**
 * The only module that loads the native addon (the .node file). It declares the whole native
 * surface's types, hands the addon the JS error class, and turns every load failure into one
 * actionable reason. Loading never throws at import time: callers ask `loadBinding()` and get
 * either the binding or the reason it is unavailable.
 *
 * Two builds exist side by side:
 * - 'release': the real addon (build/Release or prebuilds/, found by node-gyp-build), linked
 *   with the CUDA runtime; needs an NVIDIA driver and GPU at run time.
 * - 'sim': the simulator build (build-sim/Release, `npm run build:sim`), linked with the CUDA
 *   simulator; used by the test suite. Chosen with `loadBinding('sim')` or
 *   TENSORRT_NODE_BINDING=sim.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ErrorCode, TensorRTNodeError } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Native surface. C++ trusts these arguments: the TypeScript wrappers validate them first.
// ---------------------------------------------------------------------------------------------

/** A host view the native side copies from or into (TypedArrays; DataViews are rewrapped). */
export type NativeHostView =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export interface NativeCudaError {
  /** ERR_CUDA or ERR_OUT_OF_MEMORY */
  readonly code: string;
  /** CUDA's error name, e.g. cudaErrorInsufficientDriver */
  readonly name: string;
  readonly message: string;
}

export interface NativeCudaInfo {
  readonly available: boolean;
  /** cudaRuntimeGetVersion(): major * 1000 + minor * 10 */
  readonly runtimeVersion: number;
  /** cudaDriverGetVersion(): 0 when no driver is installed */
  readonly driverVersion: number;
  readonly deviceCount: number;
  readonly error?: NativeCudaError;
}

export interface NativeDeviceInfo {
  readonly index: number;
  readonly name: string;
  readonly computeCapability: readonly [number, number];
  readonly totalMemory: number;
  readonly multiProcessorCount: number;
  readonly uuid: string;
}

export interface NativeLibraryInfo {
  readonly available: boolean;
  /** The file name or path that was loaded. */
  readonly library?: string;
  /** Raw version number reported by the library (major * 10000 + minor * 100 + patch). */
  readonly version?: number;
  /** Every dlopen/dlsym failure, joined, when not available. */
  readonly reason?: string;
}

export interface NativeTensorRTInfo extends NativeLibraryInfo {
  /** The builder (absent from lean and dispatch runtimes). */
  readonly builder: NativeLibraryInfo;
  readonly parser: NativeLibraryInfo;
  /** libnvinfer_plugin: TensorRT's standard plugins. */
  readonly plugins: NativeLibraryInfo;
}

export interface NativeStream {
  copyHostToDevice(dst: NativeDeviceBuffer, dstOffset: number, src: NativeHostView): Promise<void>;
  copyDeviceToHost(dst: NativeHostView, src: NativeDeviceBuffer, srcOffset: number): Promise<void>;
  copyDeviceToDevice(
    dst: NativeDeviceBuffer,
    dstOffset: number,
    src: NativeDeviceBuffer,
    srcOffset: number,
    byteLength: number,
  ): Promise<void>;
  fill(dst: NativeDeviceBuffer, offset: number, byteLength: number, byteValue: number): Promise<void>;
  waitEvent(event: NativeEvent): void;
  /** Settles once everything enqueued so far has completed. */
  synchronize(): Promise<void>;
  /** True when all enqueued work has completed. */
  query(): boolean;
  dispose(): void;
  readonly disposed: boolean;
}

export interface NativeEvent {
  record(stream: NativeStream): void;
  query(): boolean;
  /** Milliseconds from this event to `end`. */
  elapsedTime(end: NativeEvent): number;
  dispose(): void;
  readonly disposed: boolean;
}

export interface NativeDeviceBuffer {
  readonly byteLength: number;
  readonly disposed: boolean;
  dispose(): void;
}

export interface NativePinnedBuffer {
  /** External ArrayBuffer over the pinned memory itself; detached by dispose(). */
  readonly buffer: ArrayBuffer;
  readonly byteLength: number;
  readonly disposed: boolean;
  dispose(): void;
}

/** One I/O tensor of a TensorRT engine as the addon describes it. */
export interface NativeEngineTensor {
  readonly name: string;
  readonly mode: 'input' | 'output';
  /** nvinfer1::DataType enumerator name ("kFLOAT", "kHALF", ...), "unknown" for types JS cannot hold. */
  readonly dtype: string;
  /** -1 for dimensions fixed at run time. */
  readonly shape: readonly number[];
  /** True for row-major (kLINEAR) tensors, the only layout tensorrt-node passes TypedArrays for. */
  readonly linear: boolean;
  /** TensorRT's own description of the layout. */
  readonly format: string;
  /** Where TensorRT wants the tensor: shape tensors (e.g. a Reshape's target shape) live on the host. */
  readonly location: 'host' | 'device';
  /** For an output TensorRT writes into an input's memory (an in-place update such as a KV cache): that input. */
  readonly aliasOf?: string;
}

export interface NativeProfileRange {
  readonly min: readonly number[];
  readonly opt: readonly number[];
  readonly max: readonly number[];
  /** A shape tensor input's min/opt/max values (build options only). */
  readonly values?: { readonly min: readonly number[]; readonly opt: readonly number[]; readonly max: readonly number[] };
}

export interface NativeEngineMetadata {
  readonly tensors: readonly NativeEngineTensor[];
  /** Per optimization profile: input name -> ranges. */
  readonly profiles: readonly Readonly<Record<string, NativeProfileRange>>[];
  readonly deviceMemorySize: number;
  /** Per optimization profile: the most device memory a context needs for it. */
  readonly deviceMemorySizePerProfile: readonly number[];
  readonly layers: number;
  readonly name: string;
  /** Version of the loaded TensorRT library, "11.1.0". */
  readonly tensorrtVersion: string;
}

export interface NativeRunInput {
  readonly name: string;
  readonly data: NativeHostView;
  readonly dims: readonly number[];
}

export interface NativeRunOutputRequest {
  readonly name: string;
  /** Where the output lands; omitted: the addon allocates an ArrayBuffer of the right size. */
  readonly data?: NativeHostView;
}

export interface NativeRunOutput {
  readonly name: string;
  readonly dims: number[];
  /** The caller's buffer when one was given, else a fresh ArrayBuffer. */
  readonly data: NativeHostView | ArrayBuffer;
}

export interface NativeExecutionContext {
  /** Sets shapes, copies, enqueues; settles when the stream has finished. One run at a time. */
  run(inputs: readonly NativeRunInput[], outputs: readonly NativeRunOutputRequest[], profile: number): Promise<NativeRunOutput[]>;
  readonly busy: boolean;
  /** Device memory held by the context's I/O arena. */
  readonly arenaBytes: number;
  /** TensorRT's own device memory of the context (activations and scratch). */
  readonly activationBytes: number;
  /** Runs replayed from a captured CUDA graph (contexts created with `cudaGraph: true`). */
  readonly graphLaunches: number;
  dispose(): void;
  isDisposed(): boolean;
}

export interface NativeContextOptions {
  /**
   * Capture a run's work (copies and enqueueV3) into a CUDA graph and replay it for later runs with
   * the same profile, input shapes and requested outputs. Engines with data-dependent output shapes
   * run uncaptured.
   */
  readonly cudaGraph?: boolean;
  /**
   * 'static': TensorRT allocates the most any profile needs when the context is created.
   * 'on-demand': the context provides it (user-managed), grown to what the run's shapes need.
   */
  readonly deviceMemory?: 'static' | 'on-demand';
}

export interface NativeEngine {
  metadata(): NativeEngineMetadata;
  createContext(options?: NativeContextOptions): NativeExecutionContext;
  serialize(): Uint8Array;
  dispose(): void;
  isDisposed(): boolean;
}

export interface NativeBuildOptions {
  readonly profiles: readonly Readonly<Record<string, NativeProfileRange>>[];
  readonly device?: number;
  readonly workspaceBytes?: number;
  readonly optimizationLevel?: number;
  readonly hardwareCompatibility?: 'none' | 'ampere+' | 'same-compute-capability';
  readonly versionCompatible?: boolean;
  readonly excludeLeanRuntime?: boolean;
  readonly sparsity?: boolean;
  readonly maxAuxStreams?: number;
  /** Plugin libraries, loaded through the builder's plugin registry before parsing. */
  readonly plugins?: readonly string[];
  /** A serialized timing cache (empty: start a new one); the result then carries the updated cache. */
  readonly timingCache?: Uint8Array;
  /** The model's path, so the parser finds external data next to it. */
  readonly modelPath?: string;
}

export interface NativeBuildResult {
  readonly plan: Uint8Array;
  readonly timingCache?: Uint8Array;
  /** Things the build worked around (an unreadable timing cache that was replaced). */
  readonly warnings: readonly string[];
}

export interface NativeBuildJob {
  readonly promise: Promise<NativeBuildResult>;
  /** Makes the progress monitor's next stepComplete answer false: the build rejects with ERR_ABORTED. */
  cancel(): void;
}

export type NativeBuildProgressCallback = (kind: 'start' | 'step' | 'finish', phase: string, parent: string, value: number) => void;

export interface NativeBinding {
  /** False when the addon was built without TensorRT headers: the runtime members below are absent. */
  readonly tensorrtHeaders: boolean;
  /** Deserializes a plan on the libuv pool; TensorRT decides, its log and the plan header word a refusal. */
  loadEngine?(plan: Uint8Array, allowHostCode: boolean, device?: number): Promise<NativeEngine>;
  /** ONNX bytes -> plan bytes on a thread of its own (strongly typed network); progress arrives on the JS thread. */
  buildEngine?(onnx: Uint8Array, options: NativeBuildOptions, onProgress?: NativeBuildProgressCallback): NativeBuildJob;
  /** `ours` plus the entries of `theirs` it lacks (both serialized timing caches), on the libuv pool. */
  mergeTimingCaches?(ours: Uint8Array, theirs: Uint8Array): Promise<Uint8Array>;
  /** Forwards TensorRT log lines of `level` and worse to `callback`; null stops. */
  setTensorRTLogger?(callback: ((severity: string, message: string) => void) | null, level: string): void;
  /** Hands the addon the class it throws (TensorRTNodeError); done by loadBinding(). */
  setErrorClass(errorClass: typeof TensorRTNodeError): void;
  /** True for the simulator build. */
  readonly simulator: boolean;
  /** CUDART_VERSION of the headers the addon was compiled with. */
  readonly cudaHeadersVersion: number;
  /** Never throws: reports why CUDA is unavailable instead. */
  cudaInfo(): NativeCudaInfo;
  devices(): NativeDeviceInfo[];
  memoryInfo(device: number): { free: number; total: number };
  /** Device/pinned blocks handed to the release thread and not freed yet (cudaFree runs off the JS thread). */
  pendingReleases(): number;
  /** Loads TensorRT (once per process) and reports what was found. Never throws. */
  tensorrtInfo(): NativeTensorRTInfo;
  Stream: new (device?: number) => NativeStream;
  Event: new (timing: boolean) => NativeEvent;
  DeviceBuffer: new (byteLength: number, device?: number) => NativeDeviceBuffer;
  PinnedBuffer: new (byteLength: number) => NativePinnedBuffer;
  /** Simulator build only: hooks for tests. */
  readonly testing?: NativeTestingHooks;
}

export interface NativeTestingHooks {
  /**
   * Holds `stream` (or an execution context's own stream; work enqueued later waits) until the
   * returned function is called.
   */
  gateStream(stream: NativeStream | NativeExecutionContext): () => void;
  /**
   * Makes the next simulated kernel (a run of the simulated TensorRT) fail with the named CUDA
   * error, which leaves the process's CUDA context with that sticky error.
   */
  armKernelFault(errorName: string): void;
  /**
   * Makes every build wait after reporting a step until the returned function is called (builds
   * started later wait too while held).
   */
  holdBuilds(): () => void;
  /** What a simulator plan records about its build, as JSON (see native/testing/sim_plan.h). */
  describeSimPlan(plan: Uint8Array): string;
  /**
   * What glibc's malloc holds, in bytes (live allocations, taken from the OS); undefined elsewhere.
   * `allocations`: calls to the allocation functions so far, only with libtrtn_malloc_counter.so preloaded.
   */
  heapStats(): { inUse: number; held: number; allocations?: number } | undefined;
  /** Hands malloc's free pages back to the OS (malloc_trim); true when it returned any. */
  releaseFreeHeap(): boolean;
  /** glibc's malloc_info XML (per arena: free chunks by size, top chunk, system bytes); undefined elsewhere. */
  mallocInfo(): string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

export type BindingKind = 'release' | 'sim';

export type BindingLoad =
  | { readonly ok: true; readonly kind: BindingKind; readonly path: string; readonly binding: NativeBinding }
  | { readonly ok: false; readonly kind: BindingKind; readonly reason: string };

/** The package root: this file lives in lib/ (sources) or dist/ (compiled). */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const loads = new Map<BindingKind, BindingLoad>();

/** The binding kind used when none is asked for: TENSORRT_NODE_BINDING=sim selects the simulator. */
export function defaultBindingKind(): BindingKind {
  return process.env.TENSORRT_NODE_BINDING === 'sim' ? 'sim' : 'release';
}

/** The simulator addon: build-sim/Release, or TENSORRT_NODE_SIM_DIR (e.g. the ASan build of scripts/asan.sh). */
export function simBindingPath(): string {
  const dir = process.env.TENSORRT_NODE_SIM_DIR;
  return join(dir !== undefined && dir !== '' ? dir : join(packageRoot, 'build-sim', 'Release'), 'tensorrt_node.node');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}

function loadRelease(): BindingLoad {
  let path: string;
  try {
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    path = nodeGypBuild.path(packageRoot);
  } catch (error) {
    return {
      ok: false,
      kind: 'release',
      reason:
        `The native addon is not built (${messageOf(error)}). ` +
        'Install the CUDA toolkit and run `npm run build:native` (or reinstall the package); until then only the CPU backend works.',
    };
  }
  return loadFile('release', path);
}

function loadSim(): BindingLoad {
  const path = simBindingPath();
  if (!existsSync(path)) {
    return { ok: false, kind: 'sim', reason: `The simulator build is missing (${path}). Run \`npm run build:sim\`.` };
  }
  return loadFile('sim', path);
}

function loadFile(kind: BindingKind, path: string): BindingLoad {
  try {
    const binding = require(path) as NativeBinding;
    binding.setErrorClass(TensorRTNodeError);
    return { ok: true, kind, path, binding };
  } catch (error) {
    const rebuild = kind === 'sim' ? 'npm run build:sim' : 'npm run build:native';
    return {
      ok: false,
      kind,
      reason: `The native addon at ${path} failed to load (${messageOf(error)}). Rebuild it with \`${rebuild}\`.`,
    };
  }
}

/** Loads the addon of the given kind once per process (thread) and caches the outcome. Never throws. */
export function loadBinding(kind: BindingKind = defaultBindingKind()): BindingLoad {
  let load = loads.get(kind);
  if (load === undefined) {
    load = kind === 'sim' ? loadSim() : loadRelease();
    loads.set(kind, load);
  }
  return load;
}

/** The binding, or ERR_BACKEND_UNAVAILABLE carrying the reason it could not be loaded. */
export function requireBinding(kind: BindingKind = defaultBindingKind()): NativeBinding {
  const load = loadBinding(kind);
  if (!load.ok) throw new TensorRTNodeError(ErrorCode.BACKEND_UNAVAILABLE, load.reason);
  return load.binding;
}
