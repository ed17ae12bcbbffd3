// chrF and chrF++ exactly as sacrebleu 2.x `CHRF`: code-point n-grams of the text with all
// Python whitespace removed (orders 1..charOrder) plus, for chrF++, word n-grams after one
// punctuation split per token. Per segment the best-scoring reference's statistics are kept
// and summed over the corpus. Called by the registry, the runner and the paired bootstrap.
// SPEC: shared/metrics/SPEC.md §3.
import { z } from "zod";
import { CodePointTable, NgramTrie, SymbolTable, ZeroedScratch } from "./ngrams.ts";
import { ASCII_PUNCTUATION, pyLower, pyRemoveWhitespace, pySplit } from "./text.ts";

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
 * corpus, tries emptied per segment, and zeroed count arrays. Pass one to chrfSegmentStats in loops.
 */
export class ChrfScratch {
  /** Code-point ids for the whole corpus. */
  readonly chars = new CodePointTable();
  /** Word ids for the whole corpus (chrF++). */
  readonly words = new SymbolTable();
  /** Character n-gram ids, emptied per segment. */
  readonly charTrie = new NgramTrie(4096);
  /** Word n-gram ids, emptied per segment. */
  readonly wordTrie = new NgramTrie(1024);
  /** Count buffers (hypothesis/reference, characters/words), left zeroed after each segment. */
  readonly hypChar = new ZeroedScratch();
  readonly refChar = new ZeroedScratch();
  readonly hypWord = new ZeroedScratch();
  readonly refWord = new ZeroedScratch();
}

/** One side's n-gram occurrences: characters, then words (chrF++). */
interface Side {
  charLen: number;
  charOcc: Int32Array;
  wordLen: number;
  wordOcc: Int32Array;
}

function side(text: string, opts: ResolvedChrfOptions, scratch: ChrfScratch): Side {
  const t = opts.lowercase ? pyLower(text) : text;
  const chars = scratch.chars.encode(opts.whitespace ? t : pyRemoveWhitespace(t));
  const words = opts.wordOrder > 0 ? scratch.words.encode(chrfWords(t)) : new Int32Array(0);
  return {
    charLen: chars.length,
    charOcc: scratch.charTrie.occurrences(chars, opts.charOrder),
    wordLen: words.length,
    wordOcc: opts.wordOrder > 0 ? scratch.wordTrie.occurrences(words, opts.wordOrder) : words,
  };
}

/** Counts `occ` into the zeroed `counts` and returns the distinct ids. */
function count(occ: Int32Array, counts: Int32Array): Int32Array {
  const distinct = new Int32Array(occ.length);
  let d = 0;
  for (const id of occ) if (counts[id]!++ === 0) distinct[d++] = id;
  return distinct.subarray(0, d);
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
  hypCounts: Int32Array,
  refCounts: Int32Array,
  order: Int32Array,
): void {
  const base = stats.length;
  for (let n = 1; n <= maxOrder; n++) {
    const refCount = Math.max(0, refLen - n + 1);
    stats.push(refCount > 0 ? Math.max(0, hypLen - n + 1) : 0, refCount, 0);
  }
  for (const id of hypDistinct) {
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
  const hyp = side(hypothesis, opts, scratch);
  const refs = references.map((r) => side(r, opts, scratch));
  const hypChar = scratch.hypChar.get(scratch.charTrie.size);
  const refChar = scratch.refChar.get(scratch.charTrie.size);
  const hypWord = scratch.hypWord.get(scratch.wordTrie.size);
  const refWord = scratch.refWord.get(scratch.wordTrie.size);
  const hypCharDistinct = count(hyp.charOcc, hypChar);
  const hypWordDistinct = count(hyp.wordOcc, hypWord);
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    for (const id of ref.charOcc) refChar[id]!++;
    for (const id of ref.wordOcc) refWord[id]!++;
    const stats: number[] = [];
    pushOrderStats(
      stats,
      opts.charOrder,
      hyp.charLen,
      ref.charLen,
      hypCharDistinct,
      hypChar,
      refChar,
      scratch.charTrie.order,
    );
    pushOrderStats(
      stats,
      opts.wordOrder,
      hyp.wordLen,
      ref.wordLen,
      hypWordDistinct,
      hypWord,
      refWord,
      scratch.wordTrie.order,
    );
    for (const id of ref.charOcc) refChar[id] = 0;
    for (const id of ref.wordOcc) refWord[id] = 0;
    const f = chrfFromStats(stats, opts);
    // Strictly greater, starting from -1: the first reference wins ties.
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  for (const id of hypCharDistinct) hypChar[id] = 0;
  for (const id of hypWordDistinct) hypWord[id] = 0;
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
