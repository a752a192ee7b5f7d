// The Triton config an export writes, parsed back with a text-format reader and checked field by
// field: static and dynamic-batch models, engine profile bounds, tensors without dims, and refusals.
import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../../../lib/errors.js';
import { formatModelConfig } from '../../../lib/export/model-config.js';
import { onnxTensors } from '../../../lib/export/model-tensors.js';
import { type TritonConfigSpec, tritonModelConfig } from '../../../lib/export/triton-config.js';
import { DataType, buildModel, decodeModel } from '../../../lib/onnx/index.js';
import { type PbMessage, ident, msg, msgs, num, nums, parsePbtxt, str, stringMap } from '../../shared/pbtxt.js';
import { rejection } from '../../shared/rejection.js';

/** The TensorRTNodeError `fn` throws. */
function refused(fn: () => unknown) {
  return rejection(Promise.resolve().then(fn));
}

/** A Gemm model with the given input dims (the output follows the batch dim). */
function gemmModel(inputDims: (number | string)[], outputDims: (number | string)[]): Uint8Array {
  return buildModel({
    name: 'gemm',
    inputs: [{ name: 'x', dtype: 'float32', dims: inputDims }],
    outputs: [{ name: 'y', dtype: 'float32', dims: outputDims }],
    initializers: [{ name: 'W', dtype: 'float32', dims: [4, 3], data: new Float32Array(12) }],
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
  });
}

function emitted(spec: Partial<TritonConfigSpec> & Pick<TritonConfigSpec, 'inputs' | 'outputs'>): PbMessage {
  return parsePbtxt(formatModelConfig(tritonModelConfig({ name: 'm', platform: 'onnxruntime_onnx', kind: 'gpu', ...spec })));
}

function tensor(message: PbMessage) {
  return {
    name: str(message, 'name'),
    data_type: ident(message, 'data_type'),
    dims: nums(message, 'dims'),
    ...(message.has('reshape') ? { reshape: nums(msg(message, 'reshape'), 'shape') } : {}),
  };
}

describe('config.pbtxt for a static model', () => {
  const tensors = onnxTensors(decodeModel(gemmModel([2, 4], [2, 3])));

  it('has no batch dim from Triton, the whole shapes, and no dynamic batching', () => {
    const config = emitted(tensors);
    expect([...config.keys()]).toEqual(['name', 'platform', 'max_batch_size', 'input', 'output', 'instance_group']);
    expect(str(config, 'name')).toBe('m');
    expect(str(config, 'platform')).toBe('onnxruntime_onnx');
    expect(num(config, 'max_batch_size')).toBe(0);
    expect(msgs(config, 'input').map(tensor)).toEqual([{ name: 'x', data_type: 'TYPE_FP32', dims: [2, 4] }]);
    expect(msgs(config, 'output').map(tensor)).toEqual([{ name: 'y', data_type: 'TYPE_FP32', dims: [2, 3] }]);
    const [group, ...more] = msgs(config, 'instance_group');
    expect(more).toEqual([]);
    expect(num(group!, 'count')).toBe(2); // the runs a local session keeps in flight
    expect(ident(group!, 'kind')).toBe('KIND_GPU');
    expect(group!.has('gpus')).toBe(false);
  });

  it('refuses a batch size for a model without a dynamic first dim', async () => {
    const error = await refused(() => tritonModelConfig({ name: 'm', platform: 'onnxruntime_onnx', kind: 'gpu', maxBatch: 4, ...tensors }));
    expect(error).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect((error as Error).message).toMatch(
      /^Expected a model whose inputs and outputs all have a dynamic first dim for maxBatch 4 but tensor "x" has shape \[2, 4\]/,
    );
  });
});

