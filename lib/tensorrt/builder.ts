/**
 * Builds a TensorRT plan from an ONNX model through the native addon (strongly typed: precision
 * comes from the model). The minimal path the runtime and its tests need; caching, progress and
 * build options beyond profiles live with the engine builder.
 */

import { requireBinding } from '../binding.js';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import type { ProfileRange } from './engine.js';
import { readRegularFile } from '../util/regular-file.js';

export interface BuildPlanOptions {
  /** Optimization profiles: per dynamic input, min/opt/max dims. Static models need none. */
  profiles?: readonly Readonly<Record<string, ProfileRange>>[];
  /** Build a version-compatible plan (embeds host code; load it with allowHostCode). */
  versionCompatible?: boolean;
  workspaceBytes?: number;
}

function checkDims(value: unknown, name: string): void {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidArgument('an array of non-negative integers', name, value);
  }
}

/** The serialized plan for `onnx` (a path or the model's bytes). */
export async function buildPlan(onnx: string | Uint8Array, options: BuildPlanOptions = {}): Promise<Uint8Array> {
  if (typeof onnx !== 'string' && !(onnx instanceof Uint8Array)) throw invalidArgument('a file path or a Uint8Array', 'onnx', onnx);
  const profiles = options.profiles ?? [];
  if (!Array.isArray(profiles)) throw invalidArgument('an array of profiles', 'options.profiles', profiles);
  profiles.forEach((profile, index) => {
    for (const [input, range] of Object.entries(profile)) {
      for (const key of ["min", "opt", "max"] as const) checkDims((range as Partial<ProfileRange> | undefined)?.[key], `options.profiles[${index}].${input}.${key}`);
    }
  });
  const binding = requireBinding();
  if (binding.buildEngine === undefined) {
    throw new TensorRTNodeError(ErrorCode.BACKEND_UNAVAILABLE, 'The native addon was built without TensorRT headers');
  }
  const bytes = typeof onnx === 'string' ? await readRegularFile(onnx, { what: 'ONNX model file', code: ErrorCode.MODEL_LOAD }) : onnx;
  return binding.buildEngine(bytes, {
    profiles,
    versionCompatible: options.versionCompatible ?? false,
    ...(options.workspaceBytes !== undefined ? { workspaceBytes: options.workspaceBytes } : {}),
  });
}
