import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

export type BackendName = 'cpu' | 'tensorrt' | 'remote';

/** One input or output of a model. Symbolic dims are strings ('batch'); TensorRT's dynamic dims are -1. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly (number | string)[];
}

/**
 * What every backend gives the session. The session has already validated and normalised the feeds
 * against `inputs` (names, dtypes, ranks, fixed dims) and the output names against `outputs`, so a
 * backend trusts them.
 */
export interface Backend {
  readonly name: BackendName;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** `outputBuffers`: caller tensors (the output's dtype, at least its size) that receive those outputs. */
  run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    signal?: AbortSignal,
    outputBuffers?: Readonly<Record<string, Tensor>>,
  ): Promise<Record<string, Tensor>>;
  /** Whether the model can serve runs now; a backend without the method always can (local ones). */
  ready?(signal?: AbortSignal): Promise<boolean>;
  /**
   * Backends that move runs between threads by themselves (the CPU backend's runOn 'auto'): stop
   * moving, after any move under way, and say where runs execute from now on.
   */
  settlePlacement?(): Promise<'main' | 'worker'>;
  /** Releases native resources. Called once, after every run has settled. */
  dispose(): Promise<void>;
}
