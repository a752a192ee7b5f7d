/**
 * The tensors a Triton config declares, read from what is exported: an ONNX graph's inputs and
 * outputs (types and dims as the model states them), or a TensorRT engine's I/O tensors and the
 * batch range of its profile 0, which Triton's TensorRT backend uses unless told otherwise.
 */
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { type ModelProto, type ValueInfoProto, graphInputs } from '../onnx/index.js';
import type { Engine } from '../tensorrt/engine.js';
import type { BatchRange, ModelTensor } from './triton-config.js';
import { tritonDataType, tritonDataTypeFromOnnx } from './triton-types.js';

function onnxTensor(value: ValueInfoProto, role: 'input' | 'output'): ModelTensor {
  const what = `${role} "${value.name}"`;
  const type = value.type?.value;
  if (type?.case !== 'tensorType')
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected a tensor for ${what} but received ${type?.case ?? 'a value of no stated type'}`,
    );
  const dataType = tritonDataTypeFromOnnx(type.value.elemType, what);
  const shape = type.value.shape;
  if (shape === undefined)
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected a stated rank for ${what} (Triton's config lists its dims) but received a tensor whose rank the model does not state`,
    );
  return {
    name: value.name,
    dataType,
    shape: shape.dim.map((dim) => (dim.value.case === 'dimValue' && dim.value.value >= 0n ? Number(dim.value.value) : -1)),
  };
}

export function onnxTensors(model: ModelProto): { inputs: ModelTensor[]; outputs: ModelTensor[] } {
  const graph = model.graph;
  if (graph === undefined)
    throw new TensorRTNodeError(ErrorCode.MODEL_LOAD, 'Expected an ONNX model with a graph but received one without');
  return {
    inputs: graphInputs(graph).map((value) => onnxTensor(value, 'input')),
    outputs: graph.output.map((value) => onnxTensor(value, 'output')),
  };
}

export function engineTensors(engine: Engine): { inputs: ModelTensor[]; outputs: ModelTensor[]; batchRange: BatchRange | undefined } {
  const host = engine.tensors.find((t) => t.location === 'host');
  if (host !== undefined)
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected device tensors for ${host.mode} "${host.name}" of the engine but received a shape tensor (host memory), which this export does not declare`,
    );
  const describe = (mode: 'input' | 'output'): ModelTensor[] =>
    engine.tensors.filter((t) => t.mode === mode).map((t) => ({ name: t.name, dataType: tritonDataType(t.dtype), shape: [...t.shape] }));
  const ranges = Object.values(engine.profiles[0]?.inputs ?? {});
  const first = (key: 'min' | 'opt' | 'max'): number[] => ranges.map((r) => r[key][0] ?? 1);
  // Every input must take the batch: the tightest bounds over them.
  const batchRange =
    ranges.length === 0 ? undefined : { min: Math.max(...first('min')), opt: Math.min(...first('opt')), max: Math.min(...first('max')) };
  return { inputs: describe('input'), outputs: describe('output'), batchRange };
}
