import * as ort from 'onnxruntime-node';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../../../lib/onnx/float16.js';
import { decodeModel, encodeModel } from '../../../lib/onnx/model-io.js';
import { DataType, type GraphProto, type ModelProto } from '../../../lib/onnx/types.js';
import { type Float16Options, convertModelProtoToFloat16 } from '../../../lib/optimize/fp16.js';
import { tensorElementType } from '../../../lib/optimize/type-inference.js';

export function toFloat16Model(bytes: Uint8Array, options: Float16Options = {}) {
  const model = decodeModel(bytes);
  const stats = convertModelProtoToFloat16(model, options);
  return { model, stats, bytes: encodeModel(model) };
}

export type Feed = Record<string, { type: 'float32' | 'int64' | 'bool'; data: Float32Array | BigInt64Array | Uint8Array; dims: number[] }>;

/** Runs a model on ONNX Runtime; float32 feeds go in as float16 where the model wants float16, outputs come back as float32. */
export async function runModel(bytes: Uint8Array, feed: Feed): Promise<Record<string, Float32Array>> {
  const model = decodeModel(bytes);
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of model.graph!.input) {
      const value = feed[input.name];
      if (!value) continue;
      const half = tensorElementType(input.type) === DataType.FLOAT16;
      feeds[input.name] = half
        ? new ort.Tensor('float16', float32ArrayToFloat16(value.data as Float32Array), value.dims)
        : new ort.Tensor(value.type, value.data, value.dims);
    }
    const results = await session.run(feeds);
    return Object.fromEntries(
      Object.entries(results).map(([name, t]) => [
        name,
        t.type === 'float16' ? float16ArrayToFloat32(t.data as Uint16Array) : Float32Array.from(t.data as Float32Array),
      ]),
    );
  } finally {
    await session.release();
  }
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

export function elemTypes(graph: GraphProto, which: 'input' | 'output' | 'valueInfo'): Record<string, number | undefined> {
  return Object.fromEntries(graph[which].map((info) => [info.name, tensorElementType(info.type)]));
}

export function initializerTypes(model: ModelProto): Record<string, number> {
  return Object.fromEntries(model.graph!.initializer.map((t) => [t.name, t.dataType]));
}

export function opTypes(graph: GraphProto): string[] {
  return graph.node.map((node) => node.opType);
}
