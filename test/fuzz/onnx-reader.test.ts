/**
 * Fuzzing lib/onnx's reader: mutations of valid models (truncations, bit flips, byte runs, splices,
 * protobuf varints rewritten: lengths, tags, values; and, on half the cases, fields of the decoded
 * model: dims, data types, raw data, external data entries, node cycles) go through decode, encode, the graph helpers,
 * every tensor's data (external data included, from a real folder) and loadModel from a file. Each
 * case must succeed or throw a TensorRTNodeError with a code: never another error, a hang or an
 * allocation beyond what the bytes hold. FUZZ_SEED and FUZZ_CASES reproduce or widen a run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { attributeValue, graphInputs, opsetVersion, topologicalOrder } from '../../lib/onnx/graph.js';
import { allInitializers, decodeModel, encodeModel, loadModel, saveModel } from '../../lib/onnx/model-io.js';
import { readTensor } from '../../lib/onnx/tensor-data.js';
import type { GraphProto } from '../../lib/onnx/types.js';
import { tinyConvNet, tinyMlp, tinyQdqModel } from '../fixtures/onnx-models.js';
import { byteMutations, fuzzSettings, mutate, recordFailure, rng, varintMutation } from './mutations.js';
import { modelMutation } from './onnx-mutations.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-fuzz-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything the reader offers on a decoded graph, subgraphs included. */
function walk(graph: GraphProto, baseDir: string): void {
  graphInputs(graph);
  topologicalOrder(graph);
  for (const tensor of allInitializers(graph)) readTensor(tensor, { baseDir });
  for (const node of graph.node) for (const attribute of node.attribute) attributeValue(attribute);
}

function read(bytes: Uint8Array, baseDir: string): void {
  const model = decodeModel(bytes);
  opsetVersion(model);
  if (model.graph) walk(model.graph, baseDir);
  encodeModel(model);
}

describe('ONNX reader fuzz', () => {
  test('mutated models give a coded error or a model, never a crash', { timeout: 120_000 }, async () => {
    const { seed, cases } = fuzzSettings();
    // Seeds: inline models, and one whose weights live in an external data file in `modelDir`.
    const modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    await saveModel(decodeModel(tinyConvNet()), join(modelDir, 'external.onnx'), {
      externalData: { location: 'weights.bin', threshold: 256 },
    });
    const seeds = [
      tinyMlp(),
      tinyConvNet(),
      tinyQdqModel(),
      tinyMlp({ opset: 13 }),
      new Uint8Array(readFileSync(join(modelDir, 'external.onnx'))),
    ];
    const wire = { ...byteMutations, varint: varintMutation, varint2: varintMutation };
    const r = rng(seed);
    const failures: string[] = [];
    const outcomes = { ok: 0, coded: 0 };
    const rssBefore = process.memoryUsage().rss;
    for (let index = 0; index < cases; index++) {
      // Half the cases keep the wire format valid, so they reach past the protobuf parser.
      const { bytes, applied } = r.next() < 0.5 ? mutate(r.pick(seeds), r, wire) : mutate(r.pick(seeds), r, { model: modelMutation });
      try {
        read(bytes, modelDir);
        // Every 16th case also goes through the file reader, external data inlined.
        if (index % 16 === 0) {
          const path = join(modelDir, 'case.onnx');
          writeFileSync(path, bytes);
          await loadModel(path, { externalData: 'inline' });
        }
        outcomes.ok++;
      } catch (error) {
        recordFailure(error, outcomes, failures, `case ${index} (seed ${seed}; ${applied.join(', ')})`, 10);
      }
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    console.log(
      `onnx reader fuzz: ${cases} cases (seed ${seed}): ${outcomes.ok} read, ${outcomes.coded} coded errors, ${failures.length} other failures; RSS ${(rssGrowth / 2 ** 20).toFixed(1)} MiB more`,
    );
    expect(failures.filter((failure) => failure !== '')).toEqual([]);
    expect(outcomes.ok + outcomes.coded).toBe(cases);
    // The seeds are a few KiB: no case may make the reader hold more than a little.
    expect(rssGrowth).toBeLessThan(256 * 2 ** 20);
  });
});
