import { createRequire } from 'node:module';

/** This package's name and version, read from its package.json (two levels up from lib/util and dist/util). */
export function packageInfo(): { name: string; version: string } {
  const pkg = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}
