/**
 * InferenceSession: the one front door. It picks a backend, validates every argument once, counts
 * runs in flight so dispose() lets them settle, and gives every backend the same Tensor, metadata
 * and error behaviour.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Backend, BackendName, TensorInfo } from './backends/backend.js';
import { cpuAvailability, tensorrtAvailability } from './backends/availability.js';
import { type BackendCapacity, backendCapacity } from './backends/capacity.js';
import { CpuBackend, type GraphOptimizationLevel, type RunOn } from './backends/cpu.js';
import { ORT_LOG_LEVELS, type OrtLogLevel } from './backends/ort-log-level.js';
import { TensorRTBackend } from './backends/tensorrt.js';
import { type RemoteBackendOptions, normaliseRemoteOptions } from './backends/remote-options.js';
import { isHttpUrl, parseModelUrl } from './backends/remote/model-url.js';
import { BUILD_SHAPING_OPTIONS } from './tensorrt/build-options.js';
import { onnxOnTensorRT } from './tensorrt/onnx-engine.js';
import type { OnnxTensorRTOptions } from './tensorrt/onnx-engine-options.js';
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from './errors.js';
import type { Tensor } from './tensor.js';
import {
  isPlainObject,
  validateEnum,
  validateFeeds,
  validateModelSource,
  validatePositiveInteger,
  validateRunOutputs,
  validateSignal,
  validateThreadCount,
} from './validate.js';
import { deviceIndex } from './cuda/validate.js';

export type BackendChoice = 'auto' | BackendName;

export interface SessionOptions {
  /** 'auto' (default) uses TensorRT when a GPU and TensorRT are present, else the CPU; see `fallbackReason`. */
  backend?: BackendChoice;
  threads?: { intraOp?: number; interOp?: number };
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * CPU backend: where inference runs. 'main' blocks the event loop for each run; 'worker' runs in a
   * worker thread; 'auto' (default) starts on the main thread and moves to a worker once a run takes
   * longer than a few milliseconds.
   */
  runOn?: RunOn;
  /**
   * CPU backend: the least severe ONNX Runtime log messages printed to stderr ('verbose', 'info',
   * 'warning', 'error' or 'fatal'; as onnxruntime-node's `logSeverityLevel` 0 to 4). Default:
   * ONNX Runtime's, 'warning'. 'error' silences warnings such as unused initializers being removed.
   */
  logLevel?: OrtLogLevel;
  /**
   * Most runs that may wait while the backend is busy, on every backend (CPU main thread, CPU worker,
   * TensorRT context pool); one more rejects with ERR_QUEUE_FULL. Waiting runs hold a copy of their
   * inputs, so this bounds memory under load. Default unlimited. `tensorrt.maxQueue`, when set, wins.
   */
  maxQueue?: number;
  /**
   * TensorRT backend: context pool size, queue limit, fixed profile, allowHostCode; for ONNX models
   * also the engine build options (profiles or shapes, precision, calibration, workspace, ...) and
   * the engine cache (cacheDir, maxCacheBytes). Engines are built once and then taken from the cache.
   */
  tensorrt?: OnnxTensorRTOptions;
  /**
   * Remote backend: the model's KServe v2 address, `http://host:8000/v2/models/{name}[/versions/{v}]`
   * (a Triton server, a KServe predictor, or a tensorrt-node server). Or pass it as the model.
   */
  url?: string;
  /** Remote backend: timeouts, retries, connections, binary data threshold, headers. */
  remote?: RemoteBackendOptions;
}

/** Options that open a remote model without a model argument: `InferenceSession.create({ backend: 'remote', url })`. */
export type RemoteSessionOptions = SessionOptions & { backend: 'remote'; url: string };

export interface RunOptions {
  /**
   * The outputs to compute (default all): their names, or name -> a Tensor of the output's dtype that
   * receives it (as onnxruntime-node's fetches). A tensor larger than the output holds it in its first
   * elements; the result for that name is a Tensor over the caller's memory.
   */
  outputs?: readonly string[] | Readonly<Record<string, Tensor>>;
  signal?: AbortSignal;
}

const ENGINE_EXTENSIONS = new Set(['.plan', '.engine', '.trt']);

