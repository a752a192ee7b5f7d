/**
 * Where quantization goes. TensorRT's explicit quantization fuses a DequantizeLinear into the op that
 * reads it, so Q/DQ pairs sit on the inputs of the ops that have int8 kernels (Conv, ConvTranspose,
 * Gemm, MatMul) and on the branch of a residual Add that joins a quantized convolution's output.
 * ONNX Runtime's CPU kernels fuse DQ -> op -> Q groups into QLinear* operators, so for the 'cpu' target
 * the outputs of those ops are quantized as well.
 */
import { consumerMap, initializerMap, producerMap } from '../../onnx/graph.js';
import { readTensor } from '../../onnx/tensor-data.js';
import type { GraphProto, NodeProto, TensorProto } from '../../onnx/types.js';

export type QuantTarget = 'tensorrt' | 'cpu';
export const QUANT_TARGETS: readonly QuantTarget[] = ['tensorrt', 'cpu'];
export const QUANTIZABLE_OPS: readonly string[] = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];

export interface Exclusions {
  /** Node names kept in float. */
  nodes?: readonly string[];
  /** Op types kept in float (e.g. ['MatMul']). */
  opTypes?: readonly string[];
}

export interface QuantizableNode {
  node: NodeProto;
  /** Float weight initializer and the axis of its output channels, when the op has constant weights. */
  weight?: { name: string; axis: number };
  /** Activation inputs that get a Q/DQ pair. */
  activations: string[];
}

export interface Placement {
  nodes: QuantizableNode[];
  /** Extra activations quantized for TensorRT's residual-Add fusion: tensor -> the Add nodes that read it through Q/DQ. */
  residual: Map<string, NodeProto[]>;
  /** 'cpu' target: quantizable node outputs that get a Q/DQ pair for ONNX Runtime's QLinear fusion. */
  outputs: string[];
}

function isFloatInitializer(inits: Map<string, TensorProto>, name: string): boolean {
  const tensor = inits.get(name);
  return tensor !== undefined && tensor.dataType === 1;
}

/** Output-channel axis of a constant weight, or undefined when the op cannot take per-channel weights. */
function weightAxis(node: NodeProto, inits: Map<string, TensorProto>): number | undefined {
  const name = node.input[1];
  if (!name || !isFloatInitializer(inits, name)) return undefined;
  const rank = readTensor(inits.get(name) as TensorProto).dims.length;
  switch (node.opType) {
    case 'Conv':
      return 0;
    case 'ConvTranspose':
      return 1;
    case 'Gemm': {
      const transB = node.attribute.find((a) => a.name === 'transB');
      return transB && transB.i !== 0n ? 0 : 1;
    }
    case 'MatMul':
      return rank === 2 ? 1 : undefined;
    default:
      return undefined;
  }
}

/** A node's identity for exclusions and reports: its name, or its first output when unnamed. */
export function nodeKey(node: NodeProto): string {
  return node.name || node.output[0];
}

/**
 * The quantizable nodes and activations. `keepFloat` names nodes to leave in float (sensitivity
 * analysis); `only`, when given, restricts quantization to those nodes.
 */
export function findPlacement(
  graph: GraphProto,
  target: QuantTarget,
  exclude: Exclusions = {},
  keepFloat: ReadonlySet<string> = new Set(),
  only?: ReadonlySet<string>,
): Placement {
  const inits = initializerMap(graph);
  const producers = producerMap(graph);
  const consumers = consumerMap(graph);
  const excludedNames = new Set(exclude.nodes ?? []);
  const excludedOps = new Set(exclude.opTypes ?? []);
  const nodes: QuantizableNode[] = [];
  for (const node of graph.node) {
    if (!QUANTIZABLE_OPS.includes(node.opType) || node.domain !== '') continue;
    if (excludedNames.has(node.name) || excludedOps.has(node.opType) || keepFloat.has(nodeKey(node)) || (only && !only.has(nodeKey(node))))
      continue;
    const axis = weightAxis(node, inits);
    const activations: string[] = [];
    if (node.input[0] && !inits.has(node.input[0])) activations.push(node.input[0]);
    let weight: QuantizableNode['weight'];
    if (axis !== undefined) weight = { name: node.input[1], axis };
    else if (node.opType === 'MatMul' && node.input[1] && !inits.has(node.input[1])) activations.push(node.input[1]);
    else if (node.input[1] && inits.has(node.input[1])) continue; // constant weights of a shape per-channel cannot serve
    nodes.push({ node, weight, activations });
  }
  const quantizedNodes = new Set(nodes.map((entry) => entry.node));
  const residual = new Map<string, NodeProto[]>();
  const outputs: string[] = [];
  if (target === 'tensorrt') {
    for (const add of graph.node) {
      if (add.opType !== 'Add' || add.input.length !== 2 || add.input.some((name) => inits.has(name))) continue;
      const fused = add.input.map((name) => producers.get(name));
      // TensorRT fuses Add into the convolution that produces one input; the other joins in int8.
      const convIndex = fused.findIndex(
        (producer) =>
          producer !== undefined &&
          producer.opType === 'Conv' &&
          quantizedNodes.has(producer) &&
          (consumers.get(producer.output[0]) ?? []).length === 1,
      );
      if (convIndex < 0) continue;
      const branch = add.input[1 - convIndex];
      const list = residual.get(branch) ?? [];
      list.push(add);
      residual.set(branch, list);
    }
  } else {
    const graphOutputs = new Set(graph.output.map((output) => output.name));
    for (const { node } of nodes) if (!graphOutputs.has(node.output[0])) outputs.push(node.output[0]);
  }
  return { nodes, residual, outputs };
}

/** Every activation tensor whose range calibration must measure. */
export function observedTensors(placement: Placement): string[] {
  const names = new Set<string>();
  for (const entry of placement.nodes) for (const name of entry.activations) names.add(name);
  for (const name of placement.residual.keys()) names.add(name);
  for (const name of placement.outputs) names.add(name);
  return [...names];
}
