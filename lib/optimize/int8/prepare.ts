/**
 * Graph clean-ups before quantization: constants become initializers (so weights are found in one
 * place) and BatchNormalization folds into the convolution before it, so the per-channel weight scales
 * are those of the weights the hardware actually multiplies with.
 */
import { AttributeType, type GraphProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { consumerMap, getAttribute, initializerMap } from '../../onnx/graph.js';
import { makeTensor, readTensor } from '../../onnx/tensor-data.js';

/** Constant nodes holding a tensor become initializers of the same name. Returns how many moved. */
export function constantsToInitializers(graph: GraphProto): number {
  const graphOutputs = new Set(graph.output.map((output) => output.name));
  const kept: NodeProto[] = [];
  let moved = 0;
  for (const node of graph.node) {
    const value = node.opType === 'Constant' && node.domain === '' && node.attribute.length === 1 ? getAttribute(node, 'value') : undefined;
    if (value?.type === AttributeType.TENSOR && value.t && !graphOutputs.has(node.output[0])) {
      const tensor: TensorProto = value.t;
      tensor.name = node.output[0];
      graph.initializer.push(tensor);
      moved++;
    } else kept.push(node);
  }
  graph.node = kept;
  return moved;
}

function floatInitializer(inits: Map<string, TensorProto>, name: string | undefined): Float32Array | undefined {
  if (!name) return undefined;
  const tensor = inits.get(name);
  if (!tensor) return undefined;
  const value = readTensor(tensor);
  return value.dtype === 'float32' ? (value.data as Float32Array) : undefined;
}

/**
 * Folds BatchNormalization into a Conv or ConvTranspose that feeds only it and has constant weights.
 * Returns the number folded.
 */
export function foldBatchNorms(graph: GraphProto): number {
  const inits = initializerMap(graph);
  const consumers = consumerMap(graph);
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node) for (const output of node.output) producers.set(output, node);
  const graphOutputs = new Set(graph.output.map((output) => output.name));
  const removed = new Set<NodeProto>();
  for (const bn of graph.node) {
    if (bn.opType !== 'BatchNormalization' || bn.output.filter(Boolean).length !== 1) continue;
    const conv = producers.get(bn.input[0]);
    if (!conv || (conv.opType !== 'Conv' && conv.opType !== 'ConvTranspose')) continue;
    if ((consumers.get(conv.output[0]) ?? []).length !== 1 || graphOutputs.has(conv.output[0])) continue;
    const [gamma, beta, mean, variance] = bn.input.slice(1, 5).map((name) => floatInitializer(inits, name));
    const weightTensor = inits.get(conv.input[1]);
    const weights = floatInitializer(inits, conv.input[1]);
    if (!gamma || !beta || !mean || !variance || !weights || !weightTensor) continue;
    // A weight shared with another node cannot be rescaled for this one alone.
    if ((consumers.get(conv.input[1]) ?? []).length !== 1) continue;
    const epsilon = getAttribute(bn, 'epsilon')?.f ?? 1e-5;
    const dims = readTensor(weightTensor).dims;
    const group = Number(getAttribute(conv, 'group')?.i ?? 1n);
    const channels = gamma.length;
    const bias = floatInitializer(inits, conv.input[2]) ?? new Float32Array(channels);
    if (bias.length !== channels) continue;
    const scale = new Float32Array(channels);
    for (let c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
    const folded = Float32Array.from(weights);
    if (conv.opType === 'Conv') {
      if (dims[0] !== channels) continue;
      const perChannel = folded.length / channels;
      for (let c = 0; c < channels; c++) for (let i = 0; i < perChannel; i++) folded[c * perChannel + i] *= scale[c];
    } else {
      // ConvTranspose weights are [Cin, Cout/group, ...]; output channel = g * (Cout/group) + j.
      const [cin, coutPerGroup] = dims;
      if (coutPerGroup * group !== channels) continue;
      const inner = folded.length / (cin * coutPerGroup);
      const cinPerGroup = cin / group;
      for (let i = 0; i < cin; i++) {
        const g = Math.floor(i / cinPerGroup);
        for (let j = 0; j < coutPerGroup; j++) {
          const s = scale[g * coutPerGroup + j];
          const base = (i * coutPerGroup + j) * inner;
          for (let k = 0; k < inner; k++) folded[base + k] *= s;
        }
      }
    }
    const newBias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) newBias[c] = (bias[c] - mean[c]) * scale[c] + beta[c];
    const weightName = conv.input[1];
    const biasName = `${bn.output[0]}_folded_bias`;
    graph.initializer = graph.initializer.filter((tensor) => tensor.name !== weightName);
    graph.initializer.push(makeTensor(weightName, 'float32', dims, folded), makeTensor(biasName, 'float32', [channels], newBias));
    conv.input = [conv.input[0], weightName, biasName];
    conv.output = [bn.output[0]];
    removed.add(bn);
  }
  graph.node = graph.node.filter((node) => !removed.has(node));
  return removed.size;
}

/** Drops initializers nothing reads any more (old biases replaced by folding). */
export function dropUnusedInitializers(graph: GraphProto): void {
  const consumers = consumerMap(graph);
  const outputs = new Set(graph.output.map((output) => output.name));
  const used = (name: string) => consumers.has(name) || outputs.has(name);
  const dropped = new Set(graph.initializer.filter((tensor) => !used(tensor.name)).map((tensor) => tensor.name));
  graph.initializer = graph.initializer.filter((tensor) => !dropped.has(tensor.name));
  // Before IR 4 initializers were listed as inputs too; those go with their initializer.
  graph.input = graph.input.filter((input) => !dropped.has(input.name));
}
