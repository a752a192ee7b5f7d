/** Text formatting shared by the CLI commands' human-readable output. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit++;
  } while (value >= 1024 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** 1234567 -> "1,234,567" (fixed locale, so output does not depend on the machine's settings). */
export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatMs(ms: number): string {
  return `${ms < 1 ? ms.toFixed(4) : ms < 100 ? ms.toFixed(3) : ms.toFixed(1)} ms`;
}

/** A span of time in the unit that shows its digits: milliseconds below a second, seconds above. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? formatMs(ms) : `${(ms / 1000).toFixed(3)} s`;
}

/** Left-aligned columns; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

/** JSON with bigints as numbers when safe (else strings): metadata, never tensor data. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) =>
      typeof item === 'bigint'
        ? item <= BigInt(Number.MAX_SAFE_INTEGER) && item >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(item)
          : String(item)
        : item,
    2,
  );
}
