// Dataset import: parses JSONL, CSV and Hugging Face datasets-style JSONL (nested fields,
// datasets-server `{"row": {...}}` lines), maps source fields to items (input, references,
// choices, gold), names the line and field of every bad row, and drops duplicate items by
// content hash. Pure: the evaluation service previews with it and stores what the user accepts.
import { sha256Hex } from "./hash.ts";
import {
  fieldMappingSchema,
  type DatasetFormat,
  type DatasetParse,
  type EvalItem,
  type FieldMapping,
  type FieldMappingInput,
  type RejectedRow,
} from "./types.ts";

/** Options of parseDataset. */
export interface ParseDatasetOptions {
  /** File format; default: from the file name (".csv" → csv), else jsonl, or hf-jsonl when lines are `{"row": …}`. */
  format?: DatasetFormat;
  /** Field mapping; missing fields are guessed from the file's field names (see guessMapping). */
  mapping?: FieldMappingInput;
  /** File name, for format detection. Default "". */
  fileName?: string;
}

/** A raw record with the line it came from. */
interface SourceRow {
  line: number;
  record: Record<string, unknown>;
  raw: string;
}

const cut = (s: string) => (s.length > 500 ? `${s.slice(0, 499)}…` : s);

/** Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into records with their first line. */
export function parseCsv(text: string): { line: number; cells: string[]; raw: string }[] {
  const out: { line: number; cells: string[]; raw: string }[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let rawStart = 0;
  let sawAny = false;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRecord = (i: number) => {
    cells.push(cell);
    if (sawAny || cells.length > 1 || cell !== "") out.push({ line: start, cells, raw: src.slice(rawStart, i) });
    cells = [];
    cell = "";
    sawAny = false;
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell === "") {
      quoted = true;
      sawAny = true;
    } else if (ch === ",") {
      cells.push(cell);
      cell = "";
      sawAny = true;
    } else if (ch === "\n" || ch === "\r") {
      const end = i;
      if (ch === "\r" && src[i + 1] === "\n") i++;
      endRecord(end);
      line++;
      start = line;
      rawStart = i + 1;
    } else cell += ch;
  }
  if (cell !== "" || cells.length > 0 || sawAny) endRecord(src.length);
  return out;
}

/** Value at a dotted path ("choices.text"); exact keys containing dots win. */
export function valueAt(record: Record<string, unknown>, path: string): unknown {
  if (path in record) return record[path];
  let cur: unknown = record;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Dotted paths of a record's fields (one level of nesting), for the mapping picker. */
export function fieldPaths(record: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    out.push(k);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const sub of Object.keys(v)) out.push(`${k}.${sub}`);
    }
  }
  return out;
}

const GUESSES = {
  input: ["input", "question", "prompt", "text", "article", "document", "source", "src", "context", "ctx", "sentence", "query"],
  references: ["references", "reference", "answers", "answer", "target", "targets", "output", "summary", "highlights", "translation", "tgt", "completion"],
  choices: ["choices.text", "choices", "options", "endings", "mc_choices"],
  gold: ["gold", "label", "answerKey", "answer_key", "answer_index", "answer_idx", "correct", "target_idx"],
};

/** Fills a mapping's missing fields from common field names (HF conventions included). */
export function guessMapping(fields: readonly string[], given: FieldMappingInput = {}): FieldMapping {
  const has = (f: string) => fields.includes(f);
  const pick = (names: readonly string[], not: readonly (string | null)[] = []) =>
    names.find((n) => has(n) && !not.includes(n)) ?? null;
  const input = given.input ?? pick(GUESSES.input) ?? "input";
  const choices = given.choices !== undefined ? given.choices : pick(GUESSES.choices, [input]);
  const gold = given.gold !== undefined ? given.gold : choices ? pick(GUESSES.gold, [input, choices]) : null;
  const ref = pick(GUESSES.references, [input, choices, gold]);
  const references = given.references ?? (ref ? [ref] : choices ? [] : ["reference"]);
  return fieldMappingSchema.parse({ input, references, choices, gold });
}

function detectFormat(text: string, fileName: string): DatasetFormat {
  if (/\.(csv|tsv)$/i.test(fileName)) return "csv";
  const first = text.split(/\r?\n/).find((l) => l.trim() !== "");
  if (first) {
    try {
      const v = JSON.parse(first) as unknown;
      if (v && typeof v === "object" && "row" in v && typeof (v as { row: unknown }).row === "object") return "hf-jsonl";
    } catch {
      // Not JSON: let the JSONL parser report it line by line.
    }
  }
  return "jsonl";
}

function readRows(text: string, format: DatasetFormat, rejected: RejectedRow[]): SourceRow[] {
  const rows: SourceRow[] = [];
  if (format === "csv") {
    const records = parseCsv(text);
    const header = records.shift();
    if (!header) return rows;
    const names = header.cells.map((c) => c.trim());
    for (const r of records) {
      if (r.cells.length !== names.length) {
        rejected.push({ line: r.line, field: "", message: `has ${r.cells.length} cells; the header has ${names.length}`, raw: cut(r.raw) });
        continue;
      }
      rows.push({ line: r.line, record: Object.fromEntries(names.map((n, i) => [n, r.cells[i]!])), raw: r.raw });
    }
    return rows;
  }
  const lines = text.split("\n");
  lines.forEach((l, i) => {
    const raw = l.replace(/\r$/, "");
    if (raw.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      rejected.push({ line: i + 1, field: "", message: `is not valid JSON (${(err as Error).message})`, raw: cut(raw) });
      return;
    }
    if (format === "hf-jsonl" && v && typeof v === "object" && !Array.isArray(v) && "row" in v) v = (v as { row: unknown }).row;
    if (!v || typeof v !== "object" || Array.isArray(v)) {
      rejected.push({ line: i + 1, field: "", message: "is not a JSON object", raw: cut(raw) });
      return;
    }
    rows.push({ line: i + 1, record: v as Record<string, unknown>, raw });
  });
  return rows;
}

