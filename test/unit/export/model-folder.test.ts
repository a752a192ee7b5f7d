// A model's folder in a repository: names that would leave it are refused, a folder in the way is
// kept unless forced, and a failed export leaves neither a model folder nor a temporary one.
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../../../lib/errors.js';
import { prepareModelFolder, validateModelName, writeModelFolder } from '../../../lib/export/model-folder.js';
import { rejection } from '../../shared/rejection.js';

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'triton-repo-'));
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('model names', () => {
  it('takes plain folder names and refuses anything that could leave the repository', async () => {
    for (const name of ['resnet50', 'ch_PP-OCRv4_det_infer', 'model.v2', '0']) expect(validateModelName(name, 'options.name')).toBe(name);
    for (const name of ['', '..', '.', '../up', 'a/b', 'a\\b', '/abs', '.hidden', '-flag', 'sp ace', 'nul\0', 'x'.repeat(201), 7]) {
      const error = await rejection(Promise.resolve().then(() => validateModelName(name, 'options.name')));
      expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(error.message).toMatch(/^Expected a model name of letters, digits, .* for options\.name but received /);
    }
  });
});

describe('model folders', () => {
  it('creates an absent repository only when writing, and removes it again when that fails', async () => {
    const nested = join(repo, 'a', 'b');
    const folder = await prepareModelFolder(nested, 'm', false);
    expect(folder.path).toBe(join(nested, 'm'));
    expect(await readdir(repo)).toEqual([]);
    await expect(writeModelFolder(folder, false, () => Promise.reject(new Error('the build failed')))).rejects.toThrow();
    expect(await readdir(repo)).toEqual([]);
    await writeModelFolder(folder, false, async (dir) => writeFile(join(dir, 'config.pbtxt'), 'x'));
    expect(await readdir(nested)).toEqual(['m']);
  });

  it('accepts an absent or empty model folder', async () => {
    await mkdir(join(repo, 'empty'));
    expect((await prepareModelFolder(repo, 'empty', false)).path).toBe(join(repo, 'empty'));
  });

  it('refuses a non-empty folder unless forced, and a link or a file in the model folder’s place', async () => {
    await mkdir(join(repo, 'm'));
    await writeFile(join(repo, 'm', 'config.pbtxt'), 'old');
    const error = await rejection(prepareModelFolder(repo, 'm', false));
    expect(error).toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: `Expected an absent or empty model folder at ${join(repo, 'm')} (or force to replace it) but received a folder holding 1 entries (config.pbtxt)`,
    });
    await expect(prepareModelFolder(repo, 'm', true)).resolves.toMatchObject({ path: join(repo, 'm') });
    const outside = await mkdtemp(join(tmpdir(), 'triton-outside-'));
    try {
      await symlink(outside, join(repo, 'linked'));
      expect((await rejection(prepareModelFolder(repo, 'linked', true))).message).toMatch(/but received a symbolic link$/);
      await writeFile(join(repo, 'file'), 'x');
      expect((await rejection(prepareModelFolder(repo, 'file', true))).message).toMatch(/but received a file$/);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('puts the folder in place whole; a failure leaves the old folder and no temporary one', async () => {
    const folder = await prepareModelFolder(repo, 'm', false);
    await writeModelFolder(folder, false, async (dir) => {
      await mkdir(join(dir, '1'));
      await writeFile(join(dir, 'config.pbtxt'), 'first');
    });
    expect((await readdir(repo)).sort()).toEqual(['m']);
    const failing = writeModelFolder(folder, true, async (dir) => {
      await writeFile(join(dir, 'config.pbtxt'), 'second');
      throw new Error('the build failed');
    });
    await expect(failing).rejects.toThrow();
    expect(await readdir(repo)).toEqual(['m']);
    expect(await readFile(join(repo, 'm', 'config.pbtxt'), 'utf8')).toBe('first');
    // Forced: replaced whole, nothing of the old folder left.
    await writeModelFolder(folder, true, async (dir) => writeFile(join(dir, 'config.pbtxt'), 'third'));
    expect(await readdir(repo)).toEqual(['m']);
    expect(await readdir(join(repo, 'm'))).toEqual(['config.pbtxt']);
    expect(await readFile(join(repo, 'm', 'config.pbtxt'), 'utf8')).toBe('third');
  });

  it('does not replace a folder filled while the model was being built, unless forced', async () => {
    const folder = await prepareModelFolder(repo, 'm', false);
    const raced = writeModelFolder(folder, false, async (dir) => {
      await mkdir(join(repo, 'm'));
      await writeFile(join(repo, 'm', 'other'), 'someone else');
      await writeFile(join(dir, 'config.pbtxt'), 'mine');
    });
    expect((await rejection(raced)).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(await readdir(repo)).toEqual(['m']);
    expect(await readdir(join(repo, 'm'))).toEqual(['other']);
  });
});
