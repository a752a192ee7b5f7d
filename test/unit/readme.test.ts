// The README's TypeScript examples must compile against the real public types.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dir = join(root, 'test', '.readme-check');

afterAll(() => rm(dir, { recursive: true, force: true }));

it('every ```ts block in README.md type-checks', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  await mkdir(dir, { recursive: true });
  const files = await Promise.all(
    blocks.map(async (code, i) => {
      const file = `example-${i}.ts`;
      await writeFile(join(dir, file), `${code}\nexport {};\n`);
      return file;
    }),
  );
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '../..', paths: { 'tensorrt-node': ['../../lib/index.ts'] } },
      include: files,
    }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')]).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
  expect(result).toBe('');
}, 120_000);
