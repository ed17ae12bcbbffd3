// Shared helpers for `npm run bench`: timing, interleaved A/B runs and the report shape.
// Benchmarks compare variants side by side in one run and report ratios, because these
// machines are shared and noisy; they are never timed assertions in tests.
import { performance } from "node:perf_hooks";

/** One benchmark's result: a table of rows plus free-form notes, saved to bench/results/<name>.json. */
export interface BenchReport {
  /** Benchmark name, e.g. "db" or "engine". */
  name: string;
  /** Rows printed as a table; keep numbers rounded to 3-4 significant digits. */
  rows: Record<string, string | number | boolean | null>[];
  /** Ratios and goals, e.g. "engine/direct throughput 0.98x (goal >= 0.97x)". */
  notes: string[];
}

/** Median of a list of numbers (NaN when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Percentile p in [0, 100] by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Milliseconds taken by fn. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs variants interleaved (A B A B ...) `rounds` times so drift in machine load hits
 * all of them alike; returns each variant's list of measurements.
 */
export async function interleave<K extends string>(
  rounds: number,
  variants: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const out = {} as Record<K, number[]>;
  for (const k of Object.keys(variants) as K[]) out[k] = [];
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(variants) as K[]) out[k].push(await variants[k]());
  }
  return out;
}

/** Formats a number to `digits` significant digits for report tables. */
export function round(n: number, digits = 4): number {
  if (!Number.isFinite(n) || n === 0) return n;
  return Number(n.toPrecision(digits));
}
