// chrF and chrF++ exactly as sacrebleu 2.x `CHRF`: code-point n-grams of the text with all
// Python whitespace removed (orders 1..charOrder) plus, for chrF++, word n-grams after one
// punctuation split per token. Per segment the best-scoring reference's statistics are kept
// and summed over the corpus. Called by the registry, the runner and the paired bootstrap.
// SPEC: shared/metrics/SPEC.md §3.
import { z } from "zod";
import { CodePointTable, IntBuffer, NgramTrie, TokenInterner, ZeroedScratch } from "./ngrams.ts";
import { ASCII_PUNCTUATION, isPyWhitespaceCode, pyLower, pySplit } from "./text.ts";

export const chrfOptionsSchema = z
  .object({
    /** Character n-gram orders 1..charOrder. Default 6. */
    charOrder: z.number().int().min(0).max(32).default(6),
    /** Word n-gram orders 1..wordOrder; 2 makes chrF++. Default 0 (plain chrF). */
    wordOrder: z.number().int().min(0).max(8).default(0),
    /** Recall weight β of the F-score. Default 2. */
    beta: z.number().nonnegative().default(2),
    /** Lowercase hypotheses and references (Python lower()). Default false. */
    lowercase: z.boolean().default(false),
    /** Keep whitespace inside character n-grams (sacrebleu `whitespace=True`). Default false. */
    whitespace: z.boolean().default(false),
    /** Average per-order F with 1e-16 for undefined terms (chrF++.py / NLTK style). Default false. */
    epsSmoothing: z.boolean().default(false),
  })
  .strict()
  .refine((o) => o.charOrder + o.wordOrder > 0, "chrf: charOrder + wordOrder must be at least 1");

/** Options of {@link corpusChrf} and {@link sentenceChrf}; every field is optional. */
export type ChrfOptions = z.input<typeof chrfOptionsSchema>;
/** Options with every default filled in. */
export type ResolvedChrfOptions = z.output<typeof chrfOptionsSchema>;

/** A chrF result: the score and sacrebleu's summed statistics. */
export interface ChrfResult {
  /** chrF (or chrF++) on the 0-100 scale. */
  score: number;
  /** `[hyp, ref, match]` per order (character orders first, then word orders), summed over segments. */
  stats: number[];
}

export function resolveChrfOptions(options: ChrfOptions | undefined): ResolvedChrfOptions {
  return chrfOptionsSchema.parse(options ?? {});
}

const PUNCT = new Set(ASCII_PUNCTUATION);

/** sacrebleu `CHRF._remove_punctuation`: split one leading or trailing ASCII punctuation off each word. */
export function chrfWords(sentence: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sentence)) {
    // ASCII punctuation is one UTF-16 unit, so unit checks match Python's code-point ones: a
    // single astral code point (two units) has surrogates at both ends and is kept whole.
    if (w.length === 1) out.push(w);
    else if (PUNCT.has(w[w.length - 1]!)) out.push(w.slice(0, -1), w[w.length - 1]!);
    else if (PUNCT.has(w[0]!)) out.push(w[0]!, w.slice(1));
    else out.push(w);
  }
  return out;
}

/**
 * Reusable buffers for scoring many segments: code-point and word tables shared by the
 * corpus, tries emptied per segment, zeroed count arrays and id / occurrence buffers. Pass
 * one to chrfSegmentStats in loops.
 */
export class ChrfScratch {
  /** Code-point ids for the whole corpus. */
  readonly chars = new CodePointTable();
  /** Word ids for the whole corpus (chrF++). */
  readonly words = new TokenInterner();
  /** Character n-gram ids, emptied per segment. */
  readonly charTrie = new NgramTrie(4096);
  /** Word n-gram ids, emptied per segment. */
  readonly wordTrie = new NgramTrie(1024);
  /** Count buffers (hypothesis/reference, characters/words), left zeroed after each segment. */
  readonly hypChar = new ZeroedScratch();
  readonly refChar = new ZeroedScratch();
  readonly hypWord = new ZeroedScratch();
  readonly refWord = new ZeroedScratch();
  /** Ids of the text being prepared. */
  readonly ids = new IntBuffer();
  /** n-gram occurrences of the hypothesis and of the current reference. */
  readonly hyp = new SideBuffers();
  readonly ref = new SideBuffers();
  /** Distinct n-grams of the hypothesis (characters, words). */
  readonly hypCharDistinct = new IntBuffer();
  readonly hypWordDistinct = new IntBuffer();
}

/** One side's n-gram occurrences: characters, then words (chrF++), in reused buffers. */
class SideBuffers {
  readonly charOcc = new IntBuffer();
  readonly wordOcc = new IntBuffer();
  charLen = 0;
  charCount = 0;
  wordLen = 0;
  wordCount = 0;
}

