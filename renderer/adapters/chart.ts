// Geometry of the Adapters panel's SVG charts (scale sweep, drift per position): linear
// scales, "nice" axis ticks and path data. Pure: unit-tested, no DOM.

/** A point of a series. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** One series of a chart. */
export interface ChartSeries {
  /** Name in the legend. */
  name: string;
  /** CSS colour. Default: the palette's colour for its position. */
  color?: string;
  points: ChartPoint[];
  /** Tooltip per point (same order); default "x, y". */
  tips?: string[];
}

/** Maps [d0, d1] onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 x 10^n, the one nearest the even split). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const error = raw / mag;
  const step = mag * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1);
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/** The [min, max] of values, padded when flat; [0, 1] when there are none. */
export function extent(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** SVG path data through the points, in order ("M x y L x y ..."); non-finite points break the line. */
export function linePath(points: readonly ChartPoint[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${sx(p.x).toFixed(2)} ${sy(p.y).toFixed(2)} `;
    pen = true;
  }
  return d.trim();
}

/** A tick label: up to 3 significant digits, no trailing zeros. */
export function tickLabel(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}
