/**
 * Raises a model's default-domain opset to 13, the first with per-axis QuantizeLinear/DequantizeLinear
 * (per-channel weights need it). Only the changes between opsets 7 and 13 that alter a node's form are
 * rewritten (attributes that became inputs); an op whose meaning changed in a way this cannot convert
 * is refused rather than silently changed.
 */
import { ErrorCode, TensorRTNodeError } from '../../errors.js';
import { getAttribute, nodeSubgraphs, opsetVersion, uniqueName, usedNames } from '../../onnx/graph.js';
import { makeTensor } from '../../onnx/tensor-data.js';
import type { GraphProto, ModelProto, NodeProto } from '../../onnx/types.js';

export const QDQ_OPSET = 13;

function takeAttribute(node: NodeProto, name: string) {
  const attribute = getAttribute(node, name);
  if (attribute) node.attribute = node.attribute.filter((a) => a !== attribute);
  return attribute;
}

/** Ops (default domain) whose form or meaning changed between opset 7 and 13, and what this file does about it. */
const CHANGED_OPS = new Set([
  'Clip',
  'Slice',
  'Squeeze',
  'Unsqueeze',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'Pad',
  'Upsample',
  'Resize',
  'TopK',
  'Split',
  'ReduceSum',
  'Dropout',
]);

export interface UpgradeContext {
  /** Rank of a value, where known (calibration measures it); needed for Softmax before opset 13. */
  rankOf(name: string): number | undefined;
}

function int64Initializer(graph: GraphProto, names: Set<string>, base: string, values: readonly bigint[]): string {
  const name = uniqueName(names, base);
  graph.initializer.push(makeTensor(name, 'int64', [values.length], BigInt64Array.from(values)));
  return name;
}

function floatScalar(graph: GraphProto, names: Set<string>, base: string, value: number): string {
  const name = uniqueName(names, base);
  graph.initializer.push(makeTensor(name, 'float32', [], Float32Array.of(value)));
  return name;
}

function upgradeNode(graph: GraphProto, node: NodeProto, from: number, names: Set<string>, context: UpgradeContext): void {
  const label = node.name || node.output[0];
  const refuse = (why: string) =>
    new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Cannot raise ${node.opType} node "${label}" from opset ${from} to ${QDQ_OPSET} (needed for per-channel Q/DQ): ${why}`,
    );
  switch (node.opType) {
    case 'Clip': {
      if (from >= 11) return;
      const min = takeAttribute(node, 'min');
      const max = takeAttribute(node, 'max');
      node.input = [
        node.input[0],
        min ? floatScalar(graph, names, `${label}_min`, min.f) : '',
        max ? floatScalar(graph, names, `${label}_max`, max.f) : '',
      ];
      while (node.input[node.input.length - 1] === '') node.input.pop();
      return;
    }
    case 'Slice': {
      if (from >= 10) return;
      const starts = takeAttribute(node, 'starts');
      const ends = takeAttribute(node, 'ends');
      const axes = takeAttribute(node, 'axes');
      if (!starts || !ends) throw refuse('it lacks starts or ends');
      node.input = [
        node.input[0],
        int64Initializer(graph, names, `${label}_starts`, starts.ints),
        int64Initializer(graph, names, `${label}_ends`, ends.ints),
      ];
      if (axes) node.input.push(int64Initializer(graph, names, `${label}_axes`, axes.ints));
      return;
    }
    case 'Squeeze':
    case 'Unsqueeze': {
      const axes = takeAttribute(node, 'axes');
      if (axes) node.input = [node.input[0], int64Initializer(graph, names, `${label}_axes`, axes.ints)];
      return;
    }
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax': {
      // Before 13 these flatten to 2-D at `axis`; identical to the 13 form only when axis is the last one.
      const attribute = getAttribute(node, 'axis');
      const axis = attribute ? Number(attribute.i) : 1;
      if (axis === -1) return;
      const rank = context.rankOf(node.input[0]);
      if (rank === undefined) throw refuse(`the rank of its input "${node.input[0]}" is unknown`);
      if ((axis + rank) % rank !== rank - 1) throw refuse(`axis ${axis} is not the last axis of its rank-${rank} input`);
      return;
    }
    case 'Dropout':
      // Inference ignores dropout; opset 12 turned `ratio` into an input, which defaults the same way.
      takeAttribute(node, 'ratio');
      return;
    case 'Resize':
      if (from >= 11) return;
      throw refuse('Resize before opset 11 has other coordinate semantics');
    default:
      if (CHANGED_OPS.has(node.opType)) {
        if (['Pad', 'TopK', 'Upsample'].includes(node.opType) && from < 11)
          throw refuse('its attributes moved to inputs in a form this converter does not handle');
        if (['Split', 'ReduceSum'].includes(node.opType) && (getAttribute(node, 'split') || getAttribute(node, 'axes')))
          throw refuse('its attributes became inputs in opset 13');
      }
  }
}

/** The model's default-domain opset, refused when this converter cannot start from it (checked before calibration). */
export function checkSourceOpset(model: ModelProto): number {
  const from = opsetVersion(model);
  if (from === undefined)
    throw new TensorRTNodeError(ErrorCode.UNSUPPORTED, 'Expected the model to import the default ONNX opset but it imports none');
  if (from < 7)
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected a model of opset 7 or later for INT8 quantization but it imports opset ${from}`,
    );
  return from;
}

/** Rewrites the model in place to opset 13 (no-op when it is already there or above). */
export function upgradeToQdqOpset(model: ModelProto, context: UpgradeContext): void {
  const from = checkSourceOpset(model);
  if (from >= QDQ_OPSET) return;
  const graph = model.graph as GraphProto;
  const names = usedNames(graph);
  // Subgraphs (If branches, Loop and Scan bodies) follow the model's opset too.
  const upgradeGraph = (g: GraphProto): void => {
    for (const node of [...g.node]) {
      if (node.domain === '' || node.domain === 'ai.onnx') upgradeNode(g, node, from, names, context);
      for (const sub of nodeSubgraphs(node)) upgradeGraph(sub);
    }
  };
  upgradeGraph(graph);
  for (const entry of model.opsetImport) if (entry.domain === '' || entry.domain === 'ai.onnx') entry.version = BigInt(QDQ_OPSET);
  // Opset 13 needs IR version 7 or later.
  if (model.irVersion < 7n) model.irVersion = 7n;
}
