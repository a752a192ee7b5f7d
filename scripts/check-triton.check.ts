/**
 * `npm run check:triton`: what the Triton export writes, held against Triton's real
 * model_config.proto (TRITON_MODEL_CONFIG_PROTO, parsed with protobufjs):
 *
 * 1. the writer's declared schema (lib/export/model-config.ts): each message exists, each field exists
 *    with the same wire type, label (repeated or not) and map-ness, each enum value exists;
 * 2. whole configs the export writes (every option that adds a field, every data type, and a real
 *    model exported to a temporary repository), parsed back as text format and walked against the
 *    proto: field names, value kinds, integer ranges, enum values, singular fields given once, and
 *    at most one member of each oneof.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

import { MODEL_CONFIG_SCHEMA, formatModelConfig } from '../lib/export/model-config.js';
import type { FieldSpec } from '../lib/export/text-format.js';
import { type ModelTensor, tritonModelConfig } from '../lib/export/triton-config.js';
import { exportTriton } from '../lib/export/triton.js';
import { TRITON_DATA_TYPES } from '../lib/export/triton-types.js';
import { realModels } from '../test/fixtures/real-models.js';
import { type PbMessage, type PbValue, parsePbtxt } from '../test/shared/pbtxt.js';

const protoPath = process.env.TRITON_MODEL_CONFIG_PROTO;
if (protoPath === undefined) throw new Error('check:triton: set TRITON_MODEL_CONFIG_PROTO (run it through npm run check:triton)');
const root = protobuf.parse(readFileSync(protoPath, 'utf8'), { keepCase: true }).root;
root.resolveAll();
const PACKAGE = 'inference';

const stats = { messages: 0, fields: 0, enumValues: 0, configs: 0, valuesWalked: 0 };

function realType(name: string): protobuf.Type {
  return root.lookupType(`${PACKAGE}.${name}`);
}

function fullName(reflection: protobuf.ReflectionObject | null): string {
  return reflection?.fullName.replace(/^\./, '') ?? '(unresolved)';
}

/** Problems of one declared field against the real one. */
function fieldProblems(message: string, name: string, spec: FieldSpec): string[] {
  const real = realType(message).fields[name];
  const where = `${message}.${name}`;
  if (real === undefined) return [`${where}: no such field in ${fullName(realType(message))}`];
  const problems: string[] = [];
  const type = spec.type;
  const isMap = real instanceof protobuf.MapField;
  if ('map' in type) {
    if (!isMap) return [`${where}: declared a map, the proto has ${real.repeated ? 'repeated ' : ''}${real.type}`];
    const map = real as protobuf.MapField;
    if (map.keyType !== type.map.key || map.type !== type.map.value)
      problems.push(`${where}: declared map<${type.map.key}, ${type.map.value}>, the proto has map<${map.keyType}, ${map.type}>`);
    return problems;
  }
  if (isMap) return [`${where}: the proto has a map, declared otherwise`];
  if (Boolean(spec.repeated) !== real.repeated)
    problems.push(`${where}: declared ${spec.repeated ? 'repeated' : 'singular'}, the proto disagrees`);
  if ('scalar' in type && real.type !== type.scalar) problems.push(`${where}: declared ${type.scalar}, the proto has ${real.type}`);
  if ('enum' in type) {
    if (!(real.resolvedType instanceof protobuf.Enum) || fullName(real.resolvedType) !== `${PACKAGE}.${type.enum}`)
      problems.push(`${where}: declared enum ${type.enum}, the proto has ${fullName(real.resolvedType)}`);
  }
  if ('message' in type) {
    if (!(real.resolvedType instanceof protobuf.Type) || fullName(real.resolvedType) !== `${PACKAGE}.${type.message}`)
      problems.push(`${where}: declared message ${type.message}, the proto has ${fullName(real.resolvedType)}`);
  }
  return problems;
}

const RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

function valueProblems(field: protobuf.Field, value: PbValue, where: string): string[] {
  stats.valuesWalked++;
  if (field instanceof protobuf.MapField) {
    if (value.kind !== 'message') return [`${where}: a map entry must be a message`];
    const keys = [...value.message.keys()].sort();
    if (keys.join() !== 'key,value') return [`${where}: a map entry holds ${keys.join(', ')}`];
    const kinds = [value.message.get('key')?.[0]?.kind, value.message.get('value')?.[0]?.kind];
    return field.keyType === 'string' && field.type === 'string' && kinds.every((k) => k === 'string')
      ? []
      : [`${where}: map entry kinds ${kinds.join(', ')}`];
  }
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type)
    return value.kind === 'message' ? walk(resolved, value.message, where) : [`${where}: expected a message, found ${value.kind}`];
  if (resolved instanceof protobuf.Enum) {
    if (value.kind !== 'identifier') return [`${where}: expected an enum value, found ${value.kind}`];
    return value.name in resolved.values ? [] : [`${where}: ${value.name} is not a value of ${fullName(resolved)}`];
  }
  if (field.type === 'string') return value.kind === 'string' ? [] : [`${where}: expected a string, found ${value.kind}`];
  if (field.type === 'bool')
    return value.kind === 'identifier' && ['true', 'false'].includes(value.name) ? [] : [`${where}: expected true or false`];
  const range = RANGES[field.type];
  if (range === undefined) return [`${where}: the check does not know type ${field.type}`];
  if (value.kind !== 'number' || !/^-?\d+$/.test(value.text)) return [`${where}: expected an integer, found ${value.kind}`];
  const integer = BigInt(value.text);
  return integer >= range[0] && integer <= range[1] ? [] : [`${where}: ${value.text} is out of ${field.type}'s range`];
}

