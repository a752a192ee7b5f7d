/**
 * The engine cache: built plans kept under the XDG cache folder (mode 0700), keyed by content and
 * versions (cache-key.ts). An entry is `<key>.plan` plus `<key>.json` (its SHA-256, size and what
 * it was built from), both written atomically; the .json's mtime is the entry's last use. Two
 * processes after the same key serialise on `<key>.lock`: the second waits and takes the first's
 * engine. An entry that fails its checksum, or that TensorRT will not deserialize, is removed and
 * rebuilt with a warning. Past the size limit, least recently used entries are pruned.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rm, stat, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

import { ErrorCode, TensorRTNodeError, invalidArgument, isTensorRTNodeError } from '../errors.js';
import type { Feeds } from '../optimize/feeds.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { acquireFileLock } from '../util/file-lock.js';
import type { BuildEngineOptions } from './build-options.js';
import { prepareBuild, runBuild } from './builder.js';
import { calibrationDigest, engineCacheKey, environmentIdentity } from './cache-key.js';
import { deviceIndex } from '../cuda/validate.js';

/** Default size limit of the cache folder: 4 GiB (TENSORRT_NODE_CACHE_MAX_BYTES overrides). */
export const DEFAULT_CACHE_MAX_BYTES = 4 * 1024 ** 3;

export interface EngineCacheOptions {
  /** The cache folder (default: TENSORRT_NODE_CACHE_DIR, else $XDG_CACHE_HOME/tensorrt-node, else ~/.cache/tensorrt-node). */
  cacheDir?: string;
  /** Prune least recently used entries past this many bytes (default DEFAULT_CACHE_MAX_BYTES). */
  maxCacheBytes?: number;
  /** Called once when another process is building the same engine and this one waits to reuse it. */
  onCacheWait?: () => void;
}

export interface CacheEntry {
  readonly key: string;
  readonly planPath: string;
  readonly size: number;
  readonly lastUsed: Date;
  readonly createdAt: string;
  /** The model's file name, or "(bytes)". */
  readonly model: string;
  readonly tensorrt: string;
  readonly gpu: string;
  readonly precision: string;
}

interface EntryMeta {
  format: 1;
  key: string;
  sha256: string;
  size: number;
  createdAt: string;
  model: string;
  tensorrt: string;
  gpu: string;
  addon: string;
  precision: string;
}

export interface CachedBuild<T> {
  readonly key: string;
  /** True when the plan came from the cache (also when another process built it while this one waited). */
  readonly hit: boolean;
  readonly planPath: string;
  readonly value: T;
}

const KEY = /^[0-9a-f]{64}$/;

export function defaultCacheDir(): string {
  const override = process.env.TENSORRT_NODE_CACHE_DIR;
  if (override !== undefined && override !== '') return override;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'tensorrt-node');
}

/** The cache folder, created with mode 0700 (a folder we did not create keeps its mode). */
export async function openCacheDir(dir = defaultCacheDir()): Promise<string> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('a folder path', 'cacheDir', dir);
  try {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(dir, 0o700); // the umask may have cleared bits of the mode
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot use ${dir} as the engine cache folder`, { cause: error, details: String(error) });
  }
  return dir;
}

function maxBytesFrom(value: number | undefined): number {
  if (value !== undefined) {
    if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument('a non-negative integer number of bytes', 'maxCacheBytes', value);
    return value;
  }
  const env = Number(process.env.TENSORRT_NODE_CACHE_MAX_BYTES);
  return Number.isSafeInteger(env) && env >= 0 && process.env.TENSORRT_NODE_CACHE_MAX_BYTES !== '' ? env : DEFAULT_CACHE_MAX_BYTES;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function removeEntry(dir: string, key: string): Promise<void> {
  await rm(join(dir, `${key}.json`), { force: true });
  await rm(join(dir, `${key}.plan`), { force: true });
}

/** The entry's plan when it is whole (meta present, size and SHA-256 match); 'corrupt' when it is damaged; undefined when absent. */
async function readEntry(dir: string, key: string): Promise<Uint8Array | 'corrupt' | undefined> {
  let meta: EntryMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as EntryMeta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'corrupt';
  }
  let plan: Uint8Array;
  try {
    plan = new Uint8Array(await readFile(join(dir, `${key}.plan`)));
  } catch {
    return 'corrupt';
  }
  if (meta.key !== key || plan.length !== meta.size || sha256(plan) !== meta.sha256) return 'corrupt';
  // The .json's mtime orders entries for pruning: move it strictly forward even within one millisecond.
  const metaPath = join(dir, `${key}.json`);
  const previous = await stat(metaPath).catch(() => undefined);
  const now = new Date(Math.max(Date.now(), Math.floor((previous?.mtimeMs ?? 0) + 1)));
  await utimes(metaPath, now, now).catch(() => undefined);
  return plan;
}

async function writeEntry(dir: string, key: string, plan: Uint8Array, model: string, precision: string, device: number): Promise<void> {
  const { tensorrt, gpu, addon } = environmentIdentity(device);
  const meta: EntryMeta = {
    format: 1,
    key,
    sha256: sha256(plan),
    size: plan.length,
    createdAt: new Date().toISOString(),
    model,
    tensorrt,
    gpu,
    addon,
    precision,
  };
  // Plan first: an entry is only complete once its .json exists.
  await writeFileAtomic(join(dir, `${key}.plan`), plan);
  await writeFileAtomic(join(dir, `${key}.json`), new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`));
}

function warn(message: string): void {
  process.emitWarning(message, 'TensorRTNodeWarning');
}

