// The published .d.ts as a user's compiler sees it: a fresh TypeScript project with `skipLibCheck: false`,
// only ES2022 and Node's types (no DOM), and without the optional onnxruntime-node. Every declaration
// file reachable from index.d.ts is then checked, so a type that names onnxruntime-node, a DOM type or
// a newer lib fails here instead of in a user's build.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let project: string;
beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'trtn-types-'));
  const installed = join(project, 'node_modules', 'tensorrt-node');
  // The declarations exactly as `npm run build` emits them into dist/.
  await exec(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(installed, 'dist')],
    {
      cwd: root,
    },
  );
  await cp(join(root, 'package.json'), join(installed, 'package.json'));
  // What `npm install tensorrt-node` puts next to it: its dependencies and the user's @types/node. Not
  // onnxruntime-node: it is optional and npm drops it where its install script fails.
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of [...Object.keys(manifest.dependencies), '@types/node']) {
    const link = join(project, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(join(root, 'node_modules', name), link, 'dir');
  }
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022'],
        types: ['node'],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: ['app.ts'],
    }),
  );
}, 180_000);
afterAll(() => rm(project, { recursive: true, force: true }));

async function typeCheck(code: string): Promise<string> {
  await writeFile(join(project, 'app.ts'), code);
  return exec(process.execPath, [tsc, '-p', join(project, 'tsconfig.json')], { cwd: project }).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
}

it('the project really lacks onnxruntime-node', () => {
  expect(() => createRequire(join(project, 'app.ts')).resolve('onnxruntime-node')).toThrow(/Cannot find module/);
});

it('every declaration reachable from index.d.ts type-checks with skipLibCheck false, ES2022 and no DOM', async () => {
  const code = `
    import * as trt from 'tensorrt-node';
    import { InferenceSession, Tensor, type SessionOptions } from 'tensorrt-node';

    const options: SessionOptions = { backend: 'cpu', runOn: 'auto', logLevel: 'error', maxQueue: 8 };
    const session = await InferenceSession.create('model.onnx', options);
    const x = new Tensor('float32', new Float32Array(4), [1, 4]);
    const all = await session.run({ x });
    const scores: Float32Array = all.y.as('float32').data;
    const y = Tensor.zeros('float32', [1, 2]);
    const into = await session.run({ x }, { outputs: { y } });
    const written: Float32Array = into.y.data;
    const named = await session.run({ x }, { outputs: ['y'] });
    // @ts-expect-error: only the outputs asked for are in the result
    console.log(named.z);
    console.log(scores, written, session.inputNames, trt.DTYPES, await session.settlePlacement());
    await session.dispose();
    export {};
  `;
  expect(await typeCheck(code)).toBe('');
}, 120_000);

it('a mistake in user code is still reported (the check is live)', async () => {
  expect(await typeCheck(`import { Tensor } from 'tensorrt-node';\nnew Tensor('float32', new Int32Array(4));\nexport {};\n`)).toMatch(
    /error TS2345/,
  );
}, 120_000);