// A local binding: calls through an imported binding can cost a getter per call under some loaders.
const isWhitespace = isPyWhitespaceCode;
const PUNCT_CODE = new Uint8Array(128);
for (const c of ASCII_PUNCTUATION) PUNCT_CODE[c.charCodeAt(0)] = 1;

/** Word ids of sacrebleu `CHRF._remove_punctuation(sentence)` into `buf` (see {@link chrfWords}); returns how many. */
function wordIds(t: string, words: TokenInterner, buf: IntBuffer): number {
  let out = buf.reserve(t.length + 1);
  let k = 0;
  let start = -1;
  for (let i = 0; i <= t.length; i++) {
    if (i < t.length && !isWhitespace(t.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    if (k + 2 > out.length) out = buf.reserve(k + 2, k);
    if (i - start === 1) out[k++] = words.range(t, start, i);
    else if (PUNCT_CODE[t.charCodeAt(i - 1)] === 1) {
      out[k++] = words.range(t, start, i - 1);
      out[k++] = words.range(t, i - 1, i);
    } else if (PUNCT_CODE[t.charCodeAt(start)] === 1) {
      out[k++] = words.range(t, start, start + 1);
      out[k++] = words.range(t, start + 1, i);
    } else out[k++] = words.range(t, start, i);
    start = -1;
  }
  return k;
}

/**
 * Fills `side` with one text's n-grams. The hypothesis (`known` false) adds its n-grams to
 * the tries; a reference (`known` true) only looks up, keeping the n-grams the hypothesis
 * has: the others never match, and the reference's totals come from its length.
 */
function fillSide(text: string, opts: ResolvedChrfOptions, scratch: ChrfScratch, known: boolean, side: SideBuffers): void {
  const t = opts.lowercase ? pyLower(text) : text;
  const ids = scratch.ids;
  let n = scratch.chars.encodeInto(t, !opts.whitespace, ids);
  side.charLen = n;
  let occ = side.charOcc.reserve(n * opts.charOrder);
  side.charCount = known
    ? scratch.charTrie.knownOccurrencesInto(ids.data, 0, n, opts.charOrder, occ, 0)
    : scratch.charTrie.occurrencesInto(ids.data, 0, n, opts.charOrder, occ, 0);
  if (opts.wordOrder === 0) {
    side.wordLen = 0;
    side.wordCount = 0;
    return;
  }
  n = wordIds(t, scratch.words, ids);
  side.wordLen = n;
  occ = side.wordOcc.reserve(n * opts.wordOrder);
  side.wordCount = known
    ? scratch.wordTrie.knownOccurrencesInto(ids.data, 0, n, opts.wordOrder, occ, 0)
    : scratch.wordTrie.occurrencesInto(ids.data, 0, n, opts.wordOrder, occ, 0);
}

/** Counts `occ[0, len)` into the zeroed `counts` and writes the distinct ids to `distinct`; returns how many. */
function count(occ: Int32Array, len: number, counts: Int32Array, distinct: IntBuffer): number {
  const out = distinct.reserve(len);
  let d = 0;
  for (let k = 0; k < len; k++) {
    const id = occ[k]!;
    if (counts[id]!++ === 0) out[d++] = id;
  }
  return d;
}

/**
 * Appends `[hyp, ref, match]` for orders 1..maxOrder. sacrebleu counts hypothesis n-grams
 * only when the reference has n-grams of that order.
 */
function pushOrderStats(
  stats: number[],
  maxOrder: number,
  hypLen: number,
  refLen: number,
  hypDistinct: Int32Array,
  distinctCount: number,
  hypCounts: Int32Array,
  refCounts: Int32Array,
  order: Int32Array,
): void {
  const base = stats.length;
  for (let n = 1; n <= maxOrder; n++) {
    const refCount = Math.max(0, refLen - n + 1);
    stats.push(refCount > 0 ? Math.max(0, hypLen - n + 1) : 0, refCount, 0);
  }
  for (let k = 0; k < distinctCount; k++) {
    const id = hypDistinct[k]!;
    const r = refCounts[id]!;
    if (r > 0) {
      const h = hypCounts[id]!;
      stats[base + 3 * (order[id]! - 1) + 2]! += h < r ? h : r;
    }
  }
}

/**
 * sacrebleu `CHRF._compute_f_score`, keeping its operation order so scores are bit-exact:
 * `s = (1+β²)·P·R; s /= β²·P + R; 100·s`.
 */
export function chrfFromStats(stats: readonly number[], opts: ResolvedChrfOptions): number {
  const eps = 1e-16;
  const order = opts.charOrder + opts.wordOrder;
  const factor = opts.beta ** 2;
  let score = 0;
  let effective = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    if (opts.epsSmoothing) {
      const denom = factor * prec + rec;
      score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    }
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective++;
    }
  }
  if (opts.epsSmoothing) return (100 * score) / order;
  if (effective === 0) {
    avgPrec = 0;
    avgRec = 0;
  } else {
    avgPrec /= effective;
    avgRec /= effective;
  }
  if (avgPrec + avgRec === 0) return 0;
  let s = (1 + factor) * avgPrec * avgRec;
  s /= factor * avgPrec + avgRec;
  return 100 * s;
}

