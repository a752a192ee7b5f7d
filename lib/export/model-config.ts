/**
 * The part of Triton's model configuration (model_config.proto, message inference.ModelConfig)
 * that an export writes, declared field by field from that file: names, wire types, which fields
 * repeat, which are maps and which enum values are used. `npm run check:triton` holds this
 * declaration against a copy of the real model_config.proto.
 */
import type { TextFormatSchema } from './text-format.js';
import { writeTextFormat } from './text-format.js';
import { TRITON_DATA_TYPES, type TritonDataType } from './triton-types.js';

export type TritonPlatform = 'tensorrt_plan' | 'onnxruntime_onnx';
export type TritonInstanceKind = 'KIND_GPU' | 'KIND_CPU';

export interface TritonTensorConfig {
  name: string;
  data_type: TritonDataType;
  /** Without the batch dim when max_batch_size > 0; -1 for a dim of any size. */
  dims: number[];
  /** What the model takes when dims had to be given as [1] for a tensor without dims. */
  reshape?: { shape: number[] };
}

export interface TritonModelConfig {
  name: string;
  platform: TritonPlatform;
  /** 0: the model takes no batch dim from Triton (dims are the whole shape). */
  max_batch_size: number;
  input: TritonTensorConfig[];
  output: TritonTensorConfig[];
  dynamic_batching?: { preferred_batch_size: number[]; max_queue_delay_microseconds: number };
  instance_group: { count: number; kind: TritonInstanceKind; gpus?: number[] }[];
  optimization?: {
    execution_accelerators: { gpu_execution_accelerator: { name: string; parameters?: Record<string, string> }[] };
  };
}

export const MODEL_CONFIG_SCHEMA: TextFormatSchema = {
  messages: {
    ModelConfig: {
      name: { type: { scalar: 'string' } },
      platform: { type: { scalar: 'string' } },
      max_batch_size: { type: { scalar: 'int32' } },
      input: { type: { message: 'ModelInput' }, repeated: true },
      output: { type: { message: 'ModelOutput' }, repeated: true },
      dynamic_batching: { type: { message: 'ModelDynamicBatching' } },
      instance_group: { type: { message: 'ModelInstanceGroup' }, repeated: true },
      optimization: { type: { message: 'ModelOptimizationPolicy' } },
    },
    ModelInput: {
      name: { type: { scalar: 'string' } },
      data_type: { type: { enum: 'DataType' } },
      dims: { type: { scalar: 'int64' }, repeated: true },
      reshape: { type: { message: 'ModelTensorReshape' } },
    },
    ModelOutput: {
      name: { type: { scalar: 'string' } },
      data_type: { type: { enum: 'DataType' } },
      dims: { type: { scalar: 'int64' }, repeated: true },
      reshape: { type: { message: 'ModelTensorReshape' } },
    },
    ModelTensorReshape: {
      shape: { type: { scalar: 'int64' }, repeated: true },
    },
    ModelDynamicBatching: {
      preferred_batch_size: { type: { scalar: 'int32' }, repeated: true },
      max_queue_delay_microseconds: { type: { scalar: 'uint64' } },
    },
    ModelInstanceGroup: {
      count: { type: { scalar: 'int32' } },
      kind: { type: { enum: 'ModelInstanceGroup.Kind' } },
      gpus: { type: { scalar: 'int32' }, repeated: true },
    },
    ModelOptimizationPolicy: {
      execution_accelerators: { type: { message: 'ModelOptimizationPolicy.ExecutionAccelerators' } },
    },
    'ModelOptimizationPolicy.ExecutionAccelerators': {
      gpu_execution_accelerator: { type: { message: 'ModelOptimizationPolicy.ExecutionAccelerators.Accelerator' }, repeated: true },
    },
    'ModelOptimizationPolicy.ExecutionAccelerators.Accelerator': {
      name: { type: { scalar: 'string' } },
      parameters: { type: { map: { key: 'string', value: 'string' } } },
    },
  },
  enums: {
    DataType: TRITON_DATA_TYPES,
    'ModelInstanceGroup.Kind': ['KIND_GPU', 'KIND_CPU'] satisfies TritonInstanceKind[],
  },
};

/** config.pbtxt's text for `config`. */
export function formatModelConfig(config: TritonModelConfig): string {
  return writeTextFormat(MODEL_CONFIG_SCHEMA, 'ModelConfig', config);
}
