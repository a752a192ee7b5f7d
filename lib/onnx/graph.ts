/**
 * Read-only views of a GraphProto that rewrites need: who produces and who consumes each value,
 * initializers by name, a topological order, the subgraphs a node carries, opset versions.
 */
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './types.js';
import { AttributeType } from './types.js';

/** The opset version the model imports for `domain` ('' and 'ai.onnx' are the default domain). */
export function opsetVersion(model: ModelProto, domain = ''): number | undefined {
  const wanted = domain === 'ai.onnx' ? '' : domain;
  const entry = model.opsetImport.find((opset) => (opset.domain === 'ai.onnx' ? '' : opset.domain) === wanted);
  return entry === undefined ? undefined : Number(entry.version);
}

export function initializerMap(graph: GraphProto): Map<string, TensorProto> {
  return new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
}

/** Graph inputs that are real inputs (before IR 4, initializers were also listed as inputs). */
export function graphInputs(graph: GraphProto): ValueInfoProto[] {
  const initializers = new Set(graph.initializer.map((tensor) => tensor.name));
  return graph.input.filter((input) => !initializers.has(input.name));
}

/** Value name -> the node that produces it. */
export function producerMap(graph: GraphProto): Map<string, NodeProto> {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node) for (const output of node.output) if (output) producers.set(output, node);
  return producers;
}

/** The graphs a node carries in its attributes (If branches, Loop and Scan bodies). */
export function nodeSubgraphs(node: NodeProto): GraphProto[] {
  const graphs: GraphProto[] = [];
  for (const attribute of node.attribute) {
    if (attribute.g) graphs.push(attribute.g);
    graphs.push(...attribute.graphs);
  }
  return graphs;
}

/** Names a subgraph reads from enclosing scopes (used but neither produced, input nor initializer inside it). */
export function outerScopeReferences(graph: GraphProto): Set<string> {
  const defined = new Set<string>([
    ...graph.input.map((v) => v.name),
    ...graph.initializer.map((t) => t.name),
    ...graph.sparseInitializer.map((t) => t.values?.name ?? ''),
  ]);
  for (const node of graph.node) for (const output of node.output) defined.add(output);
  const references = new Set<string>();
  for (const node of graph.node) {
    for (const input of node.input) if (input && !defined.has(input)) references.add(input);
    for (const sub of nodeSubgraphs(node)) for (const name of outerScopeReferences(sub)) if (!defined.has(name)) references.add(name);
  }
  for (const output of graph.output) if (!defined.has(output.name)) references.add(output.name);
  return references;
}

/** Everything a node reads: its inputs and the outer-scope values its subgraphs use. */
export function nodeReads(node: NodeProto): string[] {
  const names = node.input.filter((input) => input !== '');
  for (const sub of nodeSubgraphs(node)) for (const name of outerScopeReferences(sub)) if (!names.includes(name)) names.push(name);
  return names;
}

/** Value name -> the nodes reading it (subgraph references count as reads by the node holding the subgraph). */
export function consumerMap(graph: GraphProto): Map<string, NodeProto[]> {
  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node) {
    for (const name of nodeReads(node)) {
      const list = consumers.get(name);
      if (list) {
        if (!list.includes(node)) list.push(node);
      } else consumers.set(name, [node]);
    }
  }
  return consumers;
}

/**
 * The graph's nodes in an order where every node comes after the producers of what it reads
 * (stable: already-sorted graphs keep their order). Throws on a cycle.
 */
export function topologicalOrder(graph: GraphProto): NodeProto[] {
  const producers = producerMap(graph);
  const state = new Map<NodeProto, 'visiting' | 'done'>();
  const order: NodeProto[] = [];
  for (const root of graph.node) {
    if (state.has(root)) continue;
    // Iterative depth-first search: real graphs are deep enough to overflow recursion.
    const stack: { node: NodeProto; reads: string[]; next: number }[] = [{ node: root, reads: nodeReads(root), next: 0 }];
    state.set(root, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.reads.length) {
        const producer = producers.get(top.reads[top.next++]);
        if (!producer || producer === top.node) continue;
        const seen = state.get(producer);
        if (seen === 'visiting')
          throw new TensorRTNodeError(
            ErrorCode.MODEL_LOAD,
            `Expected an acyclic graph but node "${producer.name || producer.opType}" is part of a cycle`,
          );
        if (seen === undefined) {
          state.set(producer, 'visiting');
          stack.push({ node: producer, reads: nodeReads(producer), next: 0 });
        }
      } else {
        state.set(top.node, 'done');
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}

export function isTopologicallySorted(graph: GraphProto): boolean {
  const order = topologicalOrder(graph);
  return order.every((node, index) => graph.node[index] === node);
}

/** name -> ValueInfoProto over the graph's inputs, outputs and value_info. */
export function valueInfoMap(graph: GraphProto): Map<string, ValueInfoProto> {
  const map = new Map<string, ValueInfoProto>();
  for (const info of [...graph.input, ...graph.output, ...graph.valueInfo]) if (!map.has(info.name)) map.set(info.name, info);
  return map;
}

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((attribute) => attribute.name === name);
}

export type AttributeValue =
  | number
  | bigint
  | string
  | Uint8Array
  | TensorProto
  | GraphProto
  | number[]
  | bigint[]
  | Uint8Array[]
  | TensorProto[]
  | GraphProto[]
  | undefined;

/** The value an attribute holds, by its declared type (INT and INTS as bigint, STRING as bytes). */
export function attributeValue(attribute: AttributeProto): AttributeValue {
  switch (attribute.type) {
    case AttributeType.FLOAT:
      return attribute.f;
    case AttributeType.INT:
      return attribute.i;
    case AttributeType.STRING:
      return attribute.s;
    case AttributeType.TENSOR:
      return attribute.t;
    case AttributeType.GRAPH:
      return attribute.g;
    case AttributeType.FLOATS:
      return attribute.floats;
    case AttributeType.INTS:
      return attribute.ints;
    case AttributeType.STRINGS:
      return attribute.strings;
    case AttributeType.TENSORS:
      return attribute.tensors;
    case AttributeType.GRAPHS:
      return attribute.graphs;
    default:
      return undefined;
  }
}

/** An integer attribute as a number (or the fallback when absent). */
export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = getAttribute(node, name);
  return attribute ? Number(attribute.i) : fallback;
}

/** Every value name used anywhere in the graph and its subgraphs, to make fresh names from. */
export function usedNames(graph: GraphProto, names = new Set<string>()): Set<string> {
  for (const info of [...graph.input, ...graph.output, ...graph.valueInfo]) names.add(info.name);
  for (const tensor of graph.initializer) names.add(tensor.name);
  for (const node of graph.node) {
    if (node.name) names.add(node.name);
    for (const name of [...node.input, ...node.output]) if (name) names.add(name);
    for (const sub of nodeSubgraphs(node)) usedNames(sub, names);
  }
  return names;
}

/** Returns `base` or `base_1`, `base_2`, ... whichever is not in `taken`, and records it. */
export function uniqueName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}
