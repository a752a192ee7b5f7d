/**
 * A model's folder in a Triton model repository, written whole or not at all. Everything is written
 * into a hidden temporary folder inside the repository (same file system, so the last step is a
 * rename) and only then renamed to `<repo>/<name>`; a failure at any step removes the temporary
 * folder, and a folder that was there before stays as it was unless `force` replaces it.
 *
 * The model name becomes a path, so it is held to a plain folder name (no separators, no `..`, not
 * hidden) and the folder must resolve inside the repository's real path: a link named like the model
 * that leads elsewhere is refused, never written through.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, realpath, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';
import { isWithin } from '../util/contained-path.js';
import { fileKind } from '../util/regular-file.js';

/** Letters, digits, '_', '-' and '.', starting with a letter or digit: a folder name and a URL path segment. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export function validateModelName(value: unknown, name: string): string {
  if (typeof value !== 'string' || !MODEL_NAME.test(value))
    throw invalidArgument(
      "a model name of letters, digits, '_', '-' and '.' that starts with a letter or digit (at most 200 characters)",
      name,
      value,
    );
  return value;
}

export interface ModelFolder {
  /** The repository's real path. */
  readonly repo: string;
  /** `<repo>/<name>`. */
  readonly path: string;
  readonly name: string;
}

/** What is at `path` now: nothing, an empty folder, or a folder holding entries (anything else is refused). */
async function targetState(path: string, force: boolean): Promise<'absent' | 'empty' | 'full'> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot inspect ${path}`, { cause: error, details: String(error) });
  });
  if (info === undefined) return 'absent';
  if (!info.isDirectory())
    throw new TensorRTNodeError(
      ErrorCode.INVALID_ARGUMENT,
      `Expected a model folder or nothing at ${path} but received ${info.isFile() ? 'a file' : fileKind(info)}`,
    );
  const entries = await readdir(path);
  if (entries.length === 0) return 'empty';
  if (force) return 'full';
  const shown = entries.slice(0, 4).join(', ');
  throw new TensorRTNodeError(
    ErrorCode.INVALID_ARGUMENT,
    `Expected an absent or empty model folder at ${path} (or force to replace it) but received a folder holding ${entries.length} entries (${shown}${entries.length > 4 ? ', ...' : ''})`,
  );
}

/**
 * Checks the repository and the model's place in it before any work is done: the repository must be
 * a folder or absent; the model folder must be absent or empty, or `force`.
 */
export async function prepareModelFolder(repo: string, name: string, force: boolean): Promise<ModelFolder> {
  if (typeof repo !== 'string' || repo === '' || repo.includes('\0')) throw invalidArgument('a folder path', 'repo', repo);
  const info = await lstat(repo).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot inspect the model repository ${repo}`, { cause: error, details: String(error) });
  });
  // An absent repository is created when the model is written (and removed again if that fails).
  const real = info === undefined ? resolve(repo) : await realpath(repo);
  if (info !== undefined && !(await lstat(real)).isDirectory())
    throw new TensorRTNodeError(ErrorCode.INVALID_ARGUMENT, `Expected a folder for repo but received ${repo}, ${fileKind(info)}`);
  const path = join(real, name);
  if (!isWithin(real, path) || path === real) throw invalidArgument('a model name that stays inside the repository', 'name', name);
  await targetState(path, force);
  return { repo: real, path, name };
}

/** Removes the folders mkdir created for the repository, deepest first, as long as they are empty. */
async function removeCreated(repo: string, created: string | undefined): Promise<void> {
  if (created === undefined) return;
  for (let dir = repo; ; dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or gone): what is left is not ours alone
    }
    if (dir === resolve(created)) return;
  }
}

/**
 * Runs `fill` on an empty temporary folder in the repository, then puts that folder in the model's
 * place. With `force`, a folder already there is moved aside first and removed once the new one is
 * in place (it is moved back if that fails).
 */
export async function writeModelFolder(folder: ModelFolder, force: boolean, fill: (dir: string) => Promise<void>): Promise<void> {
  const stamp = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const temporary = join(folder.repo, `.${folder.name}.${stamp}.tmp`);
  let created: string | undefined;
  try {
    created = await mkdir(folder.repo, { recursive: true });
    await mkdir(temporary);
  } catch (error) {
    await removeCreated(folder.repo, created);
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot create ${temporary} in the model repository`, {
      cause: error,
      details: String(error),
    });
  }
  let aside: string | undefined;
  try {
    await fill(temporary);
    // Again now: the place may have been taken while the model was built.
    const state = await targetState(folder.path, force);
    if (state === 'empty') await rmdir(folder.path);
    if (state === 'full') {
      aside = join(folder.repo, `.${folder.name}.${stamp}.old`);
      await rename(folder.path, aside);
    }
    await rename(temporary, folder.path);
  } catch (error) {
    if (aside !== undefined) await rename(aside, folder.path).catch(() => undefined);
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    await removeCreated(folder.repo, created);
    if (error instanceof TensorRTNodeError) throw error;
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot write the model folder ${folder.path}`, { cause: error, details: String(error) });
  }
  if (aside !== undefined) await rm(aside, { recursive: true, force: true });
}
