/**
 * Fuzzing the KServe v2 message reader, which the example server runs on every request body and the
 * remote backend on every response: mutations of valid messages (JSON and binary, every dtype;
 * truncations, bit flips, byte runs, splices, the header length, and the JSON's shapes, datatypes,
 * sizes and data) go through decodeMessage + decodeInferRequest/Response. Each case must give a coded
 * TensorRTNodeError or tensors whose bytes the message really holds: never another error, a hang or
 * an allocation beyond the input. FUZZ_SEED and FUZZ_CASES reproduce or widen a run.
 */
import { describe, expect, test } from 'vitest';
import { Tensor } from '../../lib/tensor.js';
import { decodeInferRequest, decodeInferResponse, encodeInferRequest, encodeInferResponse } from '../../lib/backends/kserve/inference.js';
import { decodeMessage } from '../../lib/backends/kserve/message.js';
import { type Mutation, byteMutations, fuzzSettings, mutate, recordFailure, rng } from './mutations.js';

interface Sample {
  body: Uint8Array;
  headerLength: string | undefined;
  kind: 'request' | 'response';
}

function samples(): Sample[] {
  const tensors = [
    new Tensor('float32', Float32Array.from([1.5, -2, 3.25, 0, 1e-3, 7]), [2, 3]),
    new Tensor('int64', BigInt64Array.from([1n, -2n, 2n ** 60n]), [3]),
    new Tensor('bool', Uint8Array.from([1, 0, 1, 1]), [2, 2]),
    new Tensor('float16', Uint16Array.from([0x3c00, 0x7bff]), [1, 2]),
    new Tensor('uint8', new Uint8Array(0), [0, 4]),
    new Tensor('int32', Int32Array.from([5]), []),
  ];
  const out: Sample[] = [];
  for (const binary of [false, true]) {
    const wire = tensors
      .filter((tensor) => binary || (tensor.dtype !== 'float16' && tensor.dtype !== 'int64'))
      .map((tensor, i) => ({ name: `t${i}`, tensor, binary }));
    const request = encodeInferRequest({ id: '7', inputs: wire, outputs: [{ name: 'y', binary }], binaryOutput: binary });
    const response = encodeInferResponse({ modelName: 'm', modelVersion: '1', outputs: wire });
    for (const [kind, message] of [
      ['request', request],
      ['response', response],
    ] as const) {
      out.push({
        body: Buffer.concat(message.chunks as Uint8Array[]),
        headerLength: message.headers['inference-header-content-length'],
        kind,
      });
    }
  }
  return out;
}

const JSON_REPLACEMENTS: [RegExp, string[]][] = [
  [
    /"shape":\[[^\]]*\]/,
    ['"shape":[99999999999,99999999999]', '"shape":[-1]', '"shape":[1e400]', '"shape":[]', '"shape":"x"', '"shape":[4294967296]'],
  ],
  [/"datatype":"[A-Z0-9]+"/, ['"datatype":"BYTES"', '"datatype":"FP8"', '"datatype":1', '"datatype":"__proto__"', '"datatype":"FP16"']],
  [
    /"binary_data_size":\d+/,
    ['"binary_data_size":-1', '"binary_data_size":1e300', '"binary_data_size":"4"', '"binary_data_size":9007199254740993'],
  ],
  [/"data":\[[^\]]*\]/, ['"data":[[[[1]]]]', '"data":[null]', '"data":"1"', '"data":[1e309]', '"data":[true,2]', '"data":[]']],
  [/"name":"[^"]*"/, ['"name":"__proto__"', '"name":1', '"name":""', '"name":"t0"']],
];

function withHeaderLength(sample: Sample, r: ReturnType<typeof rng>): string | undefined {
  if (r.int(4) !== 0) return sample.headerLength;
  return r.pick([undefined, '0', '-1', '1e3', String(sample.body.length + 1), String(r.int(sample.body.length + 1)), 'x']);
}

const jsonMutation: Mutation = (bytes, r) => {
  const text = Buffer.from(bytes).toString('latin1');
  const [pattern, replacements] = r.pick(JSON_REPLACEMENTS);
  return Uint8Array.from(Buffer.from(text.replace(pattern, r.pick(replacements)), 'latin1'));
};

describe('KServe v2 message reader fuzz', () => {
  test('mutated messages give a coded error or tensors the message holds, never a crash', { timeout: 120_000 }, () => {
    const { seed, cases } = fuzzSettings();
    const all = samples();
    const r = rng(seed);
    const failures: string[] = [];
    const outcomes = { ok: 0, coded: 0 };
    for (let index = 0; index < cases; index++) {
      const sample = r.pick(all);
      const { bytes, applied } = mutate(sample.body, r, { ...byteMutations, json: jsonMutation });
      const headerLength = withHeaderLength(sample, r);
      try {
        const message = decodeMessage(bytes, headerLength);
        const tensors = sample.kind === 'request' ? decodeInferRequest(message).inputs : decodeInferResponse(message).outputs;
        const held = Object.values(tensors).reduce((total, tensor) => total + tensor.data.byteLength, 0);
        // JSON data costs at least a byte per element; binary data exactly its bytes.
        if (held > bytes.length * 8) throw new Error(`tensors of ${held} bytes from ${bytes.length} bytes of input`);
        outcomes.ok++;
      } catch (error) {
        recordFailure(error, outcomes, failures, `case ${index} (seed ${seed}; ${applied.join(', ')})`);
      }
    }
    console.log(
      `KServe reader fuzz: ${cases} cases (seed ${seed}): ${outcomes.ok} read, ${outcomes.coded} coded errors, ${failures.length} other failures`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(outcomes.ok + outcomes.coded).toBe(cases);
  });
});
