// Perplexity from per-token log-probabilities (natural log), per text and over a corpus, plus
// lm-evaluation-harness's rolling-loglikelihood variants (word_perplexity, byte_perplexity,
// bits_per_byte) when the texts are given. Called by the registry and the perplexity runner.
import { PY_WHITESPACE_CLASS, utf8Length } from "./text.ts";

/** One scored text: its token log-probabilities and, optionally, the text itself. */
export interface PerplexityItem {
  /** ln p(token | prefix) for each scored token; all <= 0 for a proper model. */
  tokenLogprobs: readonly number[];
  /** The scored text, needed for word and byte normalizations. */
  text?: string;
}

/** Corpus perplexity figures. */
export interface PerplexityResult {
  /** exp(-Σ logprob / Σ tokens) over all tokens of all texts (token-weighted). */
  perplexity: number;
  /** Mean of the per-text perplexities (each text weighs the same). */
  meanTextPerplexity: number;
  /** exp(-Σ logprob / Σ words), words as lm-eval counts them (`re.split(r"\s+", text)`); null without texts. */
  wordPerplexity: number | null;
  /** exp(-Σ logprob / Σ UTF-8 bytes); null without texts. */
  bytePerplexity: number | null;
  /** -Σ logprob / Σ UTF-8 bytes / ln 2; null without texts. */
  bitsPerByte: number | null;
  /** Total number of scored tokens. */
  tokens: number;
}

/** Perplexity of one text: exp of the negative mean token log-probability (NaN with no tokens). */
export function textPerplexity(tokenLogprobs: readonly number[]): number {
  let sum = 0;
  for (const lp of tokenLogprobs) sum += lp;
  return Math.exp(-sum / tokenLogprobs.length);
}

const PY_WS_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`);

/** lm-eval `count_words`: `len(re.split(r"\s+", text))`, which counts empty edge pieces too. */
export function countWords(text: string): number {
  return text.split(PY_WS_RUN).length;
}

/** Sufficient statistics of one item: `[Σ logprob, tokens, words, bytes, per-text perplexity]`. */
export function perplexityStats(item: PerplexityItem): number[] {
  let sum = 0;
  for (const lp of item.tokenLogprobs) sum += lp;
  const n = item.tokenLogprobs.length;
  const words = item.text === undefined ? Number.NaN : countWords(item.text);
  const bytes = item.text === undefined ? Number.NaN : utf8Length(item.text);
  return [sum, n, words, bytes, Math.exp(-sum / n)];
}

/** Corpus figures from summed statistics over `count` items. */
export function perplexityFromStats(sums: readonly number[], count: number): PerplexityResult {
  const [ll = 0, tokens = 0, words = Number.NaN, bytes = Number.NaN, pplSum = 0] = sums;
  const hasText = !Number.isNaN(words);
  return {
    perplexity: Math.exp(-ll / tokens),
    meanTextPerplexity: pplSum / count,
    wordPerplexity: hasText ? Math.exp(-ll / words) : null,
    bytePerplexity: hasText ? Math.exp(-ll / bytes) : null,
    bitsPerByte: hasText ? -ll / bytes / Math.LN2 : null,
    tokens,
  };
}

/** Perplexity over a corpus; word and byte figures need every item's text. */
export function corpusPerplexity(items: readonly PerplexityItem[]): PerplexityResult {
  if (items.length === 0) throw new Error("perplexity: no items");
  const sums = [0, 0, 0, 0, 0];
  for (const item of items) {
    const s = perplexityStats(item);
    for (let k = 0; k < 5; k++) sums[k]! += s[k]!;
  }
  return perplexityFromStats(sums, items.length);
}
