// Checks (default) or rewrites (--fix) the formatting of native/ with the clang-format binary that the
// clang-format npm package ships, so every machine formats with the same version (see .clang-format).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = join(dirname(createRequire(import.meta.url).resolve('clang-format/package.json')), 'bin', 'linux_x64', 'clang-format');
const fix = process.argv.includes('--fix');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(cc|h)$/.test(entry.name) ? [path] : [];
  });
}

const files = sources(join(root, 'native'));
const args = fix ? ['-i', ...files] : ['--dry-run', '-Werror', ...files];
const run = spawnSync(binary, args, { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (run.error) {
  console.error(`clang-format could not run (${run.error.message}); on this platform install clang-format 15 and run it yourself.`);
  process.exit(1);
}
if (run.status !== 0) {
  const unformatted = [...new Set([...run.stderr.matchAll(/^(\S+?):\d+:\d+: error/gm)].map((m) => m[1].replace(root + '/', '')))];
  console.error(`Not formatted like .clang-format: ${unformatted.join(', ') || run.stderr}\nRun \`npm run format\` to fix.`);
  process.exit(1);
}
if (!fix) console.log(`clang-format: ${files.length} native sources formatted`);
