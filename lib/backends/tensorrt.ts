/**
 * The 'tensorrt' backend: runs a TensorRT engine (plan file) through the native addon with a pool
 * of execution contexts. Each run picks the first optimization profile whose bounds hold the
 * feeds' shapes (or the one asked for), copies inputs straight from the feeds' TypedArrays and
 * returns outputs in fresh TypedArrays (or in the buffers given in `outputBuffers`).
 */
import type { NativeHostView, NativeRunOutputRequest } from '../binding.js';
import { type DTypeArrayMap, dtypeInfo } from '../dtype.js';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { Tensor, formatDims } from '../tensor.js';
import { ContextPool } from '../tensorrt/context-pool.js';
import type { TensorRTBackendOptions } from './tensorrt-options.js';
import { Engine, profileMisfit, selectProfile } from '../tensorrt/engine.js';
import { setEntry } from '../util/records.js';
import type { Backend, TensorInfo } from './backend.js';

export type { TensorRTBackendOptions } from './tensorrt-options.js';

export class TensorRTBackend implements Backend {
  readonly name = 'tensorrt' as const;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly engine: Engine;
  readonly pool: ContextPool;
  readonly #profile: number | undefined;

  private constructor(engine: Engine, options: TensorRTBackendOptions) {
    if (
      options.profile !== undefined &&
      (!Number.isSafeInteger(options.profile) || options.profile < 0 || options.profile >= engine.profiles.length)
    ) {
      throw invalidArgument(`a profile index from 0 to ${engine.profiles.length - 1}`, 'options.profile', options.profile);
    }
    this.engine = engine;
    this.pool = new ContextPool(engine, options);
    this.#profile = options.profile;
    this.inputs = engine.inputs.map(({ name, dtype, shape }) => ({ name, dtype, shape }));
    this.outputs = engine.outputs.map(({ name, dtype, shape }) => ({ name, dtype, shape }));
  }

  /** Loads the plan at `source` (path or bytes) and prepares a context pool for it. */
  static async load(source: string | Uint8Array, options: TensorRTBackendOptions = {}): Promise<TensorRTBackend> {
    const engine = await Engine.load(source, options);
    try {
      return new TensorRTBackend(engine, options);
    } catch (error) {
      engine.dispose();
      throw error;
    }
  }

  /** The profile index for these input dims. */
  profileFor(dims: Readonly<Record<string, readonly number[]>>): number {
    if (this.#profile !== undefined) {
      const misfit = profileMisfit(this.engine.profiles[this.#profile]!, dims);
      if (misfit !== undefined)
        throw new TensorRTNodeError(ErrorCode.SHAPE_MISMATCH, `The inputs do not fit optimization profile ${this.#profile}: ${misfit}`);
      return this.#profile;
    }
    const choice = selectProfile(this.engine.profiles, dims);
    if ('reason' in choice) {
      const shapes = Object.entries(dims)
        .map(([name, d]) => `${name} ${formatDims(d)}`)
        .join(', ');
      throw new TensorRTNodeError(ErrorCode.SHAPE_MISMATCH, `No optimization profile of the engine accepts ${shapes} (${choice.reason})`);
    }
    return choice.index;
  }

  async run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    signal?: AbortSignal,
    outputBuffers: Readonly<Record<string, Tensor>> = {},
  ): Promise<Record<string, Tensor>> {
    const dims: Record<string, readonly number[]> = {};
    for (const input of this.engine.inputs) {
      const feed = feeds[input.name];
      if (feed === undefined)
        throw new TensorRTNodeError(ErrorCode.MISSING_INPUT, `Expected a tensor for input "${input.name}" but received none`);
      setEntry(dims, input.name, feed.dims);
    }
    const profile = this.profileFor(dims);
    const inputs = this.engine.inputs.map((input) => {
      const feed = feeds[input.name] as Tensor;
      // The addon reads ArrayBuffers only; shared memory is copied here, as the CPU backend does.
      const data = feed.data.buffer instanceof SharedArrayBuffer ? feed.data.slice() : feed.data;
      return { name: input.name, data: data as NativeHostView, dims: feed.dims };
    });
    const outputs: NativeRunOutputRequest[] = outputNames.map((name) => {
      const buffer = Object.hasOwn(outputBuffers, name) ? outputBuffers[name] : undefined;
      return buffer === undefined ? { name } : { name, data: buffer.data as NativeHostView };
    });
    const results = await this.pool.run({ inputs, outputs, profile }, signal);
    const tensors: Record<string, Tensor> = {};
    for (const result of results) {
      const info = this.engine.outputs.find((output) => output.name === result.name);
      if (info === undefined) continue;
      const given = Object.hasOwn(outputBuffers, result.name) ? outputBuffers[result.name] : undefined;
      if (given !== undefined) {
        const count = result.dims.reduce((a, b) => a * b, 1);
        // A larger caller buffer (sized for the profile's max) holds the output in its first elements.
        const data = given.data.length === count ? given.data : (given.data.subarray(0, count) as typeof given.data);
        setEntry(tensors, result.name, new Tensor(given.dtype, data, result.dims, { name: result.name }));
        continue;
      }
      const { arrayType } = dtypeInfo(info.dtype);
      const data = new arrayType(result.data as ArrayBuffer, 0, (result.data as ArrayBuffer).byteLength / arrayType.BYTES_PER_ELEMENT);
      setEntry(tensors, result.name, new Tensor(info.dtype, data as DTypeArrayMap[typeof info.dtype], result.dims, { name: result.name }));
    }
    return tensors;
  }

  async dispose(): Promise<void> {
    await this.pool.dispose();
    this.engine.dispose();
  }
}
