// The native addon's error codes: spelled once in native/error_codes.h, each one of ErrorCode, and
// every coded error in the addon's sources goes through that header.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

import { ErrorCode } from '../../lib/errors.js';

const root = resolve(import.meta.dirname, '../..');
const native = join(root, 'native');
const header = join(native, 'error_codes.h');

async function addonSources(): Promise<string[]> {
  const entries = await readdir(native, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(cc|h)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(native, file).startsWith('sim/'));
}

async function headerCodes(): Promise<Map<string, string>> {
  const text = await readFile(header, 'utf8');
  return new Map([...text.matchAll(/static constexpr const char\* (k\w+) = "([A-Z_]+)";/g)].map((m) => [m[1]!, m[2]!]));
}

it('every code in native/error_codes.h is one of ErrorCode', async () => {
  const codes = await headerCodes();
  expect(codes.size).toBeGreaterThan(0);
  const known = new Set<string>(Object.values(ErrorCode));
  for (const [name, code] of codes) expect(known.has(code), `${name} = ${code}`).toBe(true);
});

it('the addon spells no error code outside native/error_codes.h and uses only codes declared there', async () => {
  const codes = await headerCodes();
  const spelled: string[] = [];
  const undeclared: string[] = [];
  let uses = 0;
  for (const file of await addonSources()) {
    if (file === header) continue;
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/"ERR_[A-Z_]*"/g)) spelled.push(`${relative(root, file)}: ${m[0]}`);
    for (const m of text.matchAll(/\bErrorCode::(k\w+)/g)) {
      uses += 1;
      if (!codes.has(m[1]!)) undeclared.push(`${relative(root, file)}: ${m[0]}`);
    }
  }
  expect(spelled).toEqual([]);
  expect(undeclared).toEqual([]);
  expect(uses).toBeGreaterThan(0);
});
