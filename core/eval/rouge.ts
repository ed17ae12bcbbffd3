// ROUGE-N, ROUGE-L and ROUGE-Lsum exactly as Google's rouge-score 0.1.x with its default
// tokenizer (and NLTK 3.8's Porter stemmer when stemming), including score_multi for several
// references. Called by the metric registry and the eval runner. SPEC: shared/metrics/SPEC.md §1.
import { z } from "zod";
import { IntBuffer, NgramTrie, TokenInterner, ZeroedScratch } from "./ngrams.ts";
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

/** A tokenized text in reused buffers: token ids, and the end offset of each line with tokens. */
class PreparedText {
  /** Token ids of the whole text (first `length` entries). */
  readonly ids = new IntBuffer();
  /** Exclusive end offset in `ids` of each line with tokens (first `lineCount` entries). */
  readonly ends = new IntBuffer();
  /** Number of tokens. */
  length = 0;
  /** Number of lines with tokens. */
  lineCount = 0;
}

/** Shared state for scoring many pairs: token table, n-gram trie, count and LCS buffers. */
export class RougeScratch {
  /** Token ids shared by every text scored with this scratch (stems share the same ids). */
  readonly symbols = new TokenInterner();
  /** n-gram ids for ROUGE-N with n > 1, emptied per pair. */
  readonly trie = new NgramTrie(1024);
  /** Reference-side counts (left zeroed after use). */
  readonly countsA = new ZeroedScratch();
  /** Prediction-side counts (left zeroed after use). */
  readonly countsB = new ZeroedScratch();
  /** Stem id of each token id: -1 not computed yet, -2 an empty stem (dropped). */
  stemOf = new Int32Array(256).fill(-1);
  /** The prediction being scored. */
  readonly pred = new PreparedText();
  /** The reference being scored. */
  readonly ref = new PreparedText();
  /** n-gram ids of the reference and of the prediction. */
  readonly gramsA = new IntBuffer();
  readonly gramsB = new IntBuffer();
  /** Two LCS rows (ROUGE-L) and the marks of the union LCS (ROUGE-Lsum). */
  readonly rowA = new IntBuffer();
  readonly rowB = new IntBuffer();
  readonly marks = new IntBuffer();
  /** LCS table buffer for rougeLsum, grown on demand. */
  lcs = new Int32Array(4096);
}

/** The stem id of token `id` (Porter stem interned with the same table), cached per id. */
function stemId(id: number, scratch: RougeScratch): number {
  if (id >= scratch.stemOf.length) {
    let cap = scratch.stemOf.length;
    while (cap <= id) cap *= 2;
    const grown = new Int32Array(cap).fill(-1);
    grown.set(scratch.stemOf);
    scratch.stemOf = grown;
  }
  let s = scratch.stemOf[id]!;
  if (s === -1) {
    const stem = porterStem(scratch.symbols.names[id]!);
    // rouge-score keeps only non-empty tokens; stems of [a-z0-9]+ tokens stay in that alphabet.
    s = stem.length > 0 ? scratch.symbols.id(stem) : -2;
    scratch.stemOf[id] = s;
  }
  return s;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Tokenizes like {@link tokenizeLines} straight into token ids in `out`, without slicing the
 * text per token: runs of ASCII [a-z0-9] in the Python-lowercased text are interned as ranges.
 */
function prepare(text: string, useStemmer: boolean, scratch: RougeScratch, out: PreparedText): void {
  // Python lower() equals ASCII lowercasing on ASCII text, which the scan does per token
  // (rangeFolded); only text with other characters is lowercased whole first.
  const ascii = !NON_ASCII.test(text);
  const t = ascii ? text : text.toLowerCase();
  const ids = out.ids.reserve((t.length + 1) >> 1);
  let ends = out.ends.data;
  let n = 0;
  let lines = 0;
  let lineStart = 0;
  let start = -1;
  const len = t.length;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? t.charCodeAt(i) : 10;
    const f = c | 0x20;
    if ((f >= 97 && f <= 122 && (ascii || c >= 97)) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      let id = ascii ? scratch.symbols.rangeFolded(t, start, i) : scratch.symbols.range(t, start, i);
      if (useStemmer && i - start > 3) id = stemId(id, scratch);
      if (id >= 0) ids[n++] = id;
      start = -1;
    }
    if (c === 10 && n > lineStart) {
      if (lines >= ends.length) ends = out.ends.reserve(lines + 1, lines);
      ends[lines++] = n;
      lineStart = n;
    }
  }
  out.length = n;
  out.lineCount = lines;
}

