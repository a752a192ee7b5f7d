/**
 * The first weighted layers of a model, kept in float32 by the FP16 conversion when that is nearly
 * free. They work at the input's full resolution, and a rounding error made there travels through
 * every later layer: on PP-OCRv4's recognizer, float16 rounding of the first depthwise convolution's
 * output alone costs half of the FP16 model's cosine distance to FP32 (mean 0.99995 -> 0.99999
 * with it kept in float32, on held-out text unlike the usual renderings). Their weights are a
 * sliver of the model (0.02% there), so the file barely grows; where they are not a sliver (small
 * classifiers) they are converted like the rest.
 */
import { getAttribute } from '../onnx/graph.js';
import { DataType, type GraphProto, type NodeProto, type TensorProto } from '../onnx/types.js';

/** Ops whose second input is a weight. */
const WEIGHTED_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Default number of leading weighted layers kept in float32. */
export const DEFAULT_FLOAT32_LEADING_LAYERS = 2;

/** Largest share of the model's float32 parameters the kept layers' weights may hold. */
export const FLOAT32_LEADING_LAYERS_BUDGET = 0.001;

function elements(tensor: TensorProto): number {
  return tensor.dims.reduce((product, dim) => product * Number(dim), 1);
}

/**
 * The first `count` Conv/ConvTranspose/Gemm/MatMul nodes of the main graph (in its topological
 * order) whose weight is a float32 constant, when those weights hold at most
 * FLOAT32_LEADING_LAYERS_BUDGET of the graph's float32 constant elements; otherwise none.
 */
export function leadingLayersToKeepFloat32(graph: GraphProto, count: number): NodeProto[] {
  if (count <= 0) return [];
  const constants = new Map<string, TensorProto>();
  for (const tensor of graph.initializer) constants.set(tensor.name, tensor);
  for (const node of graph.node) {
    const value = node.opType === 'Constant' ? getAttribute(node, 'value')?.t : undefined;
    if (value) constants.set(node.output[0], value);
  }
  let total = 0;
  for (const tensor of constants.values()) if (tensor.dataType === DataType.FLOAT) total += elements(tensor);
  const chosen: NodeProto[] = [];
  let kept = 0;
  for (const node of graph.node) {
    if (chosen.length >= count) break;
    if (!WEIGHTED_OPS.has(node.opType)) continue;
    const weight = constants.get(node.input[1] ?? '');
    if (weight?.dataType !== DataType.FLOAT) continue;
    chosen.push(node);
    kept += elements(weight);
  }
  return total > 0 && kept <= FLOAT32_LEADING_LAYERS_BUDGET * total ? chosen : [];
}
