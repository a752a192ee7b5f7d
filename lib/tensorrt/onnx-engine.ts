/**
 * ONNX models on the TensorRT backend: the engine is built with the session's `tensorrt` build
 * options, or taken from the engine cache. A model whose dynamic dims go beyond the batch dim needs
 * profiles: 'auto' then stays on the CPU (and says why), 'tensorrt' fails with ERR_INVALID_ARGUMENT.
 */
import { readFile } from 'node:fs/promises';

import { TensorRTBackend, type TensorRTBackendOptions } from '../backends/tensorrt.js';
import { ErrorCode, TensorRTNodeError, isTensorRTNodeError } from '../errors.js';
import { cachedBuild } from './engine-cache.js';
import type { OnnxTensorRTOptions } from './onnx-engine-options.js';
import { missingProfileReason, modelInputs } from './profiles.js';

export type { OnnxTensorRTOptions } from './onnx-engine-options.js';

const OPTION_NAME = 'options.tensorrt';

/** A fallback's reason is one short sentence; its details hold the full text. */
export type OnnxOnTensorRT = { backend: TensorRTBackend; cacheHit: boolean } | { fallbackReason: string; fallbackDetails: string };

export async function onnxOnTensorRT(
  source: string | Uint8Array,
  options: OnnxTensorRTOptions,
  choice: 'auto' | 'tensorrt',
): Promise<OnnxOnTensorRT> {
  if (options.profiles === undefined && options.shapes === undefined) {
    const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
    const missing = missingProfileReason(modelInputs(bytes), OPTION_NAME);
    if (missing !== undefined) {
      if (choice === 'auto') return { fallbackReason: 'TensorRT needs optimization profiles for this model.', fallbackDetails: missing };
      throw new TensorRTNodeError(
        ErrorCode.INVALID_ARGUMENT,
        `Expected ${OPTION_NAME}.profiles or ${OPTION_NAME}.shapes for ${OPTION_NAME} but received none: ${missing}`,
      );
    }
  }
  // A version-compatible plan the session built itself embeds host code of its own making.
  const loadOptions: TensorRTBackendOptions = {
    ...options,
    ...(options.versionCompatible && !options.excludeLeanRuntime ? { allowHostCode: true } : {}),
  };
  try {
    const built = await cachedBuild(source, options, (plan) => TensorRTBackend.load(plan, loadOptions), OPTION_NAME);
    return { backend: built.value, cacheHit: built.hit };
  } catch (error) {
    if (choice === 'auto' && isTensorRTNodeError(error, ErrorCode.BUILD_FAILED)) {
      return { fallbackReason: 'TensorRT could not build an engine for this model.', fallbackDetails: error.message };
    }
    throw error;
  }
}
