// bullmq and ioredis are optional peers: an install without them runs everything else, and the queue
// commands say which package to install. The built package is copied next to a node_modules that
// has every dependency but those two, so the packages are really absent.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { ensureBuilt, expectedError, root } from './cli-helper.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'no-bullmq-'));
  await cp(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  await cp(join(root, 'package.json'), join(dir, 'package.json'));
  await mkdir(join(dir, 'node_modules'));
  for (const name of await readdir(join(root, 'node_modules')))
    if (name !== 'bullmq' && name !== 'ioredis') await symlink(join(root, 'node_modules', name), join(dir, 'node_modules', name));
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [join(dir, 'dist', 'cli', 'main.js'), ...args], { cwd: dir }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

it('fails the queue commands with ERR_BACKEND_UNAVAILABLE naming the package to install when bullmq is missing', async () => {
  const result = await cli(['batch', 'status', '--queue', 'redis://127.0.0.1:6379/jobs']);
  expect(result.code).toBe(1);
  expect(expectedError(result)).toEqual({
    code: 'ERR_BACKEND_UNAVAILABLE',
    message: 'batchQueueStatus needs the bullmq package; install it next to tensorrt-node (npm install bullmq ioredis)',
  });
  // A bad URL is still reported as such: it is checked before anything is loaded.
  expect(expectedError(await cli(['batch', 'status', '--queue', 'redis://127.0.0.1:6379']))).toMatchObject({
    code: 'ERR_INVALID_ARGUMENT',
  });
  // The rest of the package does not need them.
  expect((await cli(['--version'])).code).toBe(0);
});
