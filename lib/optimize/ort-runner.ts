/**
 * Runs a model on ONNX Runtime's CPU provider for the optimizer's own needs (quality reports,
 * calibration), on the calling thread with feeds prepared once so that timings measure the model,
 * not the front door: float32 feeds are converted to whatever float type the model's inputs have, and
 * float outputs come back as float32, so an FP16 model and its FP32 original are fed and read alike.
 */
import type * as Ort from 'onnxruntime-node';
import { requireOrt } from '../backends/ort.js';
import { dtypeInfo, type TypedArray } from '../dtype.js';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../onnx/float16.js';
import { decodeModel } from '../onnx/model-io.js';
import { graphInputs } from '../onnx/graph.js';
import { DataType } from '../onnx/types.js';
import { Tensor } from '../tensor.js';
import { tensorElementType } from './type-inference.js';
import type { Feeds } from './feeds.js';

export interface OrtRunnerOptions {
  /** ONNX Runtime intra-op threads (default: ONNX Runtime's choice). */
  threads?: number;
}

export class OrtRunner {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly inputTypes: ReadonlyMap<string, number>,
    readonly outputNames: readonly string[],
  ) {}

  static async create(model: Uint8Array, options: OrtRunnerOptions = {}): Promise<OrtRunner> {
    const ort = requireOrt();
    const graph = decodeModel(model).graph;
    const inputTypes = new Map((graph ? graphInputs(graph) : []).map((input) => [input.name, tensorElementType(input.type) ?? 0]));
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'],
        ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
      });
    } catch (cause) {
      throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, 'ONNX Runtime cannot load the model', {
        cause,
        details: cause instanceof Error ? cause.message : String(cause),
      });
    }
    return new OrtRunner(ort, session, inputTypes, session.outputNames);
  }

  /** Feeds converted once to ONNX Runtime tensors of the model's input types (reusable across runs). */
  prepare(feeds: Feeds): Record<string, Ort.Tensor> {
    const prepared: Record<string, Ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      const wanted = this.inputTypes.get(name);
      if (wanted === undefined) {
        throw new TensorRTNodeError(
          ErrorCode.UNKNOWN_TENSOR,
          `Expected one of the model inputs (${[...this.inputTypes.keys()].join(', ')}) for a feed name but received "${name}"`,
        );
      }
      const dims = [...tensor.dims];
      if (wanted === DataType.FLOAT16 && tensor.dtype === 'float32') {
        prepared[name] = new this.ort.Tensor('float16', float32ArrayToFloat16(tensor.data as Float32Array), dims);
      } else if (wanted === DataType.FLOAT && tensor.dtype === 'float16') {
        prepared[name] = new this.ort.Tensor('float32', float16ArrayToFloat32(tensor.data as Uint16Array), dims);
      } else {
        prepared[name] = new this.ort.Tensor(
          dtypeInfo(tensor.dtype).ort as Ort.Tensor.Type,
          tensor.data as Ort.Tensor.DataType,
          dims,
        ) as Ort.Tensor;
      }
    }
    return prepared;
  }

  async runPrepared(feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>> {
    try {
      return await this.session.run(feeds);
    } catch (cause) {
      throw new TensorRTNodeError(ErrorCode.INFERENCE_FAILED, 'ONNX Runtime failed to run the model', {
        cause,
        details: cause instanceof Error ? cause.message : String(cause),
      });
    }
  }

  /** Runs and returns every output; float16 outputs are widened to float32. */
  async run(feeds: Feeds): Promise<Record<string, Tensor>> {
    const results = await this.runPrepared(this.prepare(feeds));
    const outputs: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const dims = value.dims.map(Number);
      if (value.type === 'float16') outputs[name] = new Tensor('float32', float16ArrayToFloat32(value.data as Uint16Array), dims);
      else outputs[name] = Tensor.from(value.data as TypedArray, dims);
    }
    return outputs;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
