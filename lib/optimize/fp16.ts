/**
 * FP16 conversion of an ONNX model, in place on its ModelProto.
 *
 * Every float32 tensor becomes float16: initializers and Constant values are converted, ops that
 * create floats from attributes (Cast 'to', ConstantOfShape, Random*, EyeLike) are retargeted, and
 * types in value_info follow. Nodes that must stay float32 (a default block list, the user's ops and
 * node names, ops of non-default domains) keep float32 inputs and outputs, with Cast nodes where a
 * value crosses between the two worlds. Subgraphs (If, Loop, Scan) are converted with the same rules;
 * a blocked control-flow node keeps its whole body in float32.
 */
import { create } from '@bufbuild/protobuf';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { makeAttribute, makeNode } from '../onnx/builder.js';
import { consumerMap, getAttribute, nodeSubgraphs, opsetVersion, producerMap, uniqueName, usedNames } from '../onnx/graph.js';
import { FLOAT16_MAX, float16BitsToFloat32, float32ToFloat16Bits } from '../onnx/float16.js';
import { readTensor, setTensorData } from '../onnx/tensor-data.js';
import {
  DataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProtoSchema,
  type TypeProto,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from '../onnx/types.js';
import { type Float16ConversionCounts, toFloat16Counting } from './float16-values.js';
import { DEFAULT_FLOAT32_LEADING_LAYERS, leadingLayersToKeepFloat32 } from './fp16-leading-layers.js';
import { hoistConstants } from './hoist-constants.js';
import { type ElementTypes, inferElementTypes } from './type-inference.js';

/**
 * Ops kept in float32 by default: ones whose float inputs or outputs ONNX does not allow in float16
 * at common opsets (Range, NonMaxSuppression, CumSum before 14, Celu, TfIdfVectorizer), quantization ops (their scales are
 * float32 until opset 19), and sequence ops, whose element types this converter does not track.
 */
export const DEFAULT_FP16_BLOCK_OPS: readonly string[] = Object.freeze([
  'Range',
  'NonMaxSuppression',
  'CumSum',
  'Celu',
  'TfIdfVectorizer',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'SequenceConstruct',
  'SequenceAt',
  'SequenceEmpty',
  'SequenceInsert',
  'SequenceErase',
  'SequenceLength',
  'SplitToSequence',
  'ConcatFromSequence',
]);

export interface Float16Options {
  /**
   * Float16 model inputs and outputs (default false: they stay float32, with Casts at the boundary,
   * so callers keep feeding and reading Float32Arrays; TensorRT fuses those Casts into the first and
   * last kernels). Halves the I/O bytes for callers that already hold float16 data.
   */
  float16Io?: boolean;
  /** Older spelling: `keepIoTypes: false` is `float16Io: true`. Giving both with opposite meanings is an error. */
  keepIoTypes?: boolean;
  /** More op types to keep in float32, added to DEFAULT_FP16_BLOCK_OPS. */
  blockOps?: readonly string[];
  /** Node names to keep in float32. */
  blockNodes?: readonly string[];
  /** false: only the user's blockOps are kept in float32 (default true: DEFAULT_FP16_BLOCK_OPS too). */
  useDefaultBlockList?: boolean;
  /**
   * What to do with constants holding finite values beyond +-65504: 'keep-float32' (default) keeps
   * the nodes reading them in float32 (a BatchNormalization with a running variance of 1e8 would
   * otherwise compute garbage); 'clamp' clamps them to +-65504. Clip bounds are always clamped, which
   * changes nothing (no float16 value lies beyond them).
   */
  outOfRange?: 'keep-float32' | 'clamp';
  /**
   * Keep Mul, Div, Add and Sub with a one-element constant in float32 when float16 cannot hold that
   * constant exactly (default true). A rounded scale or shift is a systematic error that compounds
   * layer after layer (PP-OCRv4's learnable affine blocks: det cosine 0.9998 instead of 0.99999;
   * some of their shifts are float16 subnormals, 1% off); kept in float32, such a node costs Casts
   * that TensorRT fuses into the same pointwise kernel.
   */
  exactScalarConstants?: boolean;
  /** Turn Constant nodes into initializers first (default true; smaller files, same values). */
  hoistConstants?: boolean;
  /**
   * Keep the model's first n Conv/ConvTranspose/Gemm/MatMul layers in float32 when their weights
   * are at most 0.1% of the model's (default 2; 0: none). See fp16-leading-layers.ts.
   */
  float32LeadingLayers?: number;
}

export interface Float16Stats extends Float16ConversionCounts {
  initializersConverted: number;
  constantsConverted: number;
  /** Constant nodes turned into initializers (see hoistConstants). */
  constantsHoisted: number;
  /** Nodes kept in float32 because a constant they read does not fit float16. */
  nodesKeptForRange: number;
  /** Mul/Div/Add/Sub nodes kept in float32 to apply an exact float32 scalar (see exactScalarConstants). */
  nodesKeptForScalarConstant: number;
  /** The leading weighted layers kept in float32 (see float32LeadingLayers), by name or first output. */
  leadingLayersKeptFloat32: string[];
  castsInserted: number;
  /** Nodes left in float32 that do have float tensors, by op type. */
  nodesKeptFloat32: Record<string, number>;
  warnings: string[];
}

type Precision = 'fp16' | 'fp32';

/** Whether the options ask for float16 model inputs and outputs (float32 unless asked). */
export function wantsFloat16Io(options: Pick<Float16Options, 'float16Io' | 'keepIoTypes'>): boolean {
  return options.float16Io ?? options.keepIoTypes === false;
}

/** Ops whose one-element constant operand is a scale or shift applied to a whole tensor. */
const SCALAR_SENSITIVE = new Set(['Mul', 'Div', 'Add', 'Sub']);

/** What a node input accepts: a precision, or any float ('any': Cast, Shape, Size). */
type Wanted = Precision | 'any';

const ANY_FLOAT_INPUT = new Set(['Cast', 'Shape', 'Size', 'CastLike']);

/** Inputs that ONNX types as tensor(float) only, whatever the node's other inputs are. */
function isFloat32OnlyInput(node: NodeProto, index: number, opset: number): boolean {
  if (node.opType === 'Resize') return opset >= 11 ? index === 2 : index === 1;
  if (node.opType === 'Upsample') return index === 1;
  return false;
}

interface Scope {
  /** Element types visible in this graph (outer scopes included). */
  types: ElementTypes;
  /** Precision each float value has where it is defined (outer scopes included). */
  home: Map<string, Precision>;
}

class Float16Converter {
  readonly stats: Float16Stats = {
    initializersConverted: 0,
    constantsConverted: 0,
    constantsHoisted: 0,
    nodesKeptForRange: 0,
    nodesKeptForScalarConstant: 0,
    leadingLayersKeptFloat32: [],
    castsInserted: 0,
    clamped: 0,
    flushedToZero: 0,
    nodesKeptFloat32: {},
    warnings: [],
  };
  private readonly blockOps: Set<string>;
  private readonly blockNodes: Set<string>;
  private readonly leadingLayers: Set<NodeProto>;
  private readonly names: Set<string>;

  constructor(
    private readonly model: ModelProto,
    private readonly options: Float16Options,
    private readonly opset: number,
    private readonly baseDir: string | undefined,
  ) {
    const defaults = options.useDefaultBlockList === false ? [] : DEFAULT_FP16_BLOCK_OPS;
    this.blockOps = new Set([...defaults, ...(options.blockOps ?? [])]);
    this.blockNodes = new Set(options.blockNodes ?? []);
    this.names = usedNames(model.graph as GraphProto);
    this.leadingLayers = new Set(
      leadingLayersToKeepFloat32(model.graph as GraphProto, options.float32LeadingLayers ?? DEFAULT_FLOAT32_LEADING_LAYERS),
    );
    this.stats.leadingLayersKeptFloat32 = [...this.leadingLayers].map((node) => node.name || node.output[0]);
  }

  run(): Float16Stats {
    const graph = this.model.graph as GraphProto;
    const ioPrecision: Precision = wantsFloat16Io(this.options) ? 'fp16' : 'fp32';
    this.convertGraph(graph, { types: new Map(), home: new Map() }, ioPrecision, false);
    if (this.stats.clamped > 0)
      this.stats.warnings.push(`${this.stats.clamped} weight values beyond the float16 range were clamped to +-65504`);
    if (this.stats.flushedToZero > 0)
      this.stats.warnings.push(`${this.stats.flushedToZero} non-zero weight values below the float16 range became 0`);
    return this.stats;
  }

  private isBlocked(node: NodeProto, forceFloat32: boolean): boolean {
    if (forceFloat32) return true;
    if (node.domain !== '' && node.domain !== 'ai.onnx') return true;
    return this.blockOps.has(node.opType) || (node.name !== '' && this.blockNodes.has(node.name)) || this.leadingLayers.has(node);
  }

  /**
   * Float constants of this graph (initializers and Constant outputs) that float16 would change:
   * those with finite values beyond its range, and one-element ones it cannot represent exactly.
   */
  private inexactConstants(graph: GraphProto): { outOfRange: Set<string>; inexactScalars: Set<string> } {
    const outOfRange = new Set<string>();
    const inexactScalars = new Set<string>();
    const check = (name: string, tensor: TensorProto | undefined) => {
      if (tensor?.dataType !== DataType.FLOAT) return;
      const data = readTensor(tensor, { baseDir: this.baseDir }).data as Float32Array;
      if (data.length === 1 && float16BitsToFloat32(float32ToFloat16Bits(data[0])) !== data[0]) inexactScalars.add(name);
      for (let i = 0; i < data.length; i++) {
        const magnitude = Math.abs(data[i]);
        if (magnitude > FLOAT16_MAX && magnitude !== Infinity) {
          outOfRange.add(name);
          return;
        }
      }
    };
    for (const tensor of graph.initializer) check(tensor.name, tensor);
    for (const node of graph.node) if (node.opType === 'Constant') check(node.output[0], getAttribute(node, 'value')?.t);
    if (this.options.outOfRange === 'clamp') outOfRange.clear();
    if (this.options.exactScalarConstants === false) inexactScalars.clear();
    return { outOfRange, inexactScalars };
  }

  private wanted(node: NodeProto, index: number, blocked: boolean): Wanted {
    if (blocked) return 'fp32';
    if (ANY_FLOAT_INPUT.has(node.opType) && index === 0) return 'any';
    return isFloat32OnlyInput(node, index, this.opset) ? 'fp32' : 'fp16';
  }

  private convertGraph(graph: GraphProto, outer: Scope, ioPrecision: Precision, forceFloat32: boolean): void {
    const types = inferElementTypes(graph, outer.types);
    const isFloat = (name: string) => name !== '' && types.get(name) === DataType.FLOAT;
    const home = new Map(outer.home);
    const { outOfRange, inexactScalars } = this.inexactConstants(graph);
    const readsOutOfRange = (node: NodeProto) =>
      node.input.some((name, index) => outOfRange.has(name) && !(node.opType === 'Clip' && index > 0));
    const appliesInexactScalar = (node: NodeProto) =>
      SCALAR_SENSITIVE.has(node.opType) && node.input.some((name) => inexactScalars.has(name));
    const blocked = new Map(
      graph.node.map((node) => {
        if (this.isBlocked(node, forceFloat32)) return [node, true];
        if (readsOutOfRange(node)) {
          this.stats.nodesKeptForRange++;
          return [node, true];
        }
        if (appliesInexactScalar(node)) {
          this.stats.nodesKeptForScalarConstant++;
          return [node, true];
        }
        return [node, false];
      }),
    );
    const consumers = consumerMap(graph);
    const outputNames = new Set(graph.output.map((output) => output.name));

    // A constant (initializer or Constant node) becomes float16 only when some reader computes in
    // float16; constants read only by float32 inputs, Cast or Shape (shape arithmetic) stay exact.
    const constantPrecision = (name: string): Precision => {
      if (outputNames.has(name)) return ioPrecision;
      for (const node of consumers.get(name) ?? []) {
        const isBlocked = blocked.get(node) as boolean;
        const wants = node.input.flatMap((input, index) => (input === name ? [this.wanted(node, index, isBlocked)] : []));
        if (wants.includes('fp16')) return 'fp16';
        // Read only from inside the node's subgraphs, which compute in float16 unless it is blocked.
        if (wants.length === 0 && !isBlocked) return 'fp16';
      }
      return 'fp32';
    };

    for (const input of graph.input) if (isFloat(input.name)) home.set(input.name, ioPrecision);
    for (const tensor of graph.initializer) {
      if (tensor.dataType !== DataType.FLOAT) continue;
      const precision = constantPrecision(tensor.name);
      home.set(tensor.name, precision);
      if (precision === 'fp16') {
        this.convertTensor(tensor, this.baseDir);
        this.stats.initializersConverted++;
      }
    }
    for (const node of graph.node) {
      const isBlocked = blocked.get(node) as boolean;
      const floatOutputs = node.output.filter(isFloat);
      if (isBlocked && !forceFloat32 && (floatOutputs.length > 0 || node.input.some(isFloat))) {
        this.stats.nodesKeptFloat32[node.opType] = (this.stats.nodesKeptFloat32[node.opType] ?? 0) + 1;
      }
      if (floatOutputs.length === 0) continue;
      let precision: Precision = isBlocked ? 'fp32' : 'fp16';
      if (node.opType === 'Constant' && !isBlocked) precision = constantPrecision(node.output[0]);
      // A Cast that makes a graph output casts straight to the output's precision: retargeted to
      // float16 it would need a Cast back (a second pass over a model with float32 I/O would grow one).
      if (node.opType === 'Cast' && !isBlocked && floatOutputs.every((output) => outputNames.has(output))) precision = ioPrecision;
      for (const output of floatOutputs) home.set(output, precision);
      // LayerNormalization's saved mean and inverse deviation are float32 whatever its input is.
      if (node.opType === 'LayerNormalization') for (const output of node.output.slice(1)) if (isFloat(output)) home.set(output, 'fp32');
      if (precision === 'fp16') this.retargetFloatCreation(node);
    }

    // Graph outputs whose value lives in the other precision get a Cast. A subgraph's outputs are
    // matched by position, so the output simply takes the Cast's name. The model's outputs keep
    // their names: the producer writes a renamed value and the Cast produces the output name.
    const tail: NodeProto[] = [];
    const isMain = graph === this.model.graph;
    for (const output of graph.output) {
      const precision = home.get(output.name);
      if (!isFloat(output.name) || precision === undefined || precision === ioPrecision) continue;
      if (!isMain) {
        const castOutput = uniqueName(this.names, `${output.name}_${ioPrecision}`);
        tail.push(this.castNode(output.name, castOutput, ioPrecision));
        home.set(castOutput, ioPrecision);
        types.set(castOutput, DataType.FLOAT);
        output.name = castOutput;
        continue;
      }
      const internal = uniqueName(this.names, `${output.name}_${precision}`);
      renameValue(graph, output.name, internal);
      home.set(internal, precision);
      home.set(output.name, ioPrecision);
      types.set(internal, DataType.FLOAT);
      tail.push(this.castNode(internal, output.name, ioPrecision));
      this.addValueInfo(graph, output, internal, precision);
    }

    // Casts where a consumer wants the other precision: one per (value, precision), placed right
    // after the value's producer (or first, for inputs, initializers and outer values).
    const producers = producerMap(graph);
    const casts = new Map<string, string>();
    const after = new Map<NodeProto | undefined, NodeProto[]>();
    const infos = new Map([...graph.input, ...graph.valueInfo, ...graph.output].map((info) => [info.name, info]));
    for (const node of graph.node) {
      node.input.forEach((name, index) => {
        if (!isFloat(name)) return;
        const want = this.wanted(node, index, blocked.get(node) as boolean);
        const have = home.get(name);
        if (want === 'any' || have === undefined || want === have) return;
        const key = `${name}\u0000${want}`;
        let castOutput = casts.get(key);
        if (castOutput === undefined) {
          castOutput = uniqueName(this.names, `${name}_${want}`);
          casts.set(key, castOutput);
          const producer = producers.get(name);
          const list = after.get(producer) ?? [];
          list.push(this.castNode(name, castOutput, want));
          after.set(producer, list);
          const info = infos.get(name);
          if (info) this.addValueInfo(graph, info, castOutput, want);
        }
        node.input[index] = castOutput;
      });
    }

    for (const node of graph.node) {
      for (const sub of nodeSubgraphs(node)) {
        this.convertGraph(sub, { types, home }, blocked.get(node) ? 'fp32' : 'fp16', blocked.get(node) as boolean);
      }
    }

    graph.node = [...(after.get(undefined) ?? []), ...graph.node.flatMap((node) => [node, ...(after.get(node) ?? [])]), ...tail];
    for (const info of graph.input) setFloatPrecision(info, home.get(info.name));
    for (const info of graph.valueInfo) setFloatPrecision(info, home.get(info.name));
    for (const info of graph.output) setFloatPrecision(info, isFloat(info.name) ? ioPrecision : undefined);
  }

  private castNode(from: string, to: string, precision: Precision): NodeProto {
    this.stats.castsInserted++;
    return makeNode({
      op: 'Cast',
      inputs: [from],
      outputs: [to],
      name: uniqueName(this.names, `Cast_${to}`),
      attributes: { to: precision === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT },
    });
  }

  private addValueInfo(graph: GraphProto, like: ValueInfoProto, name: string, precision: Precision): void {
    if (like.type?.value.case !== 'tensorType') return;
    const info = create(ValueInfoProtoSchema, { name, type: cloneTensorType(like.type) });
    setFloatPrecision(info, precision);
    graph.valueInfo.push(info);
  }

  private convertTensor(tensor: TensorProto, baseDir: string | undefined): void {
    const { dims, data } = readTensor(tensor, { baseDir });
    setTensorData(tensor, 'float16', dims, toFloat16Counting(data as Float32Array, this.stats));
  }

  /** Makes a node that creates float32 values from its attributes create float16 instead. */
  private retargetFloatCreation(node: NodeProto): void {
    switch (node.opType) {
      case 'Constant': {
        const index = node.attribute.findIndex((a) => ['value', 'value_float', 'value_floats'].includes(a.name));
        const attribute = node.attribute[index];
        if (!attribute) return;
        if (attribute.name === 'value' && attribute.t) this.convertTensor(attribute.t, this.baseDir);
        else {
          const values = attribute.name === 'value_float' ? [attribute.f] : attribute.floats;
          const tensor = create(TensorProtoSchema, {});
          const dims = attribute.name === 'value_float' ? [] : [values.length];
          setTensorData(tensor, 'float16', dims, toFloat16Counting(Float32Array.from(values), this.stats));
          node.attribute[index] = makeAttribute('value', tensor);
        }
        this.stats.constantsConverted++;
        return;
      }
      case 'Cast': {
        const to = getAttribute(node, 'to');
        if (to && Number(to.i) === DataType.FLOAT) to.i = BigInt(DataType.FLOAT16);
        return;
      }
      case 'ConstantOfShape': {
        const value = getAttribute(node, 'value');
        if (value?.t) this.convertTensor(value.t, this.baseDir);
        else node.attribute.push(makeAttribute('value', zeroFloat16()));
        return;
      }
      case 'HannWindow':
      case 'HammingWindow':
      case 'BlackmanWindow':
      case 'MelWeightMatrix': {
        const outputType = getAttribute(node, 'output_datatype');
        if (!outputType) node.attribute.push(makeAttribute('output_datatype', DataType.FLOAT16));
        else if (Number(outputType.i) === DataType.FLOAT) outputType.i = BigInt(DataType.FLOAT16);
        return;
      }
      case 'RandomNormal':
      case 'RandomUniform':
      case 'EyeLike':
      case 'RandomNormalLike':
      case 'RandomUniformLike':
      case 'Bernoulli': {
        const dtype = getAttribute(node, 'dtype');
        if (dtype) {
          if (Number(dtype.i) === DataType.FLOAT) dtype.i = BigInt(DataType.FLOAT16);
        } else if (node.opType === 'RandomNormal' || node.opType === 'RandomUniform') {
          node.attribute.push(makeAttribute('dtype', DataType.FLOAT16));
        }
        return;
      }
    }
  }
}

function zeroFloat16(): TensorProto {
  const tensor = create(TensorProtoSchema, {});
  setTensorData(tensor, 'float16', [1], new Uint16Array(1));
  return tensor;
}

function cloneTensorType(type: TypeProto): TypeProto {
  // A shallow rebuild is enough: only elem_type is changed afterwards, on the copy.
  if (type.value.case !== 'tensorType') return type;
  const tensorType = { ...type.value.value };
  return { ...type, value: { case: 'tensorType', value: tensorType } } as TypeProto;
}

function setFloatPrecision(info: ValueInfoProto, precision: Precision | undefined): void {
  if (precision === undefined || info.type?.value.case !== 'tensorType') return;
  const tensorType = info.type.value.value;
  if (tensorType.elemType !== DataType.FLOAT && tensorType.elemType !== DataType.FLOAT16) return;
  tensorType.elemType = precision === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
}

/** Renames a value where it is produced and read, subgraphs and value_info included (not graph outputs). */
function renameValue(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node) {
    node.input = node.input.map((name) => (name === from ? to : name));
    node.output = node.output.map((name) => (name === from ? to : name));
    for (const sub of nodeSubgraphs(node)) renameReads(sub, from, to);
  }
  for (const tensor of graph.initializer) if (tensor.name === from) tensor.name = to;
  for (const info of graph.valueInfo) if (info.name === from) info.name = to;
}

