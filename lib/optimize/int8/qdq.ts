/**
 * The graph rewrite: int8 per-channel weights behind a DequantizeLinear, and QuantizeLinear ->
 * DequantizeLinear pairs on activations, with scales and zero points from calibration.
 */
import { makeAttribute, makeNode } from '../../onnx/builder.js';
import { consumerMap, initializerMap, topologicalOrder, uniqueName, usedNames } from '../../onnx/graph.js';
import { makeTensor, readTensor } from '../../onnx/tensor-data.js';
import type { GraphProto, NodeProto, TensorProto } from '../../onnx/types.js';
import type { Placement, QuantTarget } from './placement.js';

/** Activation quantization parameters: int8 symmetric (zero point 0) or uint8 asymmetric. */
export interface ActivationParams {
  scale: number;
  zeroPoint: number;
  type: 'int8' | 'uint8';
}

export function symmetricParams(amax: number): ActivationParams {
  return { scale: amax > 0 ? amax / 127 : 1, zeroPoint: 0, type: 'int8' };
}

export function asymmetricParams(lo: number, hi: number): ActivationParams {
  const low = Math.min(lo, 0);
  const high = Math.max(hi, 0);
  if (high - low <= 0) return { scale: 1, zeroPoint: 0, type: 'uint8' };
  const scale = (high - low) / 255;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-low / scale))), type: 'uint8' };
}

/** Round half to even, as ONNX QuantizeLinear does. */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

export interface QuantizedWeight {
  values: Int8Array;
  scales: Float32Array;
  dims: number[];
}

/**
 * Symmetric per-channel int8 along `axis`: scale = max|w| / qmax, values in [-qmax, qmax]. qmax is 127,
 * or 63 ("reduce range") where the CPU's u8 x s8 dot products would saturate their int16 pair sums.
 */
export function quantizeWeightPerChannel(data: Float32Array, dims: readonly number[], axis: number, qmax = 127): QuantizedWeight {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const amax = new Float32Array(channels);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) amax[c] = Math.max(amax[c], Math.abs(data[base + i]));
    }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = amax[c] > 0 ? amax[c] / qmax : 1;
  const values = new Int8Array(data.length);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const inverse = 1 / scales[c];
      for (let i = 0; i < inner; i++) values[base + i] = Math.max(-qmax, Math.min(qmax, roundHalfToEven(data[base + i] * inverse)));
    }
  return { values, scales, dims: [...dims] };
}

export interface RewriteStats {
  quantizedNodes: string[];
  quantizedWeightElements: number;
  activationPairs: number;
}

/**
 * Rewrites the graph in place. `params` maps every activation in the placement to its parameters.
 * For the 'cpu' target biases become int32 at scale x_scale * w_scale, as ONNX Runtime's QLinearConv needs.
 */
/**
 * Bias correction: the output shift that rounding the weights causes, E[(Wq - W) x] = (Wq - W) E[x],
 * per output channel, from the per-channel means of the node's input. Undefined when not applicable.
 */
function weightErrorShift(
  node: NodeProto,
  weight: Float32Array,
  dims: readonly number[],
  q: QuantizedWeight,
  axis: number,
  inputMean: Float64Array,
): Float64Array | undefined {
  if (node.opType === 'Conv') {
    const [cout, cinPerGroup] = dims;
    const group = Number(node.attribute.find((a) => a.name === 'group')?.i ?? 1n);
    const kernel = weight.length / (cout * cinPerGroup);
    if (inputMean.length !== cinPerGroup * group) return undefined;
    const shift = new Float64Array(cout);
    const coutPerGroup = cout / group;
    for (let c = 0; c < cout; c++) {
      const g = Math.floor(c / coutPerGroup);
      let s = 0;
      for (let ci = 0; ci < cinPerGroup; ci++) {
        const mean = inputMean[g * cinPerGroup + ci];
        const base = (c * cinPerGroup + ci) * kernel;
        let e = 0;
        for (let k = 0; k < kernel; k++) e += q.values[base + k] * q.scales[c] - weight[base + k];
        s += e * mean;
      }
      shift[c] = s;
    }
    return shift;
  }
  if (node.opType === 'Gemm' || node.opType === 'MatMul') {
    // Weight [K, N] with axis 1, or [N, K] with axis 0 (Gemm transB).
    const [rows, cols] = dims;
    const n = dims[axis];
    const k = axis === 1 ? rows : cols;
    if (inputMean.length !== k) return undefined;
    const shift = new Float64Array(n);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const channel = axis === 1 ? c : r;
        const kk = axis === 1 ? r : c;
        shift[channel] += (q.values[i] * q.scales[channel] - weight[i]) * inputMean[kk];
      }
    return shift;
  }
  return undefined;
}