/** A list from a field: an array, a JSON array string, or (CSV) a "|"-separated string. */
function listOf(value: unknown, csv: boolean): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") {
    const t = value.trim();
    if (t.startsWith("[")) {
      try {
        const v = JSON.parse(t) as unknown;
        if (Array.isArray(v)) return v;
      } catch {
        // Not a JSON list: fall through.
      }
    }
    if (csv) return value.split("|").map((s) => s.trim());
  }
  return null;
}

/** Gold index from an index, a digit string, a letter (A = 0) or a choice's text; null when unreadable. */
export function goldIndex(value: unknown, choices: readonly string[]): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value >= 0 && value < choices.length ? value : null;
  if (typeof value === "string") {
    const t = value.trim();
    if (/^\d+$/.test(t)) {
      const n = Number(t);
      return n < choices.length ? n : null;
    }
    if (/^[A-Z]$/.test(t)) {
      const n = t.charCodeAt(0) - 65;
      return n < choices.length ? n : null;
    }
    const i = choices.indexOf(t);
    return i >= 0 ? i : null;
  }
  return null;
}

/** Canonical JSON of an item: the content its hash covers. */
export function canonicalItem(item: EvalItem): string {
  return JSON.stringify([item.input, item.references, item.choices, item.gold]);
}

/** Content hash of one item. */
export function itemHash(item: EvalItem): string {
  return sha256Hex(canonicalItem(item));
}

/** Content hash of a dataset: over its items' hashes in order. */
export function datasetHash(items: readonly EvalItem[]): string {
  return sha256Hex(items.map(itemHash).join("\n"));
}

/** Maps one record to an item, or lists each problem with its field. */
function mapRow(row: SourceRow, m: FieldMapping, csv: boolean): EvalItem | Omit<RejectedRow, "line" | "raw">[] {
  const problems: Omit<RejectedRow, "line" | "raw">[] = [];
  const input = valueAt(row.record, m.input);
  if (typeof input !== "string" && typeof input !== "number") {
    problems.push({ field: m.input, message: input === undefined ? "is missing" : "is not text" });
  } else if (String(input).trim() === "") problems.push({ field: m.input, message: "is empty" });

  const references: string[] = [];
  for (const f of m.references) {
    const v = valueAt(row.record, f);
    if (v === undefined || v === null) {
      problems.push({ field: f, message: "is missing" });
      continue;
    }
    const list = typeof v === "string" || typeof v === "number" ? [v] : listOf(v, false);
    if (!list || list.length === 0 || list.some((x) => typeof x !== "string" && typeof x !== "number")) {
      problems.push({ field: f, message: "must be text or a list of texts" });
      continue;
    }
    references.push(...list.map(String));
  }

  let choices: string[] | null = null;
  let gold: number | null = null;
  if (m.choices) {
    const v = valueAt(row.record, m.choices);
    const list = v === undefined ? null : listOf(v, csv);
    if (v === undefined) problems.push({ field: m.choices, message: "is missing" });
    else if (!list || list.some((x) => typeof x !== "string" && typeof x !== "number")) {
      problems.push({ field: m.choices, message: "must be a list of texts" });
    } else if (list.length < 2) problems.push({ field: m.choices, message: "needs at least 2 choices" });
    else if (list.some((x) => String(x) === "")) problems.push({ field: m.choices, message: "has an empty choice" });
    else choices = list.map(String);
    if (m.gold) {
      const g = valueAt(row.record, m.gold);
      if (g === undefined || g === null || g === "") problems.push({ field: m.gold, message: "is missing" });
      else if (choices) {
        gold = goldIndex(g, choices);
        if (gold === null) {
          problems.push({ field: m.gold, message: `${JSON.stringify(g)} is not one of the ${choices.length} choices (index, letter or text)` });
        }
      }
    } else problems.push({ field: "gold", message: "choices need a gold field in the mapping" });
  }
  if (problems.length) return problems;
  return { input: String(input), references, choices, gold };
}

/** Parses a dataset file: accepted items (deduplicated), rejected rows with line and field, and the content hash. */
export function parseDataset(text: string, options: ParseDatasetOptions = {}): DatasetParse {
  const format = options.format ?? detectFormat(text, options.fileName ?? "");
  const rejected: RejectedRow[] = [];
  const rows = readRows(text, format, rejected);
  const fields: string[] = [];
  for (const r of rows.slice(0, 20)) for (const f of fieldPaths(r.record)) if (!fields.includes(f)) fields.push(f);
  const mapping = guessMapping(fields, options.mapping);
  const items: EvalItem[] = [];
  const lines: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const row of rows) {
    const mapped = mapRow(row, mapping, format === "csv");
    if (Array.isArray(mapped)) {
      for (const p of mapped) rejected.push({ line: row.line, ...p, raw: cut(row.raw) });
      continue;
    }
    const key = canonicalItem(mapped);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    items.push(mapped);
    lines.push(row.line);
  }
  rejected.sort((a, b) => a.line - b.line);
  return { format, fields, mapping, items, lines, rejected, duplicates, hash: datasetHash(items) };
}
