// Pure helpers of the GGUF inspector view (InspectorView.svelte): parameter counts for
// people, and filtering and sorting of the tensor table. Kept out of the component so unit
// tests can check them without a browser.
import type { InspectedTensor } from "../../core/gguf/inspect.ts";

/** A parameter count as "473.9K", "1.24B" (powers of 1000, as model cards write them). */
export function formatParams(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      const v = n / size;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${unit}`;
    }
  }
  return String(n);
}

/** Columns the tensor table sorts by. */
export type TensorSortKey = "name" | "type" | "elements" | "bytes" | "offset";

/** Options for `tensorRows`. */
export interface TensorRowsOptions {
  /** Case-insensitive text the name or type must contain; "" keeps all. Default "". */
  filter?: string;
  /** Column to sort by. Default "offset" (file order). */
  sortBy?: TensorSortKey;
  /** Descending order. Default false. */
  descending?: boolean;
}

/** The tensor table's rows after the filter and sort. Names sort naturally ("blk.2" before "blk.10"). */
export function tensorRows(tensors: readonly InspectedTensor[], options: TensorRowsOptions = {}): InspectedTensor[] {
  const needle = (options.filter ?? "").trim().toLowerCase();
  const key = options.sortBy ?? "offset";
  const rows = needle ? tensors.filter((t) => t.name.toLowerCase().includes(needle) || t.type.toLowerCase() === needle) : [...tensors];
  const collator = new Intl.Collator(undefined, { numeric: true });
  rows.sort((a, b) => {
    const c = key === "name" || key === "type" ? collator.compare(a[key], b[key]) : a[key] - b[key];
    return c !== 0 ? c : a.offset - b.offset;
  });
  if (options.descending) rows.reverse();
  return rows;
}
