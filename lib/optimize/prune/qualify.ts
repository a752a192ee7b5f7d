/**
 * Which Conv/ConvTranspose/Gemm/MatMul layers can take the 2:4 pattern, and why the others cannot.
 * The pattern runs along the input channels of a constant float32 weight, so those must come in
 * groups of four; TensorRT's sparse kernels cover dense and grouped convolutions and fully connected
 * layers, not depthwise or transposed convolutions.
 */
import { consumerMap, getAttribute } from '../../onnx/graph.js';
import { DataType, type GraphProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import type { ChannelLayout } from './two-four.js';

export const PRUNABLE_OPS: readonly string[] = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];

export interface PrunableLayer {
  node: NodeProto;
  /** Node name, or its first output when unnamed. */
  key: string;
  weight: TensorProto;
  layout: ChannelLayout;
}

export interface SkippedLayer {
  node: string;
  opType: string;
  reason: string;
}

export function layerKey(node: NodeProto): string {
  return node.name || node.output[0];
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** The layout of `weight` for `node`, or why it cannot be pruned. */
function layoutOf(node: NodeProto, dims: readonly number[]): ChannelLayout | string {
  if (node.opType === 'ConvTranspose') return 'transposed convolutions have no sparse kernels in TensorRT';
  if (node.opType === 'Conv') {
    if (dims.length < 3) return `a convolution weight needs 3 or more dimensions, not ${dims.length}`;
    const group = Number(getAttribute(node, 'group')?.i ?? 1n);
    const channels = dims[1];
    if (channels === 1 && group > 1) return 'depthwise convolution (one input channel per group)';
    if (channels % 4 !== 0) return `${channels} input channels per group is not a multiple of 4`;
    return { outer: dims[0], channels, inner: product(dims.slice(2)) };
  }
  if (dims.length !== 2) return `the weight has ${dims.length} dimensions, not 2`;
  const transposed = node.opType === 'Gemm' && (getAttribute(node, 'transB')?.i ?? 0n) !== 0n;
  const channels = transposed ? dims[1] : dims[0];
  if (channels % 4 !== 0) return `${channels} input channels is not a multiple of 4`;
  return transposed ? { outer: dims[0], channels, inner: 1 } : { outer: 1, channels, inner: dims[1] };
}

/** Sorts the graph's weighted layers into prunable ones and skipped ones with a reason each. */
export function findPrunableLayers(graph: GraphProto): { prunable: PrunableLayer[]; skipped: SkippedLayer[] } {
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  const consumers = consumerMap(graph);
  const prunable: PrunableLayer[] = [];
  const skipped: SkippedLayer[] = [];
  for (const node of graph.node) {
    if (!PRUNABLE_OPS.includes(node.opType)) continue;
    const key = layerKey(node);
    const skip = (reason: string) => skipped.push({ node: key, opType: node.opType, reason });
    const weight = initializers.get(node.input[1] ?? '');
    if (!weight) {
      skip('the weight is not a constant');
      continue;
    }
    if (weight.dataType !== DataType.FLOAT) {
      skip('the weight is not float32');
      continue;
    }
    if ((consumers.get(weight.name) ?? []).length > 1) {
      skip('the weight is shared with other nodes');
      continue;
    }
    if (node.opType === 'MatMul' && node.input[0] && initializers.has(node.input[0])) {
      skip('both operands are constants');
      continue;
    }
    const layout = layoutOf(node, weight.dims.map(Number));
    if (typeof layout === 'string') skip(layout);
    else prunable.push({ node, key, weight, layout });
  }
  return { prunable, skipped };
}
