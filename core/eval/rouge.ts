// ROUGE-N, ROUGE-L and ROUGE-Lsum exactly as Google's rouge-score 0.1.x with its default
// tokenizer (and NLTK 3.8's Porter stemmer when stemming), including score_multi for several
// references. Called by the metric registry and the eval runner. SPEC: shared/metrics/SPEC.md §1.
import { z } from "zod";
import { NgramTrie, SymbolTable, ZeroedScratch } from "./ngrams.ts";
import { porterStem } from "./porterStemmer.ts";

/** Precision, recall and F1 of one ROUGE type, each in [0, 1]. */
export interface RougeScore {
  /** Overlap divided by the prediction's n-gram (or token) count. */
  precision: number;
  /** Overlap divided by the reference's n-gram (or token) count. */
  recall: number;
  /** Harmonic mean 2PR/(P+R), 0 when P+R = 0. */
  fmeasure: number;
}

/** A ROUGE type name: rouge1..rouge9 (n-gram overlap), rougeL (sentence LCS) or rougeLsum (union LCS over lines). */
export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | "rougeL" | "rougeLsum";

export const rougeTypeSchema = z
  .string()
  .regex(/^(rouge[1-9]|rougeL|rougeLsum)$/, "expected rouge1..rouge9, rougeL or rougeLsum")
  .transform((s) => s as RougeType);

export const rougeOptionsSchema = z
  .object({
    /** ROUGE types to compute. Default: rouge1, rouge2, rougeL, rougeLsum. */
    types: z.array(rougeTypeSchema).min(1).default(["rouge1", "rouge2", "rougeL", "rougeLsum"]),
    /** Stem tokens longer than 3 characters with NLTK's Porter stemmer. Default false. */
    useStemmer: z.boolean().default(false),
  })
  .strict();

/** Options of {@link rougeScore}; every field is optional (defaults in the schema). */
export type RougeOptions = z.input<typeof rougeOptionsSchema>;

const ZERO: RougeScore = Object.freeze({ precision: 0, recall: 0, fmeasure: 0 }) as RougeScore;

/** rouge-score's `scoring.fmeasure`, evaluated in the same order for bit-exact results. */
export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/**
 * Tokens of each "\n"-separated line (lines without tokens are dropped: they change no score).
 * rouge-score's tokenizer: Python lower(), every run of characters outside ASCII [a-z0-9] is
 * a separator, optional Porter stemming of tokens longer than 3 characters. Because "\n" is
 * itself a separator, the whole text's tokens are these lines' tokens concatenated.
 */
function tokenizeLines(
  text: string,
  useStemmer: boolean,
  stemCache: Map<string, string> | undefined,
): string[][] {
  const t = text.toLowerCase();
  const lines: string[][] = [];
  let line: string[] = [];
  let start = -1;
  const flush = (end: number): void => {
    let tok = t.slice(start, end);
    start = -1;
    if (useStemmer && tok.length > 3) {
      let stem = stemCache?.get(tok);
      if (stem === undefined) {
        stem = porterStem(tok);
        stemCache?.set(tok, stem);
      }
      tok = stem;
    }
    // rouge-score keeps only non-empty [a-z0-9]+ tokens; stems of such tokens stay in that alphabet.
    if (tok.length > 0) line.push(tok);
  };
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) flush(i);
    if (c === 10 && line.length > 0) {
      lines.push(line);
      line = [];
    }
  }
  if (start >= 0) flush(t.length);
  if (line.length > 0) lines.push(line);
  return lines;
}

/**
 * rouge-score's default tokenizer: Python lower(), every run of characters outside ASCII
 * [a-z0-9] becomes a separator, optional Porter stemming of tokens longer than 3 characters.
 * `stemCache` memoizes stems across calls (the stemmer is pure).
 */
export function rougeTokenize(text: string, useStemmer = false, stemCache?: Map<string, string>): string[] {
  return tokenizeLines(text, useStemmer, stemCache).flat();
}

/** A tokenized text: token ids of the whole text and of each line with tokens. */
interface Prepared {
  ids: Int32Array;
  lines: Int32Array[];
}

/** Shared state for scoring many pairs: token table, n-gram trie, count and LCS buffers. */
export class RougeScratch {
  /** Token ids shared by every text scored with this scratch. */
  readonly symbols = new SymbolTable();
  /** n-gram ids for ROUGE-N with n > 1, emptied per pair. */
  readonly trie = new NgramTrie(1024);
  /** Reference-side counts (left zeroed after use). */
  readonly countsA = new ZeroedScratch();
  /** Prediction-side counts (left zeroed after use). */
  readonly countsB = new ZeroedScratch();
  /** Porter stems already computed. */
  readonly stemCache = new Map<string, string>();
  /** LCS table buffer for rougeLsum, grown on demand. */
  lcs = new Int32Array(4096);
}

