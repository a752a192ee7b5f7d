/**
 * Hot swap: a ModelHandle serves one model at a time and replaces it without dropping a request.
 * swap() loads the new model in the background while the old one keeps serving; the switch is one
 * assignment, so a request is bound to the model that is current when run() is called, and
 * requests already queued or running finish on the model they started on. The old model is disposed
 * once they have drained. A model that fails to load (or whose inputs and outputs differ from the
 * served one's) leaves the old one serving and rejects swap() with the reason.
 */
import type { TensorInfo } from '../backends/backend.js';
import { ErrorCode, TensorRTNodeError, abortError, invalidArgument } from '../errors.js';
import { InferenceSession, type RunOptions, type SessionOptions } from '../session.js';
import { type Tensor, formatShape } from '../tensor.js';
import { isPlainObject } from '../validate.js';
import { Batcher, type BatcherOptions } from './batcher.js';
import type { MetricsSnapshot } from './metrics.js';
import { MeteredSession } from './metered-session.js';
import type { PrometheusRegistry } from './prometheus.js';

export type ModelSource = string | Uint8Array;

export interface ModelHandleOptions {
  /** Options for every session the handle opens. */
  session?: SessionOptions;
  /** Serve through a dynamic batcher with these options (default), or straight through the session (false). */
  batcher?: BatcherOptions | false;
  /** The model's name in metrics; default "model". */
  model?: string;
  /**
   * Refuse a new model whose inputs or outputs (names, dtypes, ranks, fixed dims) differ from the
   * served one's, so clients built for the old model keep working (default true).
   */
  sameSignature?: boolean;
}

export interface SwapResult {
  /** The version now serving (1 for the first model, +1 per swap). */
  version: number;
  /** Resolves when every request of the previous model has finished and that model is disposed. */
  drained: Promise<void>;
}

interface Served {
  version: number;
  source: ModelSource;
  session: InferenceSession;
  batcher: Batcher | undefined;
  metered: MeteredSession;
  unregister: (() => void)[];
}

function describeSignature(infos: readonly TensorInfo[]): string {
  return infos.map((info) => `${info.name} ${info.dtype} ${formatShape(info.shape)}`).join(', ');
}

/** Symbolic dims match anything symbolic; fixed dims must be equal. */
function sameSignature(a: readonly TensorInfo[], b: readonly TensorInfo[]): boolean {
  if (a.length !== b.length) return false;
  const fixed = (dim: number | string) => (typeof dim === 'number' && dim >= 0 ? dim : '?');
  return a.every((info) => {
    const other = b.find((candidate) => candidate.name === info.name);
    return (
      other !== undefined &&
      other.dtype === info.dtype &&
      other.shape.length === info.shape.length &&
      info.shape.every((dim, axis) => fixed(dim) === fixed(other.shape[axis] as number | string))
    );
  });
}

export class ModelHandle implements AsyncDisposable {
  readonly #options: ModelHandleOptions;
  #current: Served;
  #swapping: Promise<unknown> = Promise.resolve();
  readonly #registries: PrometheusRegistry[] = [];
  #disposing: Promise<void> | undefined;

  private constructor(served: Served, options: ModelHandleOptions) {
    this.#current = served;
    this.#options = options;
  }

  /** Opens `model` and serves it. */
  static async open(model: ModelSource, options: ModelHandleOptions = {}): Promise<ModelHandle> {
    if (!isPlainObject(options)) throw invalidArgument('an options object', 'options', options);
    if (options.batcher !== undefined && options.batcher !== false && !isPlainObject(options.batcher)) {
      throw invalidArgument('batcher options or false', 'options.batcher', options.batcher);
    }
    return new ModelHandle(await ModelHandle.#load(model, 1, options), options);
  }

  static async #load(source: ModelSource, version: number, options: ModelHandleOptions): Promise<Served> {
    const session = await InferenceSession.create(source, options.session);
    try {
      const batcher =
        options.batcher === false
          ? undefined
          : new Batcher(session, { ...options.batcher, model: options.model ?? options.batcher?.model });
      const metered = new MeteredSession(session, { model: options.model });
      return { version, source, session, batcher, metered, unregister: [] };
    } catch (error) {
      await session.dispose();
      throw error;
    }
  }