/** Multiset n-gram overlap (rouge-score `_score_ngrams`). */
function scoreNgrams(ref: PreparedText, pred: PreparedText, n: number, scratch: RougeScratch): RougeScore {
  const refTotal = Math.max(0, ref.length - n + 1);
  const predTotal = Math.max(0, pred.length - n + 1);
  let overlap = 0;
  if (refTotal > 0 && predTotal > 0) {
    let refNg = ref.ids.data;
    let predNg = pred.ids.data;
    let size = scratch.symbols.size;
    let refFound = refTotal;
    if (n > 1) {
      // The prediction's n-grams go into the trie; the reference's are only looked up, since
      // one the prediction lacks overlaps nothing (its count comes from the length).
      scratch.trie.reset();
      predNg = scratch.gramsB.reserve(predTotal);
      scratch.trie.ngramsInto(pred.ids.data, 0, pred.length, n, predNg, 0);
      refNg = scratch.gramsA.reserve(refTotal);
      refFound = scratch.trie.knownNgramsInto(ref.ids.data, 0, ref.length, n, refNg, 0);
      size = scratch.trie.size;
    }
    const cr = scratch.countsA.get(size);
    const cp = scratch.countsB.get(size);
    for (let k = 0; k < refFound; k++) cr[refNg[k]!]!++;
    for (let k = 0; k < predTotal; k++) cp[predNg[k]!]!++;
    for (let k = 0; k < refFound; k++) {
      const g = refNg[k]!;
      const r = cr[g]!;
      if (r === 0) continue; // this n-gram was already counted
      const p = cp[g]!;
      overlap += r < p ? r : p;
      cr[g] = 0;
    }
    for (let k = 0; k < predTotal; k++) cp[predNg[k]!] = 0;
  }
  const precision = overlap / Math.max(predTotal, 1);
  const recall = overlap / Math.max(refTotal, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * Full (rows+1)x(cols+1) LCS table, row-major, of `a[as, ae)` (rows) against `b[bs, be)`
 * (columns), in a reused buffer.
 */
function lcsTable(a: Int32Array, as: number, ae: number, b: Int32Array, bs: number, be: number, scratch: RougeScratch): Int32Array {
  const rows = ae - as;
  const cols = be - bs;
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
    const r = a[as + i - 1]!;
    const row = i * w;
    const prev = row - w;
    t[row] = 0;
    for (let j = 1; j <= cols; j++) {
      if (r === b[bs + j - 1]) t[row + j] = t[prev + j - 1]! + 1;
      else {
        const up = t[prev + j]!;
        const left = t[row + j - 1]!;
        t[row + j] = up > left ? up : left;
      }
    }
  }
  return t;
}

/** LCS length of `a[0, al)` and `b[0, bl)` with two rolling rows (ROUGE-L needs only the length). */
function lcsLength(a: Int32Array, al: number, b: Int32Array, bl: number, scratch: RougeScratch): number {
  let prev = scratch.rowA.reserve(bl + 1);
  let cur = scratch.rowB.reserve(bl + 1);
  prev.fill(0, 0, bl + 1);
  cur[0] = 0;
  for (let i = 1; i <= al; i++) {
    const x = a[i - 1]!;
    for (let j = 1; j <= bl; j++) {
      if (x === b[j - 1]) cur[j] = prev[j - 1]! + 1;
      else cur[j] = prev[j]! > cur[j - 1]! ? prev[j]! : cur[j - 1]!;
    }
    const tmp = prev;
    prev = cur;
    cur = tmp;
  }
  return prev[bl]!;
}

function scoreLcs(ref: PreparedText, pred: PreparedText, scratch: RougeScratch): RougeScore {
  if (ref.length === 0 || pred.length === 0) return { ...ZERO };
  const l = lcsLength(ref.ids.data, ref.length, pred.ids.data, pred.length, scratch);
  const precision = l / pred.length;
  const recall = l / ref.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * Summary-level union LCS (rouge-score `_summary_level_lcs`). The backtrack's tie rule
 * (move the reference index on ties) decides which LCS joins the union, so it is kept as is.
 */
function scoreLsum(ref: PreparedText, pred: PreparedText, scratch: RougeScratch): RougeScore {
  const m = ref.length;
  const n = pred.length;
  if (m === 0 || n === 0) return { ...ZERO };
  const vocab = scratch.symbols.size;
  const cntR = scratch.countsA.get(vocab);
  const cntP = scratch.countsB.get(vocab);
  const r = ref.ids.data;
  const c = pred.ids.data;
  const rEnds = ref.ends.data;
  const cEnds = pred.ends.data;
  for (let k = 0; k < m; k++) cntR[r[k]!]!++;
  for (let k = 0; k < n; k++) cntP[c[k]!]!++;
  const inUnion = scratch.marks.reserve(m);
  inUnion.fill(0, 0, m);
  let hits = 0;
  let rs = 0;
  for (let a = 0; a < ref.lineCount; a++) {
    const re = rEnds[a]!;
    let cs = 0;
    for (let b = 0; b < pred.lineCount; b++) {
      const ce = cEnds[b]!;
      const t = lcsTable(r, rs, re, c, cs, ce, scratch);
      const w = ce - cs + 1;
      let i = re - rs;
      let j = ce - cs;
      while (i > 0 && j > 0) {
        if (r[rs + i - 1] === c[cs + j - 1]) {
          inUnion[rs + i - 1] = 1;
          i--;
          j--;
        } else if (t[i * w + j - 1]! > t[(i - 1) * w + j]!) j--;
        else i--;
      }
      cs = ce;
    }
    for (let k = rs; k < re; k++) {
      if (!inUnion[k]) continue;
      const tok = r[k]!;
      if (cntP[tok]! > 0 && cntR[tok]! > 0) {
        hits++;
        cntP[tok]!--;
        cntR[tok]!--;
      }
    }
    rs = re;
  }
  // Leave the shared count buffers zeroed for the next user.
  for (let k = 0; k < m; k++) cntR[r[k]!] = 0;
  for (let k = 0; k < n; k++) cntP[c[k]!] = 0;
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

function scorePrepared(ref: PreparedText, pred: PreparedText, opts: ResolvedRougeOptions, scratch: RougeScratch) {
  const result: Partial<Record<RougeType, RougeScore>> = {};
  for (const type of opts.types) {
    if (type === "rougeL") result.rougeL = scoreLcs(ref, pred, scratch);
    else if (type === "rougeLsum") result.rougeLsum = scoreLsum(ref, pred, scratch);
    else result[type] = scoreNgrams(ref, pred, type.charCodeAt(5) - 48, scratch);
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
  prepare(prediction, opts.useStemmer, scratch, scratch.pred);
  if (references.length === 1) {
    prepare(references[0]!, opts.useStemmer, scratch, scratch.ref);
    return scorePrepared(scratch.ref, scratch.pred, opts, scratch);
  }
  const all = references.map((r) => {
    prepare(r, opts.useStemmer, scratch, scratch.ref);
    return scorePrepared(scratch.ref, scratch.pred, opts, scratch);
  });
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