function renameReads(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node) {
    node.input = node.input.map((name) => (name === from ? to : name));
    for (const sub of nodeSubgraphs(node)) renameReads(sub, from, to);
  }
  for (const output of graph.output) if (output.name === from) output.name = to;
}

/** The oldest default-domain opset the converter accepts (Cast with a 'to' attribute as an integer). */
export const MIN_FP16_OPSET = 7;

/** Checks that the model can be converted; throws ERR_MODEL_LOAD or ERR_UNSUPPORTED. */
export function checkConvertible(model: ModelProto, name = 'the model'): number {
  if (!model.graph || model.graph.node.length === 0) {
    throw new TensorRTNodeError(
      ErrorCode.MODEL_LOAD,
      `Expected an ONNX model with a graph of nodes for ${name} but it has ${model.graph ? 'an empty graph' : 'no graph'}`,
    );
  }
  const opset = opsetVersion(model);
  if (opset === undefined || opset < MIN_FP16_OPSET) {
    throw new TensorRTNodeError(
      ErrorCode.UNSUPPORTED,
      `Expected a default-domain (ai.onnx) opset of ${MIN_FP16_OPSET} or newer for ${name} but received ${opset === undefined ? 'none' : opset}`,
    );
  }
  return opset;
}

/** Converts `model` to float16 in place and says what it did. */
export function convertModelProtoToFloat16(model: ModelProto, options: Float16Options = {}, baseDir?: string): Float16Stats {
  const opset = checkConvertible(model);
  const alreadyHalf = hasFloat16(model.graph as GraphProto);
  const hoisted = options.hoistConstants === false ? 0 : hoistConstants(model);
  const stats = new Float16Converter(model, options, opset, baseDir).run();
  stats.constantsHoisted = hoisted;
  if (alreadyHalf) stats.warnings.push('the model already had float16 tensors; they were left as they were');
  return stats;
}

function hasFloat16(graph: GraphProto): boolean {
  return (
    graph.initializer.some((tensor) => tensor.dataType === DataType.FLOAT16) ||
    [...graph.input, ...graph.output].some(
      (info) => info.type?.value.case === 'tensorType' && info.type.value.value.elemType === DataType.FLOAT16,
    )
  );
}
