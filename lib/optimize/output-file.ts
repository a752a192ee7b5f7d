/** Writing an optimized model next to (never over) its input. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { checkWritableTarget, writeFileAtomic } from '../util/atomic-file.js';

async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // the output does not exist yet
  }
}

/**
 * Throws ERR_INVALID_ARGUMENT when `outputPath` is the input model (same path, or a link to it), or
 * anything but a regular file or a new name (a device, FIFO, socket, directory or symbolic link).
 */
export async function checkOutputPath(outputPath: string, inputPath: string): Promise<void> {
  if (await sameFile(outputPath, inputPath)) {
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected an output path different from the input model for the optimized model but received ${JSON.stringify(outputPath)}, which is the input`,
    );
  }
  await checkWritableTarget(outputPath);
}

/** Refuses to write over the input (also through links); writes a temporary file, then renames it. */
export async function writeOptimizedModel(outputPath: string, bytes: Uint8Array, inputPath: string): Promise<void> {
  await checkOutputPath(outputPath, inputPath);
  await writeFileAtomic(outputPath, bytes);
}

/** The default output path: model.onnx -> model.fp16.onnx. */
export function defaultOutputPath(inputPath: string, suffix: string): string {
  return inputPath.endsWith('.onnx') ? `${inputPath.slice(0, -'.onnx'.length)}.${suffix}.onnx` : `${inputPath}.${suffix}.onnx`;
}
