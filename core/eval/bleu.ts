// BLEU exactly as sacrebleu 2.x (`corpus_bleu`, `sentence_bleu`): per-segment sufficient
// statistics (clipped n-gram matches against the max over references, closest reference
// length with ties to the shorter), summed over the corpus, then smoothing and brevity
// penalty. Called by the metric registry, the eval runner and the paired bootstrap (which
// re-aggregates the statistics). SPEC: shared/metrics/SPEC.md §2.
import { z } from "zod";
import { bleuSpacedTokenizer, bleuTokenSplitter, bleuTokenizerSchema, codes13a, codesIntl, CodeBuffers, type BleuTokenizerName } from "./bleuTokenizers.ts";
import { IntBuffer, NgramTrie, TokenInterner, ZeroedScratch } from "./ngrams.ts";
import { isPyWhitespaceCode, pyLower, pyRstrip } from "./text.ts";

export const bleuSmoothSchema = z.enum(["none", "floor", "add-k", "exp"]);
/** Smoothing: "exp" (default, mteval-v13a/NIST), "floor", "add-k" or "none" (Chen & Cherry 2014 methods). */
export type BleuSmoothMethod = z.infer<typeof bleuSmoothSchema>;

export const bleuOptionsSchema = z
  .object({
    /** Tokenizer applied after lowercasing and rstrip. Default "13a". */
    tokenize: bleuTokenizerSchema.default("13a"),
    /** Smoothing method. Default "exp". */
    smoothMethod: bleuSmoothSchema.default("exp"),
    /** k for "floor" (default 0.1) and "add-k" (default 1); ignored by "exp" and "none". */
    smoothValue: z.number().nonnegative().optional(),
    /** Lowercase hypotheses and references (Python lower()). Default false. */
    lowercase: z.boolean().default(false),
    /** Average only the orders up to the last one with any n-grams. Default false for corpus BLEU, true for sentence BLEU. */
    effectiveOrder: z.boolean().optional(),
    /** Highest n-gram order. Default 4. */
    maxNgramOrder: z.number().int().min(1).max(32).default(4),
  })
  .strict();

/** Options of {@link corpusBleu} and {@link sentenceBleu}; every field is optional. */
export type BleuOptions = z.input<typeof bleuOptionsSchema>;

/** Options with every default filled in. */
export interface ResolvedBleuOptions {
  /** Tokenizer name (default "13a"). */
  tokenize: z.infer<typeof bleuTokenizerSchema>;
  /** Smoothing method (default "exp"). */
  smoothMethod: BleuSmoothMethod;
  /** Smoothing k; undefined means the method's default (floor 0.1, add-k 1). */
  smoothValue?: number | undefined;
  /** Lowercase both sides first (default false). */
  lowercase: boolean;
  /** Average only orders that have n-grams (default false for corpus, true for sentence BLEU). */
  effectiveOrder: boolean;
  /** Highest n-gram order (default 4). */
  maxNgramOrder: number;
}

/** A BLEU result with the same fields as sacrebleu's `BLEUScore`. */
export interface BleuResult {
  /** BLEU on the 0-100 scale. */
  score: number;
  /** Matched n-grams per order (after add-k, as sacrebleu reports them). */
  counts: number[];
  /** Hypothesis n-grams per order (after add-k, as sacrebleu reports them). */
  totals: number[];
  /** Per-order precisions on the 0-100 scale (smoothed). */
  precisions: number[];
  /** Brevity penalty in [0, 1]. */
  bp: number;
  /** Total hypothesis length in tokens. */
  sysLen: number;
  /** Total effective reference length in tokens. */
  refLen: number;
}

/** Resolves defaults; `sentence` picks the effective-order default of sacrebleu's sentence_bleu. */
export function resolveBleuOptions(options: BleuOptions | undefined, sentence: boolean): ResolvedBleuOptions {
  const o = bleuOptionsSchema.parse(options ?? {});
  return { ...o, effectiveOrder: o.effectiveOrder ?? sentence };
}

