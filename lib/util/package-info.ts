import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { name: string; version: string } | undefined;

/**
 * This package's name and version, from the nearest package.json above this file that is ours: two
 * levels up from lib/util and dist/util, three from a build that keeps the lib/ folder (build-bench/).
 */
export function packageInfo(): { name: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 4; level++) {
    dir = dirname(dir);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'tensorrt-node' && typeof pkg.version === 'string') return (cached = { name: pkg.name, version: pkg.version });
    } catch {
      // Not here (or not readable): look one level up.
    }
  }
  throw new Error(`no package.json of tensorrt-node above ${fileURLToPath(import.meta.url)}`);
}
