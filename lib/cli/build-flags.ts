/**
 * Parsers for `tensorrt-node build`'s trtexec-style values: shape lists (`x:1x3x640x640,y:1x3`),
 * sizes with units (`512M`, trtexec's `workspace:1024` in MiB) and trtexec's spellings of the
 * hardware compatibility levels and sparsity modes.
 */
import { invalidArgument } from '../errors.js';
import type { HardwareCompatibility } from '../tensorrt/build-options.js';

/** `name:AxBxC,other:D` -> { name: [A, B, C], other: [D] }; names may be quoted ('x':1x3) and contain ':'. */
export function parseShapeList(flag: string, value: string): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const colon = item.lastIndexOf(':');
    const name = colon > 0 ? item.slice(0, colon).replace(/^(['"])(.*)\1$/, '$2') : '';
    const dims = colon > 0 ? item.slice(colon + 1).split('x') : [];
    if (name === '' || dims.length === 0 || !dims.every((d) => /^\d+$/.test(d))) {
      throw invalidArgument('input:dims items like x:1x3x224x224 (comma separated)', flag, value);
    }
    shapes[name] = dims.map(Number);
  }
  if (Object.keys(shapes).length === 0) throw invalidArgument('input:dims items like x:1x3x224x224 (comma separated)', flag, value);
  return shapes;
}

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  KB: 1024,
  KIB: 1024,
  M: 1024 ** 2,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
};

/** `1073741824`, `512M`, `2G` -> bytes; a bare number is in `defaultUnit` (bytes for --workspace, MiB for trtexec's pools). */
export function parseSize(flag: string, value: string, defaultUnit: 'B' | 'M' = 'B'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
  const unit = match ? (match[2] === '' ? defaultUnit : (match[2] as string).toUpperCase()) : '';
  const factor = UNITS[unit];
  const bytes = match && factor !== undefined ? Math.round(Number(match[1]) * factor) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw invalidArgument('a size such as 1073741824, 512M or 2G', flag, value);
  return bytes;
}

/** trtexec's `--memPoolSize=workspace:1024,dlaSRAM:1` (MiB unless a unit is given): the workspace size. */
export function parseMemPoolSize(value: string): number | undefined {
  let workspace: number | undefined;
  for (const item of value.split(',').map((s) => s.trim())) {
    const [pool, size] = item.split(':');
    if (pool === undefined || size === undefined) throw invalidArgument('pool:size items like workspace:1024', '--memPoolSize', value);
    if (pool === 'workspace') workspace = parseSize('--memPoolSize', size, 'M');
  }
  return workspace;
}

const HARDWARE: Record<string, HardwareCompatibility> = {
  none: 'none',
  'ampere+': 'ampere+',
  ampereplus: 'ampere+',
  'same-compute-capability': 'same-compute-capability',
  samecomputecapability: 'same-compute-capability',
};

export function parseHardwareCompatibility(flag: string, value: string): HardwareCompatibility {
  const level = HARDWARE[value.toLowerCase()];
  if (level === undefined)
    throw invalidArgument("one of none, ampere+, same-compute-capability (trtexec's sameComputeCapability too)", flag, value);
  return level;
}

/** `--sparsity` alone, or trtexec's `--sparsity=enable|disable|force`. */
export function parseSparsity(value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const mode = value.toLowerCase();
  if (mode === 'enable' || mode === 'force' || mode === 'true') return true;
  if (mode === 'disable' || mode === 'false') return false;
  throw invalidArgument('enable, disable or force', '--sparsity', value);
}
