/**
 * QDQ -> operator-level quantized format for ONNX Runtime's CPU kernels: each Conv or MatMul that
 * reads dequantized int8 inputs and whose output is quantized again (the 'cpu' target's placement)
 * becomes one QLinearConv / QLinearMatMul over the int8 tensors themselves, with an int32 bias.
 * ONNX Runtime fuses the same groups from QDQ at load time; the explicit form leaves it nothing to
 * match, which can be faster or slower depending on the fusions each form still allows, so the
 * quantizer times both and keeps the faster. Nodes that do not fit (a float output, a graph output,
 * weights that are not constant int8) stay as they were, in QDQ form.
 */
import { makeNode } from '../../onnx/builder.js';
import { consumerMap, initializerMap, producerMap, topologicalOrder, uniqueName, usedNames } from '../../onnx/graph.js';
import { makeTensor, readTensor } from '../../onnx/tensor-data.js';
import type { GraphProto, NodeProto, TensorProto } from '../../onnx/types.js';
import { DataType } from '../../onnx/types.js';

export interface QOperatorStats {
  /** Nodes rewritten, by the operator that replaced them (QLinearConv, QLinearMatMul). */
  converted: Record<string, number>;
  /** Conv/MatMul nodes left in QDQ form, with the reason. */
  kept: { node: string; reason: string }[];
}

/** A DequantizeLinear's quantized input and its scale and zero point (initializer names). */
interface Dequantized {
  dq: NodeProto;
  values: string;
  scale: string;
  zeroPoint: string;
}

function dequantizedFrom(
  name: string | undefined,
  producers: ReadonlyMap<string, NodeProto>,
  inits: ReadonlyMap<string, TensorProto>,
): Dequantized | undefined {
  const dq = name === undefined ? undefined : producers.get(name);
  if (!dq || dq.opType !== 'DequantizeLinear' || dq.domain !== '') return undefined;
  const [values, scale, zeroPoint] = dq.input;
  if (!scale || !zeroPoint || !inits.has(scale) || !inits.has(zeroPoint)) return undefined;
  return { dq, values, scale, zeroPoint };
}

function elementCount(tensor: TensorProto): number {
  return tensor.dims.reduce((a, b) => a * Number(b), 1);
}

function isScalarParam(inits: ReadonlyMap<string, TensorProto>, name: string): boolean {
  const tensor = inits.get(name);
  return tensor !== undefined && elementCount(tensor) === 1;
}

/**
 * Rewrites `graph` in place. Expects the QDQ form insertQdq makes for the 'cpu' target: activations
 * through per-tensor Q/DQ pairs, weights as int8 initializers behind per-channel DequantizeLinear,
 * Conv biases as int32 behind DequantizeLinear (or float, quantized here).
 */
