// Parses the scale list people type for a sweep ("0, 0.25, ..., 1.5", "0:0.25:1.5" or
// plain numbers) and formats scales and sets for the Adapters panel. Pure: unit-tested.
import type { AdapterUse } from "../../core/history/types.ts";

/** Most points a sweep may have (the API's limit). */
export const MAX_SWEEP_POINTS = 41;

/** Rounds away float noise from stepping (0.1 + 0.2). */
const clean = (x: number) => Math.round(x * 1e6) / 1e6;

function range(from: number, step: number, to: number): number[] {
  if (!(step > 0) && !(step < 0)) throw new Error("the step must not be 0");
  if ((to - from) / step < 0) throw new Error(`counting from ${from} by ${step} never reaches ${to}`);
  const n = Math.floor(clean((to - from) / step)) + 1;
  if (n > 100_000) throw new Error(`that is ${n} scales; at most ${MAX_SWEEP_POINTS}`);
  return Array.from({ length: n }, (_, i) => clean(from + i * step));
}

/**
 * The scales of a typed list. "a, b, ..., z" continues the step b - a up to z;
 * "a:step:z" is the same range; anything else is a comma/space separated list.
 * Throws an Error saying what is wrong.
 */
export function parseScales(text: string): number[] {
  const t = text.trim();
  if (!t) throw new Error("type at least one scale");
  const colon = /^(-?[\d.]+)\s*:\s*(-?[\d.]+)\s*:\s*(-?[\d.]+)$/.exec(t);
  const parts = t.split(/[\s,;]+/).filter(Boolean);
  const dots = parts.findIndex((p) => p === "..." || p === "…");
  const num = (p: string) => {
    const v = Number(p);
    if (!Number.isFinite(v)) throw new Error(`"${p}" is not a number`);
    return v;
  };
  let out: number[];
  if (colon) out = range(Number(colon[1]), Number(colon[2]), Number(colon[3]));
  else if (dots >= 0) {
    if (dots < 2 || dots !== parts.length - 2) throw new Error('write a range as "first, second, ..., last"');
    const head = parts.slice(0, dots).map(num);
    const step = head[head.length - 1]! - head[head.length - 2]!;
    const last = num(parts[parts.length - 1]!);
    out = [...head.slice(0, -1), ...range(head[head.length - 1]!, step, last)];
  } else out = parts.map(num);
  if (out.length > MAX_SWEEP_POINTS) throw new Error(`that is ${out.length} scales; at most ${MAX_SWEEP_POINTS}`);
  const bad = out.find((s) => s < -4 || s > 4);
  if (bad !== undefined) throw new Error(`scale ${bad} is outside -4..4`);
  return out;
}

/** A scale as people read it: "0.5", "-1", "1.25". */
export function formatScale(scale: number): string {
  return String(clean(scale));
}

/** The file name of a path (either separator). */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** A set for people: "base" or "name ×scale + ...", names from the library where known. */
export function describeSet(set: readonly AdapterUse[], nameOf: (adapterId: string) => string | undefined = () => undefined): string {
  if (set.length === 0) return "base";
  return set.map((a) => `${(a.adapterId && nameOf(a.adapterId)) || fileName(a.file)} ×${formatScale(a.scale)}`).join(" + ");
}

/**
 * A file path from what a drop carried: a file:// URI or an absolute path in the text,
 * a path the shell put on the File (Electron), or null when the browser hid where it lives.
 */
export function pathFromDrop(uriList: string, plain: string, filePaths: readonly (string | undefined)[]): string | null {
  for (const line of `${uriList}\n${plain}`.split(/\r?\n/)) {
    const s = line.trim();
    if (!s || s.startsWith("#")) continue;
    if (s.startsWith("file://")) {
      const path = decodeURIComponent(s.slice("file://".length).replace(/^localhost/, ""));
      return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
    }
    if (s.startsWith("/") || /^[A-Za-z]:[\\/]/.test(s)) return s;
  }
  return filePaths.find((p): p is string => typeof p === "string" && p.length > 0) ?? null;
}