/** A TensorRT plan: a .plan/.engine/.trt path, or bytes that start with the plan tag "ftrt". */
function isEngine(model: string | Uint8Array): boolean {
  if (typeof model === 'string') return ENGINE_EXTENSIONS.has(extname(model).toLowerCase());
  return model.length >= 4 && model[0] === 0x66 && model[1] === 0x74 && model[2] === 0x72 && model[3] === 0x74;
}

async function checkModelFile(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected a readable model file at ${path} but ${error.code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${error.code})`}`,
      { cause: error },
    );
  });
  if (!info.isFile()) throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, `Expected a model file at ${path} but it is not a regular file`);
}

// The engine builder's options pass through as given: lib/tensorrt checks them against the model.
const BUILD_OPTION_KEYS = [...BUILD_SHAPING_OPTIONS, 'onProgress', 'cacheDir', 'maxCacheBytes', 'onCacheWait'] as const;

function normaliseTensorRTOptions(options: unknown): SessionOptions['tensorrt'] {
  if (options === undefined) return undefined;
  if (!isPlainObject(options))
    throw invalidArgument(
      'an object { size?, maxQueue?, profile?, allowHostCode?, cudaGraph?, deviceMemory?, device? }',
      'options.tensorrt',
      options,
    );
  const deviceMemory = options.deviceMemory;
  if (deviceMemory !== undefined && deviceMemory !== 'static' && deviceMemory !== 'on-demand' && deviceMemory !== 'auto') {
    throw invalidArgument(`one of 'static', 'on-demand', 'auto'`, 'options.tensorrt.deviceMemory', deviceMemory);
  }
  for (const flag of ['allowHostCode', 'cudaGraph'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean')
      throw invalidArgument('a boolean', `options.tensorrt.${flag}`, options[flag]);
  }
  const profile = options.profile;
  if (profile !== undefined && (typeof profile !== 'number' || !Number.isSafeInteger(profile) || profile < 0)) {
    throw invalidArgument('a non-negative integer', 'options.tensorrt.profile', profile);
  }
  return {
    size: validatePositiveInteger(options.size, 'options.tensorrt.size'),
    maxQueue: validatePositiveInteger(options.maxQueue, 'options.tensorrt.maxQueue', { allowZero: true }),
    profile,
    allowHostCode: options.allowHostCode as boolean | undefined,
    cudaGraph: options.cudaGraph as boolean | undefined,
    deviceMemory,
    device: options.device === undefined ? undefined : deviceIndex(options.device, 'options.tensorrt.device'),
    ...Object.fromEntries(BUILD_OPTION_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]])),
  };
}

function normaliseOptions(options: unknown): SessionOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
  const threads = options.threads;
  if (threads !== undefined && !isPlainObject(threads))
    throw invalidArgument('an object { intraOp?, interOp? }', 'options.threads', threads);
  return {
    backend: validateEnum(options.backend, ['auto', 'cpu', 'tensorrt', 'remote'] as const, 'options.backend') ?? 'auto',
    url: options.url === undefined ? undefined : parseModelUrl(options.url, 'options.url').href,
    remote: options.remote === undefined ? undefined : normaliseRemoteOptions(options.remote),
    threads: threads && {
      intraOp: validateThreadCount(threads.intraOp, 'options.threads.intraOp'),
      interOp: validateThreadCount(threads.interOp, 'options.threads.interOp'),
    },
    maxQueue: validatePositiveInteger(options.maxQueue, 'options.maxQueue', { allowZero: true }),
    graphOptimizationLevel: validateEnum(
      options.graphOptimizationLevel,
      ['disabled', 'basic', 'extended', 'all'] as const,
      'options.graphOptimizationLevel',
    ),
    runOn: validateEnum(options.runOn, ['auto', 'main', 'worker'] as const, 'options.runOn'),
    logLevel: validateEnum(options.logLevel, ORT_LOG_LEVELS, 'options.logLevel'),
    tensorrt: normaliseTensorRTOptions(options.tensorrt),
  };
}

export class InferenceSession implements AsyncDisposable {
  /** Why 'auto' did not pick TensorRT; undefined when it did or when a backend was asked for by name. */
  readonly fallbackReason: string | undefined;
  /** The full text behind `fallbackReason`: paths searched, error codes, how to fix it. */
  readonly fallbackDetails: string | undefined;
  private readonly backendImpl: Backend;
  private inFlight = 0;
  private settled: (() => void) | undefined;
  private disposing: Promise<void> | undefined;

