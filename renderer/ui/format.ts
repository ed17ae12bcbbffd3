// Small formatters the panels share: sizes, durations, speeds, hashes.

/** Bytes as "1.2 MB" (powers of 1000, like file managers). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** The first 12 hex digits of a sha256, or "—". */
export function shortHash(sha256: string | null | undefined): string {
  return sha256 ? sha256.slice(0, 12) : "—";
}

/** Tokens per second as "123.4 tok/s", or "—". */
export function formatSpeed(tokensPerSecond: number | null | undefined): string {
  if (tokensPerSecond == null || !Number.isFinite(tokensPerSecond)) return "—";
  return `${tokensPerSecond >= 100 ? Math.round(tokensPerSecond) : tokensPerSecond.toFixed(1)} tok/s`;
}

/** Milliseconds as "850 ms" or "2.3 s", or "—". */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "—";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A progress fraction 0..1 from done/total, or null when the total is unknown. */
export function fraction(done: number, total: number | undefined): number | null {
  if (!total || total <= 0) return null;
  return Math.min(1, Math.max(0, done / total));
}
