// packageInfo() finds this package's package.json from every layout it is run from: lib/util (tests),
// dist/util (the npm package) and build-bench/lib/util (benchmarks and the example server).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';

import { packageInfo } from '../../../lib/util/package-info.js';

const root = resolve(import.meta.dirname, '../../..');
let dir: string | undefined;
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

it('reads the package.json two or three levels up, skipping one that is not ours', async () => {
  const ours = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  expect(packageInfo()).toEqual({ name: 'tensorrt-node', version: ours.version });

  dir = await mkdtemp(join(tmpdir(), 'package-info-'));
  const source = ts.transpileModule(await readFile(join(root, 'lib/util/package-info.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'tensorrt-node', version: '9.8.7', type: 'module' }));
  for (const layout of ['dist/util', 'build-bench/lib/util']) {
    await mkdir(join(dir, layout), { recursive: true });
    await writeFile(join(dir, layout, 'package-info.js'), source);
  }
  // A build folder with a package.json of its own (not ours) in between.
  await writeFile(join(dir, 'build-bench', 'package.json'), JSON.stringify({ name: 'something-else', version: '0.0.0', type: 'module' }));
  for (const layout of ['dist/util', 'build-bench/lib/util']) {
    const module = (await import(pathToFileURL(join(dir, layout, 'package-info.js')).href)) as { packageInfo: typeof packageInfo };
    expect(module.packageInfo(), layout).toEqual({ name: 'tensorrt-node', version: '9.8.7' });
  }
});