describe('config.pbtxt for a dynamic-batch model', () => {
  const tensors = onnxTensors(decodeModel(gemmModel(['batch', 4], ['batch', 3])));

  it("leaves out the batch dim and batches with the batcher's defaults", () => {
    const config = emitted(tensors);
    expect(num(config, 'max_batch_size')).toBe(32);
    expect(msgs(config, 'input').map(tensor)).toEqual([{ name: 'x', data_type: 'TYPE_FP32', dims: [4] }]);
    expect(msgs(config, 'output').map(tensor)).toEqual([{ name: 'y', data_type: 'TYPE_FP32', dims: [3] }]);
    const batching = msg(config, 'dynamic_batching');
    expect(nums(batching, 'preferred_batch_size')).toEqual([32]);
    expect(num(batching, 'max_queue_delay_microseconds')).toBe(2000);
  });

  it('takes the asked batch, delay, instances and device; GPU instances of an ONNX model get the TensorRT accelerator', () => {
    const config = emitted({
      ...tensors,
      maxBatch: 8,
      delayUs: 350,
      instances: 3,
      device: 1,
      accelerator: { precision_mode: 'FP16', max_workspace_size_bytes: '1073741824' },
    });
    expect(num(config, 'max_batch_size')).toBe(8);
    expect(nums(msg(config, 'dynamic_batching'), 'preferred_batch_size')).toEqual([8]);
    expect(num(msg(config, 'dynamic_batching'), 'max_queue_delay_microseconds')).toBe(350);
    const [group] = msgs(config, 'instance_group');
    expect([num(group!, 'count'), ident(group!, 'kind'), nums(group!, 'gpus')]).toEqual([3, 'KIND_GPU', [1]]);
    const accelerators = msgs(msg(msg(config, 'optimization'), 'execution_accelerators'), 'gpu_execution_accelerator');
    expect(accelerators.map((a) => [str(a, 'name'), stringMap(a, 'parameters')])).toEqual([
      ['tensorrt', { precision_mode: 'FP16', max_workspace_size_bytes: '1073741824' }],
    ]);
  });

  it('CPU instances have neither GPUs nor a GPU accelerator; maxBatch 0 keeps the batch dim as -1', () => {
    const config = emitted({ ...tensors, maxBatch: 0, kind: 'cpu', device: 0, accelerator: { precision_mode: 'FP16' } });
    expect(num(config, 'max_batch_size')).toBe(0);
    expect(config.has('dynamic_batching')).toBe(false);
    expect(config.has('optimization')).toBe(false);
    expect(msgs(config, 'input').map(tensor)).toEqual([{ name: 'x', data_type: 'TYPE_FP32', dims: [-1, 4] }]);
    const [group] = msgs(config, 'instance_group');
    expect(ident(group!, 'kind')).toBe('KIND_CPU');
    expect(group!.has('gpus')).toBe(false);
  });

  it("stays within an engine's profile 0 and prefers its optimization batch", async () => {
    const plan = { ...tensors, platform: 'tensorrt_plan' as const, batchRange: { min: 1, opt: 4, max: 16 } };
    const config = emitted(plan);
    expect(str(config, 'platform')).toBe('tensorrt_plan');
    expect(num(config, 'max_batch_size')).toBe(16);
    expect(nums(msg(config, 'dynamic_batching'), 'preferred_batch_size')).toEqual([4, 16]);
    expect(config.has('optimization')).toBe(false);
    const tooBig = await refused(() => emitted({ ...plan, maxBatch: 17 }));
    expect(tooBig).toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: "Expected at most 16 (the largest batch the engine's profile 0 takes) for maxBatch but received 17",
    });
    const noSingles = await refused(() => emitted({ ...plan, maxBatch: 8, batchRange: { min: 2, opt: 4, max: 16 } }));
    expect((noSingles as Error).message).toMatch(/profile 0 takes a batch of 1 for maxBatch 8 .* start at 2/);
    // Not asked for: served unbatched.
    expect(num(emitted({ ...plan, batchRange: { min: 2, opt: 4, max: 16 } }), 'max_batch_size')).toBe(0);
    const onCpu = await refused(() => emitted({ ...plan, kind: 'cpu' }));
    expect(onCpu).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('refuses a delay the batcher would refuse, and fractions of a microsecond', async () => {
    for (const delayUs of [-1, Number.NaN, 1.5]) {
      const error = await refused(() => emitted({ ...tensors, delayUs }));
      expect(error).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
      expect((error as Error).message).toMatch(/for dynamicBatchingDelayUs but received/);
    }
  });
});

describe('tensors Triton needs spelled out', () => {
  it('declares a tensor without dims as [1] reshaped to none', () => {
    const bytes = buildModel({
      name: 'scalar',
      inputs: [
        { name: 'x', dtype: 'float32', dims: ['n'] },
        { name: 'sr', dtype: 'int64', dims: [] },
      ],
      outputs: [{ name: 'y', dtype: 'float32', dims: ['n'] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    });
    const config = emitted(onnxTensors(decodeModel(bytes)));
    expect(num(config, 'max_batch_size')).toBe(0); // sr has no batch dim
    expect(msgs(config, 'input').map(tensor)).toEqual([
      { name: 'x', data_type: 'TYPE_FP32', dims: [-1] },
      { name: 'sr', data_type: 'TYPE_INT64', dims: [1], reshape: [] },
    ]);
  });

  it('maps every element type, strings included, and refuses types Triton has no type for', async () => {
    const model = decodeModel(gemmModel(['batch', 4], ['batch', 3]));
    const input = model.graph!.input[0]!;
    const type = input.type!.value as { case: 'tensorType'; value: { elemType: number } };
    const expected: [number, string][] = [
      [DataType.FLOAT16, 'TYPE_FP16'],
      [DataType.BFLOAT16, 'TYPE_BF16'],
      [DataType.DOUBLE, 'TYPE_FP64'],
      [DataType.UINT8, 'TYPE_UINT8'],
      [DataType.INT8, 'TYPE_INT8'],
      [DataType.UINT16, 'TYPE_UINT16'],
      [DataType.INT16, 'TYPE_INT16'],
      [DataType.UINT32, 'TYPE_UINT32'],
      [DataType.INT32, 'TYPE_INT32'],
      [DataType.UINT64, 'TYPE_UINT64'],
      [DataType.INT64, 'TYPE_INT64'],
      [DataType.BOOL, 'TYPE_BOOL'],
      [DataType.STRING, 'TYPE_STRING'],
    ];
    for (const [onnx, triton] of expected) {
      type.value.elemType = onnx;
      expect(onnxTensors(model).inputs[0]?.dataType).toBe(triton);
    }
    for (const [onnx, name] of [
      [DataType.COMPLEX64, 'complex64'],
      [DataType.FLOAT8E4M3FN, 'float8e4m3fn'],
      [DataType.INT4, 'int4'],
    ] as const) {
      type.value.elemType = onnx;
      const error = await refused(() => onnxTensors(model));
      expect(error).toMatchObject({
        code: ErrorCode.UNSUPPORTED,
        message: `Expected an element type that Triton serves (one of its TYPE_* data types) for input "x" but received ONNX type ${name}`,
      });
    }
  });

  it('refuses an output whose rank the model does not state', async () => {
    const bytes = buildModel({
      name: 'unranked',
      inputs: [{ name: 'x', dtype: 'float32', dims: ['n', 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    });
    const error = await refused(() => onnxTensors(decodeModel(bytes)));
    expect(error).toMatchObject({ code: ErrorCode.UNSUPPORTED });
    expect((error as Error).message).toMatch(/^Expected a stated rank for output "y"/);
  });
});