export function qdqToQOperator(graph: GraphProto): QOperatorStats {
  const inits = initializerMap(graph);
  const producers = producerMap(graph);
  const consumers = consumerMap(graph);
  const graphOutputs = new Set(graph.output.map((output) => output.name));
  const names = usedNames(graph);
  const stats: QOperatorStats = { converted: {}, kept: [] };
  const removed = new Set<NodeProto>();
  const added: NodeProto[] = [];

  const keep = (node: NodeProto, reason: string): void => {
    stats.kept.push({ node: node.name || node.output[0], reason });
  };

  for (const node of graph.node) {
    if ((node.opType !== 'Conv' && node.opType !== 'MatMul') || node.domain !== '') continue;
    const x = dequantizedFrom(node.input[0], producers, inits);
    const w = dequantizedFrom(node.input[1], producers, inits);
    if (!x || !w || !isScalarParam(inits, x.scale) || !isScalarParam(inits, x.zeroPoint)) {
      keep(node, 'inputs are not dequantized int8 tensors');
      continue;
    }
    const output = node.output[0];
    const readers = consumers.get(output) ?? [];
    const q = readers.length === 1 && readers[0].opType === 'QuantizeLinear' && readers[0].domain === '' ? readers[0] : undefined;
    if (
      !q ||
      graphOutputs.has(output) ||
      !q.input[1] ||
      !q.input[2] ||
      !isScalarParam(inits, q.input[1]) ||
      !isScalarParam(inits, q.input[2])
    ) {
      keep(node, 'output is not quantized');
      continue;
    }
    const xZeroPoint = inits.get(x.zeroPoint) as TensorProto;
    const yZeroPoint = inits.get(q.input[2]) as TensorProto;
    // ONNX Runtime's kernels take the same 8-bit type in and out.
    if (xZeroPoint.dataType !== yZeroPoint.dataType) {
      keep(node, 'input and output quantized to different types');
      continue;
    }
    if (node.opType === 'Conv') {
      const weight = inits.get(w.values);
      if (!weight || weight.dataType !== DataType.INT8) {
        keep(node, 'weights are not constant int8');
        continue;
      }
      // QLinearConv scales weights per output channel (axis 0); DequantizeLinear's axis defaults to 1.
      if (!isScalarParam(inits, w.scale) && Number(w.dq.attribute.find((a) => a.name === 'axis')?.i ?? 1n) !== 0) {
        keep(node, 'weights are not per output channel');
        continue;
      }
      const bias = convBias(node, x, w, inits, producers, names, graph);
      if (bias === null) {
        keep(node, 'bias cannot be expressed in int32');
        continue;
      }
      const fused = makeNode({
        op: 'QLinearConv',
        inputs: [x.values, x.scale, x.zeroPoint, w.values, w.scale, w.zeroPoint, q.input[1], q.input[2], ...(bias ? [bias] : [])],
        outputs: [q.output[0]],
        name: uniqueName(names, `${node.name || output}_QLinearConv`),
      });
      fused.attribute = node.attribute.map((attribute) => ({ ...attribute }));
      added.push(fused);
    } else {
      // QLinearMatMul: a per-tensor, b per-tensor or per-column (a 2-D constant weight's axis 1).
      const weight = inits.get(w.values);
      const wScale = inits.get(w.scale) as TensorProto;
      const perColumn = !isScalarParam(inits, w.scale);
      if (perColumn) {
        const axis = w.dq.attribute.find((a) => a.name === 'axis');
        const columns = weight ? Number(weight.dims[weight.dims.length - 1]) : -1;
        if (!weight || weight.dims.length !== 2 || Number(axis?.i ?? 1n) !== 1 || elementCount(wScale) !== columns) {
          keep(node, 'weights are not per-tensor or per-column');
          continue;
        }
      }
      added.push(
        makeNode({
          op: 'QLinearMatMul',
          inputs: [x.values, x.scale, x.zeroPoint, w.values, w.scale, w.zeroPoint, q.input[1], q.input[2]],
          outputs: [q.output[0]],
          name: uniqueName(names, `${node.name || output}_QLinearMatMul`),
        }),
      );
    }
    const op = added[added.length - 1].opType;
    stats.converted[op] = (stats.converted[op] ?? 0) + 1;
    removed.add(node);
    removed.add(q);
  }
  if (added.length === 0) return stats;
  graph.node = [...graph.node.filter((node) => !removed.has(node)), ...added];
  dropDeadDequantize(graph);
  graph.node = topologicalOrder(graph);
  const read = consumerMap(graph);
  graph.initializer = graph.initializer.filter((tensor) => read.has(tensor.name) || graphOutputs.has(tensor.name));
  return stats;
}

/**
 * The Conv's bias as an int32 initializer at scale x_scale * w_scale (per output channel), reusing the
 * QDQ model's int32 bias when it is one; undefined without a bias; null when it is neither.
 */
function convBias(
  node: NodeProto,
  x: Dequantized,
  w: Dequantized,
  inits: Map<string, TensorProto>,
  producers: ReadonlyMap<string, NodeProto>,
  names: Set<string>,
  graph: GraphProto,
): string | undefined | null {
  const name = node.input[2];
  if (!name) return undefined;
  const dequantized = dequantizedFrom(name, producers, inits);
  if (dequantized) {
    const values = inits.get(dequantized.values);
    return values && values.dataType === DataType.INT32 ? dequantized.values : null;
  }
  const tensor = inits.get(name);
  if (!tensor || tensor.dataType !== DataType.FLOAT) return null;
  const bias = readTensor(tensor).data as Float32Array;
  const xScale = (readTensor(inits.get(x.scale) as TensorProto).data as Float32Array)[0];
  const wScales = readTensor(inits.get(w.scale) as TensorProto).data as Float32Array;
  if (wScales.length !== 1 && wScales.length !== bias.length) return null;
  const quantized = Int32Array.from(bias, (b, c) => Math.round(b / (xScale * wScales[wScales.length === 1 ? 0 : c])));
  const out = uniqueName(names, `${name}_int32`);
  const created = makeTensor(out, 'int32', [bias.length], quantized);
  graph.initializer.push(created);
  inits.set(out, created);
  return out;
}

/** Removes DequantizeLinear nodes nobody reads any more (their quantized tensors now feed the fused ops). */
function dropDeadDequantize(graph: GraphProto): void {
  const outputs = new Set(graph.output.map((output) => output.name));
  for (;;) {
    const read = consumerMap(graph);
    const dead = graph.node.filter(
      (node) => node.opType === 'DequantizeLinear' && !read.has(node.output[0]) && !outputs.has(node.output[0]),
    );
    if (dead.length === 0) return;
    const gone = new Set(dead);
    graph.node = graph.node.filter((node) => !gone.has(node));
  }
}