  private constructor(backend: Backend, fallback?: { reason: string; details: string }) {
    this.backendImpl = backend;
    this.fallbackReason = fallback?.reason;
    this.fallbackDetails = fallback?.details;
  }

  /**
   * Loads a model: an ONNX file (any backend) or a TensorRT engine (.plan/.engine, TensorRT only),
   * given as a path or as bytes; or opens a model served over KServe v2 (an http(s) URL, or
   * `{ backend: 'remote', url }`).
   */
  static async create(model: string | Uint8Array, options?: SessionOptions): Promise<InferenceSession>;
  static async create(options: RemoteSessionOptions): Promise<InferenceSession>;
  static async create(model: string | Uint8Array | RemoteSessionOptions, options?: SessionOptions): Promise<InferenceSession> {
    if (isPlainObject(model) && options === undefined && (model.backend === 'remote' || model.url !== undefined)) {
      return InferenceSession.createRemote(undefined, normaliseOptions(model));
    }
    const opts = normaliseOptions(options);
    if (opts.backend === 'remote' || (isHttpUrl(model) && (opts.backend ?? 'auto') === 'auto')) {
      return InferenceSession.createRemote(model, opts);
    }
    if (isHttpUrl(model)) {
      throw invalidArgument(`a model file for the ${opts.backend} backend (use backend 'remote' for a URL)`, 'model', model);
    }
    const source = validateModelSource(model);
    if (typeof source === 'string') await checkModelFile(source);
    const choice = opts.backend ?? 'auto';

    let fallback: { reason: string; details: string } | undefined;
    const engine = isEngine(source);
    if (engine && choice === 'cpu') {
      throw new TensorRTNodeError(
        ErrorCode.MODEL_LOAD,
        'Expected an ONNX model for the cpu backend but received a TensorRT engine (plan); use backend "tensorrt" or "auto"',
      );
    }
    const tensorrtOptions = { ...opts.tensorrt, maxQueue: opts.tensorrt?.maxQueue ?? opts.maxQueue };
    if (choice !== 'cpu') {
      const tensorrt = tensorrtAvailability();
      if (!tensorrt.available) {
        if (choice === 'tensorrt' || engine) {
          const what =
            choice === 'tensorrt'
              ? 'The tensorrt backend'
              : `The engine ${typeof source === 'string' ? source : '(plan bytes)'} needs the tensorrt backend, which`;
          throw new TensorRTNodeError(ErrorCode.BACKEND_UNAVAILABLE, `${what} is unavailable: ${tensorrt.reason}`);
        }
        const details = tensorrt.reason ?? 'unknown reason';
        fallback = { reason: tensorrt.summary ?? details, details };
      } else if (engine) {
        return new InferenceSession(await TensorRTBackend.load(source, tensorrtOptions));
      } else {
        const onnx = await onnxOnTensorRT(source, tensorrtOptions, choice);
        if ('backend' in onnx) return new InferenceSession(onnx.backend);
        fallback = { reason: onnx.fallbackReason, details: onnx.fallbackDetails };
      }
    }
    const cpu = cpuAvailability();
    if (!cpu.available) {
      throw new TensorRTNodeError(
        ErrorCode.BACKEND_UNAVAILABLE,
        `The cpu backend is unavailable: ${cpu.reason}` + (fallback ? `; ${fallback.details}` : ''),
      );
    }
    const backend = await CpuBackend.create(source, {
      intraOpThreads: opts.threads?.intraOp,
      interOpThreads: opts.threads?.interOp,
      graphOptimizationLevel: opts.graphOptimizationLevel,
      runOn: opts.runOn,
      maxQueue: opts.maxQueue,
      logLevel: opts.logLevel,
    });
    return new InferenceSession(backend, fallback);
  }

  private static async createRemote(model: unknown, opts: SessionOptions): Promise<InferenceSession> {
    if (opts.backend !== undefined && opts.backend !== 'auto' && opts.backend !== 'remote') {
      throw invalidArgument(`backend 'remote' (or 'auto') with a URL`, 'options.backend', opts.backend);
    }
    if (model !== undefined && opts.url !== undefined && model !== opts.url) {
      throw invalidArgument(`the same URL as options.url (${opts.url})`, 'model', model);
    }
    if (model === undefined && opts.url === undefined) {
      throw invalidArgument("a model URL (the model argument or options.url) for backend 'remote'", 'options.url', undefined);
    }
    const target = model === undefined ? parseModelUrl(opts.url, 'options.url') : parseModelUrl(model, 'model');
    // Loaded on first use: the HTTP client (undici) costs local-only programs nothing.
    const { RemoteBackend } = await import('./backends/remote.js');
    return new InferenceSession(await RemoteBackend.create(target, opts.remote, opts.maxQueue));
  }