/** Lowercase (optional), rstrip, tokenize, split: the tokens sacrebleu counts. */
export function bleuTokens(text: string, opts: ResolvedBleuOptions): string[] {
  const s = opts.lowercase ? pyLower(text) : text;
  return bleuTokenSplitter(opts.tokenize)(pyRstrip(s));
}

/** sacrebleu `_get_closest_ref_len`: the closest length, the shorter one on ties. */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff) {
      bestDiff = diff;
      best = len;
    } else if (diff === bestDiff && len < best) best = len;
  }
  return best;
}

// A local binding: calls through an imported binding can cost a getter per call under some loaders.
const isWhitespace = isPyWhitespaceCode;

/**
 * Appends the ids of the tokens sacrebleu counts for `text` (lowercase if asked, rstrip,
 * tokenize, split on Python whitespace) to `buf` from `at`; returns how many.
 */
function encodeTokens(text: string, opts: ResolvedBleuOptions, scratch: BleuScratch, buf: IntBuffer, at: number): number {
  const line = pyRstrip(opts.lowercase ? pyLower(text) : text);
  if (opts.tokenize === "13a") return encodeCodes(line, codes13a, scratch, buf, at);
  if (opts.tokenize === "intl") return encodeCodes(line, codesIntl, scratch, buf, at);
  const s = scratch.tokenizer(line);
  let out = buf.reserve(at + (s.length + 1) / 2 + 1, at);
  let k = at;
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 32;
    // Most characters are neither whitespace nor control: decide those without a call.
    if ((c > 32 && c < 0x85) || !isWhitespace(c)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      if (k >= out.length) out = buf.reserve(k + 1, k);
      out[k++] = scratch.symbols.range(s, start, i);
      start = -1;
    }
  }
  return k - at;
}

/** {@link encodeTokens} for the 13a and intl tokenizers, which work on code buffers. */
function encodeCodes(
  line: string,
  tokenize: (line: string, buf: CodeBuffers) => void,
  scratch: BleuScratch,
  buf: IntBuffer,
  at: number,
): number {
  const codes = scratch.codes;
  tokenize(line, codes);
  const s = codes.cur;
  const len = codes.length;
  let out = buf.reserve(at + (len + 1) / 2 + 1, at);
  let k = at;
  let start = -1;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? s[i]! : 32;
    if ((c > 32 && c < 0x85) || !isWhitespace(c)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      if (k >= out.length) out = buf.reserve(k + 1, k);
      out[k++] = scratch.symbols.rangeCodes(s, start, i);
      start = -1;
    }
  }
  return k - at;
}

/**
 * Sufficient statistics of one segment, sacrebleu's layout:
 * `[sys_len, ref_len, correct_1..correct_N, total_1..total_N]`.
 */
