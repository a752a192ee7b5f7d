/**
 * A directory of model inputs as .npy files, for calibration and evaluation from the CLI:
 *   dir/<sample>/<input name>.npy   one subdirectory per sample (any number of inputs), or
 *   dir/<sample>.npy                one file per sample, for models with a single input.
 * Samples are read in name order, one at a time.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, TensorRTNodeError } from '../errors.js';
import { loadNpy } from '../npy.js';
import type { Feeds } from './feeds.js';

async function list(dir: string): Promise<{ name: string; isDirectory: boolean }[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  } catch (cause) {
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a readable directory of .npy inputs but cannot read ${dir}`, {
      cause,
      details: String(cause),
    });
  }
}

/** Counts the samples without reading them. */
export async function countFeedsDirectory(dir: string): Promise<number> {
  const entries = await list(dir);
  return entries.filter((entry) => entry.isDirectory || entry.name.endsWith('.npy')).length;
}

/** The sample names, in the order readFeedsDirectory yields them (a file's name without .npy, or the subdirectory's). */
export async function feedsDirectorySamples(dir: string): Promise<string[]> {
  const entries = (await list(dir)).filter((entry) => entry.isDirectory || entry.name.endsWith('.npy'));
  return entries.map((entry) => (entry.isDirectory ? entry.name : entry.name.slice(0, -'.npy'.length)));
}

export async function* readFeedsDirectory(dir: string, inputNames: readonly string[]): AsyncGenerator<Feeds> {
  for await (const sample of readNamedFeedsDirectory(dir, inputNames)) yield sample.feeds;
}

/** As readFeedsDirectory, with each sample's path (its .npy file or subdirectory) for messages. */
export async function* readNamedFeedsDirectory(dir: string, inputNames: readonly string[]): AsyncGenerator<{ name: string; feeds: Feeds }> {
  const entries = (await list(dir)).filter((entry) => entry.isDirectory || entry.name.endsWith('.npy'));
  if (entries.length === 0)
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected .npy files or sample subdirectories in ${dir} but it has none`);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory) {
      if (inputNames.length !== 1) {
        throw new TensorRTNodeError(
          ErrorCode.INVALID_ARGUMENT,
          `Expected one subdirectory per sample in ${dir} (the model has ${inputNames.length} inputs: ${inputNames.join(', ')}) but received the file ${entry.name}`,
        );
      }
      yield { name: path, feeds: { [inputNames[0]]: await loadNpy(path) } };
      continue;
    }
    const files = (await list(path)).filter((file) => !file.isDirectory && file.name.endsWith('.npy'));
    const feeds: Record<string, Awaited<ReturnType<typeof loadNpy>>> = {};
    for (const file of files) {
      const name = file.name.slice(0, -'.npy'.length);
      if (!inputNames.includes(name)) {
        throw new TensorRTNodeError(
          ErrorCode.UNKNOWN_TENSOR,
          `Expected files named after the model inputs (${inputNames.join(', ')}) in ${path} but received ${file.name}`,
        );
      }
      feeds[name] = await loadNpy(join(path, file.name));
    }
    const missing = inputNames.filter((name) => !(name in feeds));
    if (missing.length > 0)
      throw new TensorRTNodeError(
        ErrorCode.MISSING_INPUT,
        `Expected ${missing.map((name) => `${name}.npy`).join(', ')} in ${path} but ${missing.length === 1 ? 'it is' : 'they are'} missing`,
      );
    yield { name: path, feeds };
  }
}