  get backend(): BackendName {
    return this.backendImpl.name;
  }

  get inputs(): readonly TensorInfo[] {
    return this.backendImpl.inputs;
  }

  get outputs(): readonly TensorInfo[] {
    return this.backendImpl.outputs;
  }

  /** Input names in model order (as onnxruntime-node's `inputNames`). */
  get inputNames(): readonly string[] {
    return this.backendImpl.inputs.map((input) => input.name);
  }

  /** Output names in model order (as onnxruntime-node's `outputNames`). */
  get outputNames(): readonly string[] {
    return this.backendImpl.outputs.map((output) => output.name);
  }

  /** The largest batch a run may hold and how many runs the backend computes at once (the batcher sizes its work from it). */
  get capacity(): BackendCapacity {
    return backendCapacity(this.backendImpl);
  }

  /**
   * Whether the model can serve runs now: a remote model's KServe v2 readiness (GET .../ready answers
   * 200; any other answer, or none, is false); always true for a live local session, false once
   * disposed. Rejects only with ERR_ABORTED, when `signal` fires.
   */
  async ready(signal?: AbortSignal): Promise<boolean> {
    const checked = validateSignal(signal);
    if (checked?.aborted) throw abortError(checked);
    if (this.disposing) return false;
    return this.backendImpl.ready === undefined ? true : this.backendImpl.ready(checked);
  }

  get disposed(): boolean {
    return this.disposing !== undefined;
  }

  /**
   * Runs the model; results are new Tensors keyed by output name. The inputs are read (or copied)
   * before this returns, so the caller may reuse their arrays at once; only a PinnedBuffer's memory on
   * the TensorRT backend is read in place until the promise settles. A run whose signal fires while it
   * waits never computes; one that has started rejects with ERR_ABORTED at once.
   */
  run<N extends string>(
    feeds: Readonly<Record<string, Tensor>>,
    options: RunOptions & { outputs: readonly N[] },
  ): Promise<Record<N, Tensor>>;
  /** With caller tensors as `outputs`, the results are typed by those tensors' dtypes: `data` needs no cast. */
  run<O extends Readonly<Record<string, Tensor>>>(
    feeds: Readonly<Record<string, Tensor>>,
    options: RunOptions & { outputs: O },
  ): Promise<{ -readonly [K in keyof O]: Tensor<O[K]['dtype']> }>;
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>>;
  async run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    if (this.disposing) throw new TensorRTNodeError(ErrorCode.DISPOSED, 'Expected a live session for run() but it was disposed');
    if (options !== undefined && !isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
    const checked = validateFeeds(this.inputs, feeds);
    const outputs = validateRunOutputs(this.outputs, options?.outputs);
    const signal = validateSignal(options?.signal);
    if (signal?.aborted) throw abortError(signal);
    this.inFlight++;
    try {
      return await this.backendImpl.run(checked, outputs.names, signal, outputs.buffers);
    } finally {
      if (--this.inFlight === 0) this.settled?.();
    }
  }

  /**
   * Ends the automatic placement of runOn 'auto' (CPU backend): waits for a move to a worker already
   * under way, then keeps runs where they are. Call it after warm-up runs, so that the runs after it
   * all execute in one place and none pays for starting the worker. Returns where CPU runs execute
   * ('main' thread or 'worker'); undefined on backends that do not move runs.
   */
  async settlePlacement(): Promise<'main' | 'worker' | undefined> {
    if (this.disposing)
      throw new TensorRTNodeError(ErrorCode.DISPOSED, 'Expected a live session for settlePlacement() but it was disposed');
    return this.backendImpl.settlePlacement?.();
  }

  /** Releases the model. Runs already started settle first; later runs reject with ERR_DISPOSED. Idempotent. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.settled = resolve));
      await this.backendImpl.dispose();
    })();
    return this.disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