export function bleuSegmentStats(
  hypothesis: string,
  references: readonly string[],
  opts: ResolvedBleuOptions,
  scratch: BleuScratch = new BleuScratch(),
): number[] {
  if (references.length === 0) throw new Error("bleu: every segment needs at least one reference");
  scratch.use(opts.tokenize);
  const N = opts.maxNgramOrder;
  const { trie } = scratch;
  trie.reset();
  const hypLen = encodeTokens(hypothesis, opts, scratch, scratch.hyp, 0);
  const refLens: number[] = [];
  let refTotal = 0;
  for (const r of references) {
    const len = encodeTokens(r, opts, scratch, scratch.refs, refTotal);
    refLens.push(len);
    refTotal += len;
  }
  const hypOcc = scratch.hypOcc.reserve(hypLen * N);
  const hypCount = trie.occurrencesInto(scratch.hyp.data, 0, hypLen, N, hypOcc, 0);
  const refOcc = scratch.refOcc.reserve(refTotal * N);
  const refIds = scratch.refs.data;
  // Max count of each n-gram over the references (sacrebleu merges reference Counters by max).
  // Only n-grams the hypothesis has can be clipped against, so the references only look up.
  let from = 0;
  let occEnd = 0;
  const occStarts: number[] = [];
  for (const len of refLens) {
    occStarts.push(occEnd);
    occEnd += trie.knownOccurrencesInto(refIds, from, from + len, N, refOcc, occEnd);
    from += len;
  }
  const refMax = scratch.refMax.get(trie.size);
  const tmp = scratch.tmp.get(trie.size);
  for (let r = 0; r < refLens.length; r++) {
    const a = occStarts[r]!;
    const b = r + 1 < refLens.length ? occStarts[r + 1]! : occEnd;
    for (let k = a; k < b; k++) tmp[refOcc[k]!]!++;
    for (let k = a; k < b; k++) {
      const id = refOcc[k]!;
      if (tmp[id]! > refMax[id]!) refMax[id] = tmp[id]!;
    }
    for (let k = a; k < b; k++) tmp[refOcc[k]!] = 0;
  }
  const stats = new Array<number>(2 + 2 * N).fill(0);
  stats[0] = hypLen;
  stats[1] = closestRefLen(hypLen, refLens);
  for (let k = 0; k < hypCount; k++) tmp[hypOcc[k]!]!++;
  for (let k = 0; k < hypCount; k++) {
    const id = hypOcc[k]!;
    const c = tmp[id]!;
    if (c === 0) continue; // already counted
    const order = trie.order[id]! - 1;
    stats[2 + N + order]! += c;
    const m = refMax[id]!;
    stats[2 + order]! += c < m ? c : m;
    tmp[id] = 0;
  }
  for (let k = 0; k < occEnd; k++) refMax[refOcc[k]!] = 0;
  return stats;
}

/**
 * Reusable buffers for scoring many segments: a token table shared by the corpus, a trie
 * emptied per segment, two zeroed count arrays and token / occurrence buffers. Pass one to
 * bleuSegmentStats in loops.
 */
export class BleuScratch {
  /** Token ids for the whole corpus. */
  readonly symbols = new TokenInterner();
  /** n-gram ids, emptied for each segment. */
  readonly trie = new NgramTrie(1024);
  /** Max reference count per n-gram id (left zeroed after each segment). */
  readonly refMax = new ZeroedScratch();
  /** Per-text counts per n-gram id (left zeroed after each segment). */
  readonly tmp = new ZeroedScratch();
  /** Token ids of the hypothesis, of the references (concatenated) and their n-gram occurrences. */
  readonly hyp = new IntBuffer();
  readonly refs = new IntBuffer();
  readonly hypOcc = new IntBuffer();
  readonly refOcc = new IntBuffer();
  /** Code buffers of the 13a tokenizer. */
  readonly codes = new CodeBuffers();
  /** The tokenizer of the current options (unsplit output). */
  tokenizer: (line: string) => string = bleuSpacedTokenizer("13a");
  private tokenizerName: BleuTokenizerName = "13a";

  /** Selects the tokenizer for `name` (cheap when unchanged). */
  use(name: BleuTokenizerName): void {
    if (name !== this.tokenizerName) {
      this.tokenizer = bleuSpacedTokenizer(name);
      this.tokenizerName = name;
    }
  }
}

const LOG_ZERO = -9999999999;

/**
 * sacrebleu `BLEU.compute_bleu` from summed statistics, with its operation order (so results
 * match to the last few ulps of V8's exp/log).
 */
