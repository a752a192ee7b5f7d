// The documentation's TypeScript examples must compile against the real public types: every ```ts
// block of every Markdown file in the repository (README.md, docs/, any README a folder adds), so a
// section added later is covered without touching this test. A JavaScript block, or an untagged one
// that imports the package, would escape the check: those are refused, with the fix in the message.
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dir = join(root, 'test', '.readme-check');

afterAll(() => rm(dir, { recursive: true, force: true }));

/** Folders that hold no documentation of ours: dependencies, build output (also build-*), this test's own scratch folder. */
const SKIPPED = new Set(['node_modules', '.git', 'dist', 'prebuilds', '.readme-check']);

async function markdownFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIPPED.has(entry.name) && !entry.name.startsWith('build')) {
      files.push(...(await markdownFiles(join(folder, entry.name))));
    } else if (entry.isFile() && entry.name.endsWith('.md')) files.push(join(folder, entry.name));
  }
  return files;
}

interface Block {
  /** Where it starts, for messages: README.md:23. */
  at: string;
  language: string;
  code: string;
}

/** Fenced blocks, also those indented inside list items (their indentation removed). */
function fencedBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  for (const match of text.matchAll(/^([ \t]*)```([\w+-]*)[^\n]*\n([\s\S]*?)^\1```[ \t]*$/gm)) {
    const [, indent = '', language = '', body = ''] = match;
    const line = text.slice(0, match.index).split('\n').length;
    const code = body
      .split('\n')
      .map((row) => (row.startsWith(indent) ? row.slice(indent.length) : row))
      .join('\n');
    blocks.push({ at: `${relative(root, file)}:${line}`, language: language.toLowerCase(), code });
  }
  return blocks;
}

const TYPESCRIPT = new Set(['ts', 'typescript', 'mts']);
const JAVASCRIPT = new Set(['js', 'javascript', 'mjs', 'cjs', 'jsx', 'tsx']);

async function allBlocks(): Promise<Block[]> {
  const files = await markdownFiles(root);
  return (await Promise.all(files.map(async (file) => fencedBlocks(file, await readFile(file, 'utf8'))))).flat();
}

it('finds the README examples, indented ones included', () => {
  const blocks = fencedBlocks(join(root, 'X.md'), 'a\n```ts\nconst a = 1;\n```\n- item\n\n  ```ts\n  const b = 2;\n  ```\n');
  expect(blocks).toEqual([
    { at: 'X.md:2', language: 'ts', code: 'const a = 1;\n' },
    { at: 'X.md:7', language: 'ts', code: 'const b = 2;\n' },
  ]);
});

it('no example escapes the type check: JavaScript blocks and untagged imports of the package are refused', async () => {
  const escaped = (await allBlocks())
    .filter((block) => JAVASCRIPT.has(block.language) || (block.language === '' && /from ['"]tensorrt-node['"]/.test(block.code)))
    .map((block) => `${block.at}: tag it \`\`\`ts so that it is type-checked`);
  expect(escaped).toEqual([]);
});

it('every ```ts block of every Markdown file type-checks', async () => {
  const blocks = (await allBlocks()).filter((block) => TYPESCRIPT.has(block.language));
  expect(blocks.filter((block) => block.at.startsWith('README.md:')).length).toBeGreaterThan(5);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files = await Promise.all(
    blocks.map(async (block) => {
      const file = `${block.at.replace(/[/:]/g, '_')}.ts`;
      await writeFile(join(dir, file), `${block.code}\nexport {};\n`);
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
