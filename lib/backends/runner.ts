import type { Tensor } from '../tensor.js';

/** Where the CPU backend's runs execute: ONNX Runtime on the calling thread, or on a worker thread. */
export interface Runner {
  run(feeds: Readonly<Record<string, Tensor>>, outputNames: readonly string[], signal?: AbortSignal): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
  /** Runs handed to ONNX Runtime so far. */
  readonly computed: number;
}