  /** The version serving now: 1, then one more per successful swap. */
  get version(): number {
    return this.#current.version;
  }

  /** The session serving now. */
  get session(): InferenceSession {
    return this.#current.session;
  }

  /** Whether runs go through a dynamic batcher (each run then is one item). */
  get batching(): boolean {
    return this.#current.batcher !== undefined;
  }

  /** What the current model was opened from. */
  get source(): ModelSource {
    return this.#current.source;
  }

  /** Runs one request on the model current at this call (one item when batching). */
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    if (this.#disposing)
      return Promise.reject(new TensorRTNodeError(ErrorCode.DISPOSED, 'Expected a live model handle for run() but it was disposed'));
    const served = this.#current;
    if (!served.batcher) return served.metered.run(feeds, options);
    // A batch's outputs are split among its items: there is no one caller tensor to write them into.
    const outputs = options?.outputs;
    if (outputs !== undefined && !Array.isArray(outputs)) {
      return Promise.reject(
        invalidArgument('an array of output names (a batching model handle returns its own tensors)', 'options.outputs', outputs),
      );
    }
    return served.batcher.run(feeds, { ...options, outputs: outputs as readonly string[] | undefined });
  }

  /** The current model's metrics (its batcher's when batching, else its session's). */
  metrics(): MetricsSnapshot {
    const served = this.#current;
    return served.batcher ? served.batcher.metrics() : served.metered.metrics();
  }

  /** Exports the serving model's metrics to `registry`, and every later model's after it swaps in. */
  async registerMetrics(registry: PrometheusRegistry): Promise<void> {
    this.#registries.push(registry);
    await this.#register(this.#current, registry);
  }

  async #register(served: Served, registry: PrometheusRegistry): Promise<void> {
    served.unregister.push(await (served.batcher ? served.batcher.registerMetrics(registry) : served.metered.registerMetrics(registry)));
  }

  /**
   * Loads `model` in the background and switches to it; swaps run one after another. Rejects (and the
   * old model keeps serving) when the new model fails to load or its signature differs.
   */
  swap(model: ModelSource, options?: { signal?: AbortSignal }): Promise<SwapResult> {
    const result = this.#swapping.then(() => this.#swap(model, options?.signal));
    this.#swapping = result.catch(() => undefined);
    return result;
  }

  async #swap(model: ModelSource, signal: AbortSignal | undefined): Promise<SwapResult> {
    if (this.#disposing) throw new TensorRTNodeError(ErrorCode.DISPOSED, 'Expected a live model handle for swap() but it was disposed');
    const old = this.#current;
    const next = await ModelHandle.#load(model, old.version + 1, this.#options);
    const refuse = async (error: TensorRTNodeError): Promise<never> => {
      await next.batcher?.dispose();
      await next.session.dispose();
      throw error;
    };
    if (signal?.aborted) await refuse(abortError(signal, 'The swap (before the new model started serving)'));
    if (this.#disposing)
      await refuse(
        new TensorRTNodeError(ErrorCode.DISPOSED, 'Expected a live model handle for swap() but it was disposed while the new model loaded'),
      );
    if (
      this.#options.sameSignature !== false &&
      !(sameSignature(old.session.inputs, next.session.inputs) && sameSignature(old.session.outputs, next.session.outputs))
    ) {
      await refuse(
        new TensorRTNodeError(
          ErrorCode.MODEL_LOAD,
          `Expected a model with the served model's inputs (${describeSignature(old.session.inputs)}) and outputs (${describeSignature(old.session.outputs)}) but received one with inputs (${describeSignature(next.session.inputs)}) and outputs (${describeSignature(next.session.outputs)}); pass sameSignature: false to allow it`,
        ),
      );
    }
    for (const registry of this.#registries) await this.#register(next, registry);
    this.#current = next; // the switch: every run() from here on goes to the new model
    return { version: next.version, drained: ModelHandle.#retire(old) };
  }

  /** Lets the old model's queued and running requests finish, then releases it. */
  static async #retire(served: Served): Promise<void> {
    await served.batcher?.dispose();
    await served.session.dispose();
    for (const unregister of served.unregister) unregister();
  }

  /** Stops taking requests, lets queued and running ones finish, then releases the model. */
  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      await this.#swapping;
      await ModelHandle.#retire(this.#current);
    })();
    return this.#disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
