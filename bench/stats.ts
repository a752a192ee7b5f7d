export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function formatMs(ms: number): string {
  return Math.abs(ms) < 1 ? `${(ms * 1000).toFixed(1)} us` : `${ms.toFixed(2)} ms`;
}

export interface Verdict {
  name: string;
  value: number;
  target: number;
  unit: string;
  met: boolean;
}

export function verdict(name: string, value: number, target: number, unit: string): Verdict {
  return { name, value, target, unit, met: value <= target };
}

export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
