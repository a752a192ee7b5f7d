/**
 * The one atomic-write helper (every model, data file and .npy writer goes through it) writes only
 * onto regular files or new names: a rename would turn a device, FIFO or socket into a regular file
 * and replace a symbolic link instead of its target.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isTensorRTNodeError } from '../../../lib/errors.js';
import { saveNpy } from '../../../lib/npy.js';
import { Tensor } from '../../../lib/tensor.js';
import { writeFileAtomic } from '../../../lib/util/atomic-file.js';
import { rejection } from '../../shared/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'trtn-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = new TextEncoder().encode('new contents');

function expectRefused(error: unknown, path: string, kind: string): void {
  expect(isTensorRTNodeError(error, 'ERR_INVALID_ARGUMENT'), String(error)).toBe(true);
  expect((error as Error).message).toBe(`Expected a regular file or a new file name for the output ${path} but received ${kind}`);
  expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
}

/** A character device of our own (the same numbers as /dev/null), where the system lets us make one. */
function makeDevice(path: string): boolean {
  try {
    execFileSync('mknod', [path, 'c', '1', '3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('writeFileAtomic targets', () => {
  test('a new name and a regular file are written', async () => {
    const path = join(dir, 'plain.bin');
    await writeFileAtomic(path, bytes);
    writeFileSync(path, 'old');
    await writeFileAtomic(path, bytes);
    expect(readFileSync(path, 'utf8')).toBe('new contents');
  });

  test('a FIFO is refused and stays a FIFO', async () => {
    const path = join(dir, 'pipe');
    execFileSync('mkfifo', [path]);
    expectRefused(await rejection(writeFileAtomic(path, bytes)), path, 'a FIFO');
    expect(lstatSync(path).isFIFO()).toBe(true);
  });

  test('a socket is refused and stays a socket', async () => {
    const path = join(dir, 'socket');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expectRefused(await rejection(writeFileAtomic(path, bytes)), path, 'a socket');
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const device = join(dir, 'device');
  test.skipIf(!makeDevice(device))('a device node is refused and stays a device', async () => {
    expectRefused(await rejection(writeFileAtomic(device, bytes)), device, 'a character device');
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
  });

  test('a symbolic link is refused: neither the link nor its target changes', async () => {
    const target = join(dir, 'target.bin');
    writeFileSync(target, 'target');
    const link = join(dir, 'link.bin');
    symlinkSync(target, link);
    expectRefused(await rejection(writeFileAtomic(link, bytes)), link, 'a symbolic link');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('target');
  });

  test('a directory is refused', async () => {
    const path = join(dir, 'folder');
    mkdirSync(path);
    expectRefused(await rejection(writeFileAtomic(path, bytes)), path, 'a directory');
  });

  test('saveNpy goes through the same checks', async () => {
    const path = join(dir, 'pipe.npy');
    execFileSync('mkfifo', [path]);
    expectRefused(await rejection(saveNpy(path, new Tensor('uint8', new Uint8Array(2), [2]))), path, 'a FIFO');
    expect(lstatSync(path).isFIFO()).toBe(true);
  });
});

describe('a write that fails says why', () => {
  test('a missing folder, a path through a file, and a full disk each name their cause', async () => {
    const missing = join(dir, 'no-such-folder', 'out.bin');
    let error = await rejection(writeFileAtomic(missing, bytes));
    expect(error.code).toBe('ERR_IO');
    expect(error.message).toBe(`Cannot write ${missing}: its folder does not exist (ENOENT)`);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    error = await rejection(writeFileAtomic(join(file, 'out.bin'), bytes));
    expect(error.message).toBe(`Cannot write ${join(file, 'out.bin')}: a part of its folder path is not a folder (ENOTDIR)`);
    const full = join(dir, 'full.bin');
    error = await rejection(
      writeFileAtomic(full, () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))),
    );
    expect(error.message).toBe(`Cannot write ${full}: no space left on the device (ENOSPC)`);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