/** Tokenizes like {@link tokenizeLines} straight into token ids (lines are views into `ids`). */
function prepare(text: string, useStemmer: boolean, scratch: RougeScratch): Prepared {
  const t = text.toLowerCase();
  const ids = new Int32Array((t.length + 1) >> 1);
  const lines: Int32Array[] = [];
  let n = 0;
  let lineStart = 0;
  let start = -1;
  for (let i = 0; i <= t.length; i++) {
    const c = i < t.length ? t.charCodeAt(i) : 10;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      let tok = t.slice(start, i);
      start = -1;
      if (useStemmer && tok.length > 3) {
        let stem = scratch.stemCache.get(tok);
        if (stem === undefined) {
          stem = porterStem(tok);
          scratch.stemCache.set(tok, stem);
        }
        tok = stem;
      }
      if (tok.length > 0) ids[n++] = scratch.symbols.id(tok);
    }
    if (c === 10 && n > lineStart) {
      lines.push(ids.subarray(lineStart, n));
      lineStart = n;
    }
  }
  return { ids: ids.subarray(0, n), lines };
}

/** Multiset n-gram overlap (rouge-score `_score_ngrams`). */
function scoreNgrams(ref: Int32Array, pred: Int32Array, n: number, scratch: RougeScratch): RougeScore {
  const refTotal = Math.max(0, ref.length - n + 1);
  const predTotal = Math.max(0, pred.length - n + 1);
  let overlap = 0;
  if (refTotal > 0 && predTotal > 0) {
    let refNg = ref;
    let predNg = pred;
    let size = scratch.symbols.size;
    if (n > 1) {
      scratch.trie.reset();
      refNg = scratch.trie.ngrams(ref, n);
      predNg = scratch.trie.ngrams(pred, n);
      size = scratch.trie.size;
    }
    const cr = scratch.countsA.get(size);
    const cp = scratch.countsB.get(size);
    for (const g of refNg) cr[g]!++;
    for (const g of predNg) cp[g]!++;
    for (const g of refNg) {
      const r = cr[g]!;
      if (r === 0) continue; // this n-gram was already counted
      const p = cp[g]!;
      overlap += r < p ? r : p;
      cr[g] = 0;
    }
    for (const g of predNg) cp[g] = 0;
  }
  const precision = overlap / Math.max(predTotal, 1);
  const recall = overlap / Math.max(refTotal, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Full (rows+1)x(cols+1) LCS table, row-major, with `ref` as rows, in a reused buffer. */
function lcsTable(ref: Int32Array, can: Int32Array, scratch: RougeScratch): Int32Array {
  const rows = ref.length;
  const cols = can.length;
  const w = cols + 1;
  const size = (rows + 1) * w;
  if (scratch.lcs.length < size) {
    let cap = scratch.lcs.length;
    while (cap < size) cap *= 2;
    scratch.lcs = new Int32Array(cap);
  }
  const t = scratch.lcs;
  t.fill(0, 0, w);
  for (let i = 1; i <= rows; i++) {
    const r = ref[i - 1]!;
    const row = i * w;
    const prev = row - w;
    t[row] = 0;
    for (let j = 1; j <= cols; j++) {
      if (r === can[j - 1]) t[row + j] = t[prev + j - 1]! + 1;
      else {
        const up = t[prev + j]!;
        const left = t[row + j - 1]!;
        t[row + j] = up > left ? up : left;
      }
    }
  }
  return t;
}

/** LCS length with two rolling rows (ROUGE-L needs only the length). */
function lcsLength(a: Int32Array, b: Int32Array): number {
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const x = a[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      if (x === b[j - 1]) cur[j] = prev[j - 1]! + 1;
      else cur[j] = prev[j]! > cur[j - 1]! ? prev[j]! : cur[j - 1]!;
    }
    const tmp = prev;
    prev = cur;
    cur = tmp;
  }
  return prev[b.length]!;
}

function scoreLcs(ref: Int32Array, pred: Int32Array): RougeScore {
  if (ref.length === 0 || pred.length === 0) return { ...ZERO };
  const l = lcsLength(ref, pred);
  const precision = l / pred.length;
  const recall = l / ref.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * Summary-level union LCS (rouge-score `_summary_level_lcs`). The backtrack's tie rule
 * (move the reference index on ties) decides which LCS joins the union, so it is kept as is.
 */
function scoreLsum(refSents: Int32Array[], predSents: Int32Array[], scratch: RougeScratch): RougeScore {
  let m = 0;
  let n = 0;
  for (const s of refSents) m += s.length;
  for (const s of predSents) n += s.length;
  if (m === 0 || n === 0) return { ...ZERO };
  const vocab = scratch.symbols.size;
  const cntR = scratch.countsA.get(vocab);
  const cntP = scratch.countsB.get(vocab);
  for (const s of refSents) for (const t of s) cntR[t]!++;
  for (const s of predSents) for (const t of s) cntP[t]!++;
  let hits = 0;
  for (const r of refSents) {
    const inUnion = new Uint8Array(r.length);
    for (const c of predSents) {
      const t = lcsTable(r, c, scratch);
      const w = c.length + 1;
      let i = r.length;
      let j = c.length;
      while (i > 0 && j > 0) {
        if (r[i - 1] === c[j - 1]) {
          inUnion[i - 1] = 1;
          i--;
          j--;
        } else if (t[i * w + j - 1]! > t[(i - 1) * w + j]!) j--;
        else i--;
      }
    }
    for (let k = 0; k < r.length; k++) {
      if (!inUnion[k]) continue;
      const tok = r[k]!;
      if (cntP[tok]! > 0 && cntR[tok]! > 0) {
        hits++;
        cntP[tok]!--;
        cntR[tok]!--;
      }
    }
  }
  // Leave the shared count buffers zeroed for the next user.
  for (const s of refSents) for (const t of s) cntR[t] = 0;
  for (const s of predSents) for (const t of s) cntP[t] = 0;
  const precision = hits / n;
  const recall = hits / m;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Options with every default filled in. */
export interface ResolvedRougeOptions {
  /** ROUGE types to compute (default rouge1, rouge2, rougeL, rougeLsum). */
  types: RougeType[];
  /** Porter-stem tokens longer than 3 characters (default false). */
  useStemmer: boolean;
}

function resolve(options: RougeOptions | undefined): ResolvedRougeOptions {
  return rougeOptionsSchema.parse(options ?? {});
}

function scorePrepared(ref: Prepared, pred: Prepared, opts: ResolvedRougeOptions, scratch: RougeScratch) {
  const result: Partial<Record<RougeType, RougeScore>> = {};
  for (const type of opts.types) {
    if (type === "rougeL") result.rougeL = scoreLcs(ref.ids, pred.ids);
    else if (type === "rougeLsum") result.rougeLsum = scoreLsum(ref.lines, pred.lines, scratch);
    else result[type] = scoreNgrams(ref.ids, pred.ids, Number(type.slice(5)), scratch);
  }
  return result;
}

/**
 * rouge-score `RougeScorer(types, use_stemmer).score(target, prediction)`. Note the order:
 * the reference (target) comes first. Returns one {@link RougeScore} per requested type.
 */
export function rougeScore(
  reference: string,
  prediction: string,
  options?: RougeOptions,
): Partial<Record<RougeType, RougeScore>> {
  return rougeScoreMultiResolved([reference], prediction, resolve(options));
}

/**
 * rouge-score 0.1.x `score_multi(targets, prediction)`: scores against every reference and,
 * for each type independently, keeps the reference with the highest F (first one on ties).
 * Throws when `references` is empty.
 */
export function rougeScoreMulti(
  references: readonly string[],
  prediction: string,
  options?: RougeOptions,
): Partial<Record<RougeType, RougeScore>> {
  return rougeScoreMultiResolved(references, prediction, resolve(options));
}

/** {@link rougeScoreMulti} with resolved options and a scratch shared across calls (batch scoring). */
export function rougeScoreMultiResolved(
  references: readonly string[],
  prediction: string,
  opts: ResolvedRougeOptions,
  scratch: RougeScratch = new RougeScratch(),
): Partial<Record<RougeType, RougeScore>> {
  if (references.length === 0) throw new Error("rouge: at least one reference is required");
  const pred = prepare(prediction, opts.useStemmer, scratch);
  const all = references.map((r) => scorePrepared(prepare(r, opts.useStemmer, scratch), pred, opts, scratch));
  if (all.length === 1) return all[0]!;
  const best: Partial<Record<RougeType, RougeScore>> = {};
  for (const type of opts.types) {
    let pick = all[0]![type]!;
    for (let k = 1; k < all.length; k++) {
      const s = all[k]![type]!;
      // Strictly greater: numpy argmax keeps the first maximum.
      if (s.fmeasure > pick.fmeasure) pick = s;
    }
    best[type] = pick;
  }
  return best;
}