export function bleuFromStats(stats: readonly number[], opts: ResolvedBleuOptions): BleuResult {
  const N = opts.maxNgramOrder;
  const sysLen = stats[0]!;
  const refLen = stats[1]!;
  const correct = stats.slice(2, 2 + N);
  const total = stats.slice(2 + N, 2 + 2 * N);
  const k = opts.smoothValue ?? (opts.smoothMethod === "floor" ? 0.1 : opts.smoothMethod === "add-k" ? 1 : 0);
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(N).fill(0);
  if (!correct.some((c) => c !== 0)) {
    return { score: 0, counts: correct, totals: total, precisions, bp, sysLen, refLen };
  }
  let smoothMteval = 1;
  let effOrder = N;
  for (let n = 1; n <= N; n++) {
    if (opts.smoothMethod === "add-k" && n > 1) {
      correct[n - 1]! += k;
      total[n - 1]! += k;
    }
    if (total[n - 1] === 0) break;
    if (opts.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (opts.smoothMethod === "exp") {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!);
      } else if (opts.smoothMethod === "floor") {
        precisions[n - 1] = (100 * k) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  let sum = 0;
  for (let n = 0; n < effOrder; n++) {
    const p = precisions[n]!;
    sum += p === 0 ? LOG_ZERO : Math.log(p);
  }
  const score = bp * Math.exp(sum / effOrder);
  return { score, counts: correct, totals: total, precisions, bp, sysLen, refLen };
}

/**
 * The score alone of {@link bleuFromStats}, with the same operations in the same order (so
 * the same value to the last bit) but no allocation: per-item scores of a whole run use it.
 */
export function bleuScoreFromStats(stats: readonly number[], opts: ResolvedBleuOptions): number {
  const N = opts.maxNgramOrder;
  const sysLen = stats[0]!;
  const refLen = stats[1]!;
  let anyCorrect = false;
  for (let n = 0; n < N; n++) if (stats[2 + n] !== 0) anyCorrect = true;
  if (!anyCorrect) return 0;
  const k = opts.smoothValue ?? (opts.smoothMethod === "floor" ? 0.1 : opts.smoothMethod === "add-k" ? 1 : 0);
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  let smoothMteval = 1;
  let effOrder = N;
  let sum = 0;
  // Orders past the first one without n-grams keep precision 0 (log taken as LOG_ZERO).
  let stopped = false;
  for (let n = 1; n <= N; n++) {
    let p = 0;
    if (!stopped) {
      let correct = stats[1 + n]!;
      let total = stats[1 + N + n]!;
      if (opts.smoothMethod === "add-k" && n > 1) {
        correct += k;
        total += k;
      }
      if (total === 0) stopped = true;
      else {
        if (opts.effectiveOrder) effOrder = n;
        if (correct === 0) {
          if (opts.smoothMethod === "exp") {
            smoothMteval *= 2;
            p = 100 / (smoothMteval * total);
          } else if (opts.smoothMethod === "floor") {
            p = (100 * k) / total;
          }
        } else {
          p = (100 * correct) / total;
        }
      }
    }
    if (n <= effOrder) sum += p === 0 ? LOG_ZERO : Math.log(p);
  }
  return bp * Math.exp(sum / effOrder);
}

/** Element-wise sum of statistics rows (sacrebleu `sum_of_lists`). */
export function sumStats(rows: readonly (readonly number[])[]): number[] {
  if (rows.length === 0) throw new Error("cannot aggregate an empty corpus");
  const out = rows[0]!.slice();
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    for (let i = 0; i < out.length; i++) out[i]! += row[i]!;
  }
  return out;
}

/**
 * sacrebleu `corpus_bleu(hypotheses, refs)`. `references[i]` lists the references of segment i
 * (the case-file layout; sacrebleu's own API takes the transpose). Segments may have different
 * numbers of references but at least one each.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options?: BleuOptions,
): BleuResult {
  const opts = resolveBleuOptions(options, false);
  if (hypotheses.length !== references.length) {
    throw new Error(`bleu: ${hypotheses.length} hypotheses but ${references.length} reference lists`);
  }
  const scratch = new BleuScratch();
  const rows = hypotheses.map((h, i) => bleuSegmentStats(h, references[i]!, opts, scratch));
  return bleuFromStats(sumStats(rows), opts);
}

/** sacrebleu `sentence_bleu(hypothesis, references)`: effective order on by default. */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options?: BleuOptions,
): BleuResult {
  const opts = resolveBleuOptions(options, true);
  return bleuFromStats(bleuSegmentStats(hypothesis, references, opts), opts);
}
