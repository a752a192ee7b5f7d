// The published type surface: every declaration reachable from index.d.ts names Tensors and plain
// TypeScript types, never the addon's Native* types (those stay inside lib/binding.ts).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

/** Native* identifiers in each declaration file reachable from `entry` through relative imports. */
function nativeNames(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const names: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && node.text.startsWith('Native')) names.push(node.text);
      if (
        ts.isStringLiteral(node) &&
        node.text.startsWith('.') &&
        (ts.isExternalModuleReference(node.parent) ||
          ts.isImportDeclaration(node.parent) ||
          ts.isExportDeclaration(node.parent) ||
          ts.isLiteralTypeNode(node.parent))
      ) {
        const target = resolve(dirname(file), node.text.replace(/\.js$/, '.d.ts'));
        if (existsSync(target)) pending.push(target);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    if (names.length > 0) found.set(file.slice(outDir?.length ?? 0), [...new Set(names)]);
  }
  return found;
}

it('names no Native* type anywhere reachable from the published index.d.ts', async () => {
  outDir = await mkdtemp(join(tmpdir(), 'public-types-'));
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', outDir],
    { cwd: root },
  );
  const entry = join(outDir, 'index.d.ts');
  expect(existsSync(entry)).toBe(true);
  expect(Object.fromEntries(nativeNames(entry))).toEqual({});
}, 120_000);
