/**
 * `tensorrt-node cache list | clear | prune [--dir] [--json] [--max-bytes]`: the engine cache on
 * the command line (lib/tensorrt/engine-cache.ts).
 */
import type { Command } from 'commander';

import { invalidArgument } from '../errors.js';
import { type CacheEntry, clearCache, defaultCacheDir, listCache, pruneCache } from '../tensorrt/engine-cache.js';
import { parseSize } from './build-flags.js';
import { formatBytes, table, toJson } from './format.js';

interface CacheCliOptions {
  dir?: string;
  json?: boolean;
  maxBytes?: string;
}

function entryJson(entry: CacheEntry) {
  return { ...entry, lastUsed: entry.lastUsed.toISOString() };
}

function entryRows(entries: readonly CacheEntry[]): string {
  return table([
    ['key', 'model', 'precision', 'size', 'last used', 'tensorrt', 'gpu'],
    ...entries.map((e) => [e.key.slice(0, 16), e.model, e.precision, formatBytes(e.size), e.lastUsed.toISOString(), e.tensorrt, e.gpu]),
  ]);
}

export function registerCache(program: Command): Command {
  const command = program.command('cache').description('list, clear or prune the engine cache');
  const common = (sub: Command) =>
    sub.option('--dir <path>', `cache folder (default: ${defaultCacheDir()})`).option('--json', 'print JSON');
  common(command.command('list').description('the cached engines, most recently used first')).action(async (options: CacheCliOptions) => {
    const dir = options.dir ?? defaultCacheDir();
    const entries = await listCache(dir);
    if (options.json) {
      process.stdout.write(`${toJson({ dir, entries: entries.map(entryJson), totalBytes: entries.reduce((s, e) => s + e.size, 0) })}\n`);
      return;
    }
    const total = entries.reduce((s, e) => s + e.size, 0);
    process.stdout.write(
      `${dir}: ${entries.length} engine${entries.length === 1 ? '' : 's'}, ${formatBytes(total)}\n${entries.length ? `${entryRows(entries)}\n` : ''}`,
    );
  });
  common(command.command('clear').description('remove every cached engine')).action(async (options: CacheCliOptions) => {
    const dir = options.dir ?? defaultCacheDir();
    const removed = await clearCache(dir);
    process.stdout.write(options.json ? `${toJson({ dir, removed })}\n` : `${dir}: removed ${removed} engine${removed === 1 ? '' : 's'}\n`);
  });
  common(command.command('prune').description('remove least recently used engines past a size'))
    .option('--max-bytes <size>', 'keep at most this much (bytes, or 512M, 2G; default: the cache limit)')
    .action(async (options: CacheCliOptions) => {
      const dir = options.dir ?? defaultCacheDir();
      if (options.maxBytes === '') throw invalidArgument('a size', '--max-bytes', options.maxBytes);
      const maxBytes =
        options.maxBytes === undefined ? undefined : options.maxBytes === '0' ? 0 : parseSize('--max-bytes', options.maxBytes);
      const { removed, remainingBytes } = await pruneCache(dir, maxBytes);
      if (options.json) {
        process.stdout.write(`${toJson({ dir, removed: removed.map(entryJson), remainingBytes })}\n`);
        return;
      }
      process.stdout.write(
        `${dir}: removed ${removed.length} engine${removed.length === 1 ? '' : 's'}, ${formatBytes(remainingBytes)} left\n${removed.length ? `${entryRows(removed)}\n` : ''}`,
      );
    });
  return command;
}