/** Problems of a parsed text-format message against the real message type. */
function walk(type: protobuf.Type, message: PbMessage, where: string): string[] {
  const problems: string[] = [];
  for (const [name, values] of message) {
    const field = type.fields[name];
    if (field === undefined) {
      problems.push(`${where}.${name}: no such field in ${fullName(type)}`);
      continue;
    }
    if (!field.repeated && !(field instanceof protobuf.MapField) && values.length > 1)
      problems.push(`${where}.${name}: a singular field given ${values.length} times`);
    values.forEach((value, i) => problems.push(...valueProblems(field, value, `${where}.${name}[${i}]`)));
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((name) => message.has(name));
    if (set.length > 1) problems.push(`${where}: ${set.join(' and ')} are members of oneof ${oneof.name}`);
  }
  return problems;
}

function configProblems(text: string): string[] {
  stats.configs++;
  return walk(realType('ModelConfig'), parsePbtxt(text), 'ModelConfig');
}

describe(`Triton model configuration schema (${protoPath})`, () => {
  it('has every message, field and enum value the writer declares, with the same types', () => {
    const problems: string[] = [];
    for (const [message, fields] of Object.entries(MODEL_CONFIG_SCHEMA.messages)) {
      stats.messages++;
      for (const [name, spec] of Object.entries(fields)) {
        stats.fields++;
        problems.push(...fieldProblems(message, name, spec));
      }
    }
    for (const [name, values] of Object.entries(MODEL_CONFIG_SCHEMA.enums)) {
      const real = root.lookupEnum(`${PACKAGE}.${name}`);
      for (const value of values) {
        stats.enumValues++;
        if (!(value in real.values)) problems.push(`${name}: no value ${value}`);
      }
    }
    expect(MODEL_CONFIG_SCHEMA.enums.DataType).toEqual(TRITON_DATA_TYPES);
    expect(problems).toEqual([]);
  });

  it('takes every config the export writes', async () => {
    const base = { name: 'm', kind: 'gpu' as const };
    const batched = (dataType: ModelTensor['dataType']): ModelTensor[] => [{ name: `t_${dataType}`, dataType, shape: [-1, 3, -1] }];
    const specs = [
      // Every data type, batched, on an ONNX model's GPU instances with every accelerator parameter.
      ...TRITON_DATA_TYPES.map((dataType) => ({
        ...base,
        platform: 'onnxruntime_onnx' as const,
        inputs: batched(dataType),
        outputs: batched(dataType),
        device: 0,
        instances: 4,
        accelerator: { precision_mode: 'INT8', max_workspace_size_bytes: '4294967296' },
      })),
      // A plan with a profile, a scalar input (dims [1] and a reshape), CPU instances of an unbatched ONNX model.
      {
        ...base,
        platform: 'tensorrt_plan' as const,
        inputs: batched('TYPE_FP16'),
        outputs: batched('TYPE_FP32'),
        batchRange: { min: 1, opt: 4, max: 64 },
        delayUs: 0,
      },
      {
        ...base,
        platform: 'onnxruntime_onnx' as const,
        kind: 'cpu' as const,
        inputs: [{ name: 'sr', dataType: 'TYPE_INT64' as const, shape: [] }],
        outputs: batched('TYPE_FP32'),
      },
    ];
    const problems = specs.flatMap((spec) => configProblems(formatModelConfig(tritonModelConfig(spec))));
    const repo = await mkdtemp(join(tmpdir(), 'check-triton-'));
    try {
      const result = await exportTriton(realModels.ocrRec, { repo, format: 'onnx', precision: 'fp16', workspace: 1 << 30 });
      problems.push(...configProblems(await readFile(result.configPath, 'utf8')));
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
    console.log(
      `check:triton: ${stats.messages} messages, ${stats.fields} fields and ${stats.enumValues} enum values declared by the writer, and ${stats.configs} written configs (${stats.valuesWalked} values), all match ${protoPath}`,
    );
  });

  it('would notice a field, an enum value or a repetition the proto does not have', () => {
    expect(configProblems('max_batch: 1')).toEqual(['ModelConfig.max_batch: no such field in inference.ModelConfig']);
    expect(configProblems('input [ { data_type: TYPE_FLOAT32 } ]')).toEqual([
      'ModelConfig.input[0].data_type[0]: TYPE_FLOAT32 is not a value of inference.DataType',
    ]);
    expect(configProblems('name: "a" name: "b" max_batch_size: 4294967296')).toEqual([
      'ModelConfig.name: a singular field given 2 times',
      "ModelConfig.max_batch_size[0]: 4294967296 is out of int32's range",
    ]);
    expect(configProblems('dynamic_batching { } sequence_batching { }')).toEqual([
      'ModelConfig: dynamic_batching and sequence_batching are members of oneof scheduling_choice',
    ]);
    expect(fieldProblems('ModelInput', 'dims', { type: { scalar: 'int32' }, repeated: true })).toEqual([
      'ModelInput.dims: declared int32, the proto has int64',
    ]);
  });
});