/**
 * Statistics of one segment: `[hyp, ref, match]` per order against the reference whose own
 * chrF is highest (strictly greater, starting from -1, so the first reference wins ties).
 */
export function chrfSegmentStats(
  hypothesis: string,
  references: readonly string[],
  opts: ResolvedChrfOptions,
  scratch: ChrfScratch = new ChrfScratch(),
): number[] {
  if (references.length === 0) throw new Error("chrf: every segment needs at least one reference");
  scratch.charTrie.reset();
  scratch.wordTrie.reset();
  const hyp = scratch.hyp;
  const ref = scratch.ref;
  fillSide(hypothesis, opts, scratch, false, hyp);
  const hypChar = scratch.hypChar.get(scratch.charTrie.size);
  const refChar = scratch.refChar.get(scratch.charTrie.size);
  const hypWord = scratch.hypWord.get(scratch.wordTrie.size);
  const refWord = scratch.refWord.get(scratch.wordTrie.size);
  const charDistinct = count(hyp.charOcc.data, hyp.charCount, hypChar, scratch.hypCharDistinct);
  const wordDistinct = count(hyp.wordOcc.data, hyp.wordCount, hypWord, scratch.hypWordDistinct);
  const hypCharDistinct = scratch.hypCharDistinct.data;
  const hypWordDistinct = scratch.hypWordDistinct.data;
  let best: number[] = [];
  let bestF = -1;
  for (const r of references) {
    // References only look n-grams up, so the tries (and the count buffers' sizes) stay as the hypothesis left them.
    fillSide(r, opts, scratch, true, ref);
    const charOcc = ref.charOcc.data;
    const wordOcc = ref.wordOcc.data;
    for (let k = 0; k < ref.charCount; k++) refChar[charOcc[k]!]!++;
    for (let k = 0; k < ref.wordCount; k++) refWord[wordOcc[k]!]!++;
    const stats: number[] = [];
    pushOrderStats(stats, opts.charOrder, hyp.charLen, ref.charLen, hypCharDistinct, charDistinct, hypChar, refChar, scratch.charTrie.order);
    pushOrderStats(stats, opts.wordOrder, hyp.wordLen, ref.wordLen, hypWordDistinct, wordDistinct, hypWord, refWord, scratch.wordTrie.order);
    for (let k = 0; k < ref.charCount; k++) refChar[charOcc[k]!] = 0;
    for (let k = 0; k < ref.wordCount; k++) refWord[wordOcc[k]!] = 0;
    const f = chrfFromStats(stats, opts);
    // Strictly greater, starting from -1: the first reference wins ties.
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  for (let k = 0; k < charDistinct; k++) hypChar[hypCharDistinct[k]!] = 0;
  for (let k = 0; k < wordDistinct; k++) hypWord[hypWordDistinct[k]!] = 0;
  return best;
}

/** sacrebleu `corpus_chrf`; `references[i]` lists the references of segment i. */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options?: ChrfOptions,
): ChrfResult {
  const opts = resolveChrfOptions(options);
  if (hypotheses.length !== references.length) {
    throw new Error(`chrf: ${hypotheses.length} hypotheses but ${references.length} reference lists`);
  }
  if (hypotheses.length === 0) throw new Error("chrf: cannot score an empty corpus");
  const stats = new Array<number>(3 * (opts.charOrder + opts.wordOrder)).fill(0);
  const scratch = new ChrfScratch();
  for (let i = 0; i < hypotheses.length; i++) {
    const row = chrfSegmentStats(hypotheses[i]!, references[i]!, opts, scratch);
    for (let k = 0; k < stats.length; k++) stats[k]! += row[k]!;
  }
  return { score: chrfFromStats(stats, opts), stats };
}

/** sacrebleu `sentence_chrf`: the corpus formula on one segment. */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  options?: ChrfOptions,
): ChrfResult {
  return corpusChrf([hypothesis], [references], options);
}