/**
 * The engine for `model` and `options`: from the cache, or built (and cached). `open` turns plan
 * bytes into what the caller wants (e.g. a loaded engine); when it rejects a cached plan as
 * corrupt or incompatible, the entry is removed and rebuilt with a warning.
 */
export async function cachedBuild<T>(
  model: string | Uint8Array,
  options: BuildEngineOptions & EngineCacheOptions,
  open: (plan: Uint8Array) => Promise<T>,
  optionName = 'options',
): Promise<CachedBuild<T>> {
  const dir = await openCacheDir(options.cacheDir ?? defaultCacheDir());
  const maxBytes = maxBytesFrom(options.maxCacheBytes);
  // Calibration iterables are read once: keep the samples for both the key and quantization.
  const calibration =
    options.calibration === undefined || typeof options.calibration === 'string'
      ? options.calibration
      : await collectFeeds(options.calibration);
  const buildOptions: BuildEngineOptions = { ...options, ...(calibration !== undefined ? { calibration } : {}) };
  const prepared = await prepareBuild(model, buildOptions, optionName);
  const usesCalibration = prepared.settings.precision === 'int8' || prepared.settings.precision === 'best';
  // Plans are specific to a GPU model: the key names the one of the device the engine is built on.
  const device = deviceIndex(options.device, `${optionName}.device`);
  const key = await engineCacheKey(prepared, usesCalibration ? await calibrationDigest(calibration) : undefined, device);
  const planPath = join(dir, `${key}.plan`);
  const modelName = typeof model === 'string' ? basename(model) : '(bytes)';

  const cached = await readEntry(dir, key);
  if (cached instanceof Uint8Array) {
    const opened = await open(cached).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    if ('value' in opened) return { key, hit: true, planPath, value: opened.value };
    // Only a plan TensorRT refuses is the entry's fault; other failures (memory, device) are not.
    if (!isTensorRTNodeError(opened.error, ErrorCode.ENGINE_CORRUPT) && !isTensorRTNodeError(opened.error, ErrorCode.ENGINE_INCOMPATIBLE))
      throw opened.error;
    warn(`The cached engine ${planPath} could not be loaded and is rebuilt: ${(opened.error as Error).message}`);
    await removeEntry(dir, key);
  } else if (cached === 'corrupt') {
    warn(`The cached engine ${planPath} is damaged (checksum mismatch) and is rebuilt`);
    await removeEntry(dir, key);
  }

  const release = await acquireFileLock(join(dir, `${key}.lock`), {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onCacheWait ? { onWait: options.onCacheWait } : {}),
  });
  try {
    // Another process may have built it while this one waited for the lock.
    const built = await readEntry(dir, key);
    if (built instanceof Uint8Array) return { key, hit: true, planPath, value: await open(built) };
    const plan = await runBuild(prepared, buildOptions);
    const value = await open(plan);
    await writeEntry(dir, key, plan, modelName, prepared.settings.precision, device);
    await pruneCache(dir, maxBytes, new Set([key]));
    return { key, hit: false, planPath, value };
  } finally {
    await release();
  }
}

async function collectFeeds(feeds: AsyncIterable<Feeds> | Iterable<Feeds>): Promise<Feeds[]> {
  const samples: Feeds[] = [];
  for await (const sample of feeds) samples.push(sample);
  return samples;
}

/** Every complete entry, most recently used first. */
export async function listCache(dir = defaultCacheDir()): Promise<CacheEntry[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw new TensorRTNodeError(ErrorCode.IO, `Cannot read the engine cache folder ${dir}`, { cause: error, details: String(error) });
  });
  const entries: CacheEntry[] = [];
  for (const name of names) {
    const key = name.slice(0, -'.json'.length);
    if (!name.endsWith('.json') || !KEY.test(key)) continue;
    try {
      const metaPath = join(dir, name);
      const meta = JSON.parse(await readFile(metaPath, 'utf8')) as EntryMeta;
      const info = await stat(metaPath);
      entries.push({
        key,
        planPath: join(dir, `${key}.plan`),
        size: meta.size,
        lastUsed: info.mtime,
        createdAt: meta.createdAt,
        model: meta.model,
        tensorrt: meta.tensorrt,
        gpu: meta.gpu,
        precision: meta.precision,
      });
    } catch {
      // A damaged entry is not listed; reading it through the cache removes it.
    }
  }
  return entries.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
}

/** Removes every entry (and leftovers of interrupted writes); resolves to the number of entries removed. */
export async function clearCache(dir = defaultCacheDir()): Promise<number> {
  const entries = await listCache(dir);
  for (const entry of entries) await removeEntry(dir, entry.key);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (/^[0-9a-f]{64}\.(plan|json)$/.test(name) || /^\.[0-9a-f]{64}\.(plan|json)\..*\.tmp$/.test(name))
      await rm(join(dir, name), { force: true });
  }
  return entries.length;
}

/** Removes least recently used entries until the entries take at most `maxBytes`; `keep` entries are never removed. */
export async function pruneCache(
  dir = defaultCacheDir(),
  maxBytes = maxBytesFrom(undefined),
  keep: ReadonlySet<string> = new Set(),
): Promise<{ removed: CacheEntry[]; remainingBytes: number }> {
  const entries = await listCache(dir);
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  const removed: CacheEntry[] = [];
  for (const entry of [...entries].reverse()) {
    if (total <= maxBytes) break;
    if (keep.has(entry.key)) continue;
    await removeEntry(dir, entry.key);
    total -= entry.size;
    removed.push(entry);
  }
  return { removed, remainingBytes: total };
}