export function insertQdq(
  graph: GraphProto,
  placement: Placement,
  params: ReadonlyMap<string, ActivationParams>,
  target: QuantTarget,
  inputMeans: ReadonlyMap<string, Float64Array> = new Map(),
  weightQmax = 127,
): RewriteStats {
  const inits = initializerMap(graph);
  const names = usedNames(graph);
  const added: NodeProto[] = [];
  const newInits: TensorProto[] = [];
  const dequantizedWeights = new Map<
    string,
    { output: string; scales: Float32Array; q: QuantizedWeight; value: Float32Array; dims: number[] }
  >();
  const dequantizedActivations = new Map<string, string>();
  const stats: RewriteStats = { quantizedNodes: [], quantizedWeightElements: 0, activationPairs: 0 };

  const activationPair = (tensor: string): string => {
    const existing = dequantizedActivations.get(tensor);
    if (existing) return existing;
    const p = params.get(tensor);
    if (!p) throw new Error(`internal: no calibration range for "${tensor}"`);
    const scale = uniqueName(names, `${tensor}_scale`);
    const zeroPoint = uniqueName(names, `${tensor}_zero_point`);
    newInits.push(makeTensor(scale, 'float32', [], Float32Array.of(p.scale)));
    newInits.push(
      p.type === 'int8'
        ? makeTensor(zeroPoint, 'int8', [], Int8Array.of(p.zeroPoint))
        : makeTensor(zeroPoint, 'uint8', [], Uint8Array.of(p.zeroPoint)),
    );
    const quantized = uniqueName(names, `${tensor}_quantized`);
    const dequantized = uniqueName(names, `${tensor}_dequantized`);
    added.push(
      makeNode({
        op: 'QuantizeLinear',
        inputs: [tensor, scale, zeroPoint],
        outputs: [quantized],
        name: uniqueName(names, `${tensor}_QuantizeLinear`),
      }),
    );
    added.push(
      makeNode({
        op: 'DequantizeLinear',
        inputs: [quantized, scale, zeroPoint],
        outputs: [dequantized],
        name: uniqueName(names, `${tensor}_DequantizeLinear`),
      }),
    );
    dequantizedActivations.set(tensor, dequantized);
    stats.activationPairs++;
    return dequantized;
  };

  const weightDq = (name: string, axis: number) => {
    const existing = dequantizedWeights.get(name);
    if (existing) return existing;
    const value = readTensor(inits.get(name) as TensorProto);
    const q = quantizeWeightPerChannel(value.data as Float32Array, value.dims, axis, weightQmax);
    const values = uniqueName(names, `${name}_quantized`);
    const scale = uniqueName(names, `${name}_scale`);
    const zeroPoint = uniqueName(names, `${name}_zero_point`);
    const output = uniqueName(names, `${name}_dequantized`);
    newInits.push(
      makeTensor(values, 'int8', q.dims, q.values),
      makeTensor(scale, 'float32', [q.scales.length], q.scales),
      makeTensor(zeroPoint, 'int8', [q.scales.length], new Int8Array(q.scales.length)),
    );
    const dq = makeNode({
      op: 'DequantizeLinear',
      inputs: [values, scale, zeroPoint],
      outputs: [output],
      name: uniqueName(names, `${name}_DequantizeLinear`),
    });
    dq.attribute.push(makeAttribute('axis', axis));
    added.push(dq);
    stats.quantizedWeightElements += q.values.length;
    const entry = { output, scales: q.scales, q, value: value.data as Float32Array, dims: value.dims };
    dequantizedWeights.set(name, entry);
    return entry;
  };

  /** The node's bias with the weight rounding's mean output shift removed (a new initializer), or undefined. */
  const correctedBias = (node: NodeProto, weightName: string, axis: number, input: string | undefined): string | undefined => {
    const mean = input === undefined ? undefined : inputMeans.get(input);
    if (!mean || (node.opType !== 'Conv' && node.opType !== 'Gemm')) return undefined;
    const entry = dequantizedWeights.get(weightName);
    if (!entry) return undefined;
    const shift = weightErrorShift(node, entry.value, entry.dims, entry.q, axis, mean);
    if (!shift) return undefined;
    const biasName = node.input[2];
    const biasTensor = biasName ? inits.get(biasName) : undefined;
    if (biasName && (!biasTensor || biasTensor.dataType !== 1)) return undefined;
    const bias = biasTensor ? (readTensor(biasTensor).data as Float32Array) : new Float32Array(shift.length);
    if (bias.length !== shift.length) return undefined;
    const name = uniqueName(names, `${biasName || node.output[0]}_bias_corrected`);
    const corrected = Float32Array.from(bias, (b, c) => b - shift[c]);
    const tensor = makeTensor(name, 'float32', [corrected.length], corrected);
    newInits.push(tensor);
    inits.set(name, tensor);
    return name;
  };

  const originalInputs = new Map(placement.nodes.map(({ node }) => [node, node.input[0]]));
  for (const { node, weight, activations } of placement.nodes) {
    for (const tensor of activations) {
      const dq = activationPair(tensor);
      node.input = node.input.map((name) => (name === tensor ? dq : name));
    }
    if (weight) {
      const { output, scales } = weightDq(weight.name, weight.axis);
      node.input[1] = output;
      const corrected = correctedBias(node, weight.name, weight.axis, originalInputs.get(node));
      if (corrected) node.input[2] = corrected;
      const biasName = node.opType === 'Conv' ? node.input[2] : undefined;
      const inputParams = params.get(activations[0]);
      if (target === 'cpu' && biasName && inits.has(biasName) && inputParams) {
        const bias = readTensor(inits.get(biasName) as TensorProto).data as Float32Array;
        const biasScales = scales.map((s) => s * inputParams.scale);
        const quantizedBias = Int32Array.from(bias, (b, c) => Math.round(b / biasScales[c]));
        const values = uniqueName(names, `${biasName}_quantized`);
        const scale = uniqueName(names, `${biasName}_scale`);
        const zeroPoint = uniqueName(names, `${biasName}_zero_point`);
        const output = uniqueName(names, `${biasName}_dequantized`);
        newInits.push(
          makeTensor(values, 'int32', [bias.length], quantizedBias),
          makeTensor(scale, 'float32', [bias.length], biasScales),
          makeTensor(zeroPoint, 'int32', [bias.length], new Int32Array(bias.length)),
        );
        const dq = makeNode({
          op: 'DequantizeLinear',
          inputs: [values, scale, zeroPoint],
          outputs: [output],
          name: uniqueName(names, `${biasName}_DequantizeLinear`),
        });
        dq.attribute.push(makeAttribute('axis', 0));
        added.push(dq);
        node.input[2] = output;
      }
    }
    stats.quantizedNodes.push(node.name || node.output[0]);
  }
  for (const [tensor, adds] of placement.residual) {
    const dq = activationPair(tensor);
    for (const add of adds) add.input = add.input.map((name) => (name === tensor ? dq : name));
  }
  if (placement.outputs.length > 0) {
    const consumers = consumerMap(graph);
    for (const tensor of placement.outputs) {
      const readers = (consumers.get(tensor) ?? []).filter((reader) => reader.opType !== 'QuantizeLinear');
      if (readers.length === 0) continue;
      // The activation may already have a pair as some consumer's input; output quantization reuses it.
      const dq = activationPair(tensor);
      for (const reader of readers) reader.input = reader.input.map((name) => (name === tensor ? dq : name));
    }
  }
  graph.initializer.push(...newInits);
  graph.node.push(...added);
  graph.node = topologicalOrder(graph);
  // Float weights now read only through their int8 copies.
  const stillRead = consumerMap(graph);
  graph.initializer = graph.initializer.filter(
    (tensor) => stillRead.has(tensor.name) || graph.output.some((output) => output.name === tensor.name),
  );
  return stats;
}
