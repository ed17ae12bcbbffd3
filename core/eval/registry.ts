// The metric registry: every metric by name with its documentation, zod options schema,
// per-item sufficient statistics and the scorer that turns summed statistics into the
// corpus score. `computeMetric(name, options, items)` is what eval runs call; the stored
// statistics let `compareMetricResults` run a paired bootstrap later without re-scoring.
// Called by the eval runner, the CLI and the comparison view.
import { z } from "zod";
import {
  BleuScratch,
  bleuFromStats,
  bleuScoreFromStats,
  bleuSegmentStats,
  resolveBleuOptions,
  type BleuOptions,
  type ResolvedBleuOptions,
} from "./bleu.ts";
import {
  bootstrapInterval,
  pairedBootstrap,
  type BootstrapInterval,
  type BootstrapOptions,
  type PairedBootstrapResult,
  type StatsScorer,
} from "./bootstrap.ts";
import {
  ChrfScratch,
  chrfFromStats,
  chrfOptionsSchema,
  chrfSegmentStats,
  resolveChrfOptions,
  type ResolvedChrfOptions,
} from "./chrf.ts";
import { exactMatchNormalizer, exactMatchOptionsSchema } from "./exactMatch.ts";
import { meanWithStderr, scoreMultipleChoice, type McGold } from "./multipleChoice.ts";
import { perplexityFromStats, perplexityStats } from "./perplexity.ts";
import { RougeScratch, rougeScoreMultiResolved, type RougeType } from "./rouge.ts";

/** One evaluated item; each metric reads the fields of its input kind. */
export interface MetricItem {
  /** Generated text (generation metrics). */
  prediction?: string;
  /** Reference texts, at least one (generation metrics). */
  references?: readonly string[];
  /** Choice texts without the target delimiter (multiple-choice metrics). */
  choices?: readonly string[];
  /** Log-likelihood of each choice given the context (multiple-choice metrics). */
  logLikelihoods?: readonly number[];
  /** Unconditional log-likelihood of each choice (acc_mutual_info only). */
  unconditionalLogLikelihoods?: readonly number[];
  /** Gold choice: index, choice text, or several indices (multiple-choice metrics). */
  gold?: McGold;
  /** ln p of each scored token (perplexity). */
  tokenLogprobs?: readonly number[];
  /** The scored text, for word and byte perplexity (perplexity, optional). */
  text?: string;
}

/** What a metric reads from each item. */
export type MetricInput = "generation" | "multiple_choice" | "perplexity";

/** Public description of a metric, for pickers, tooltips and docs. */
export interface MetricInfo {
  /** Registry name, e.g. "bleu". */
  name: string;
  /** Human title, e.g. "BLEU (sacrebleu)". */
  title: string;
  /** What the number means. */
  description: string;
  /** Range of the headline score, e.g. "0-100". */
  range: string;
  /** Whether a larger score is better. */
  higherIsBetter: boolean;
  /** Which item fields the metric needs. */
  input: MetricInput;
  /** Each option with its meaning and default. */
  options: Record<string, string>;
}

/** The result of one metric over a run's items. */
export interface MetricResult {
  /** Registry name. */
  name: string;
  /** Options after defaults were applied (store these with the run). */
  options: Record<string, unknown>;
  /** Headline corpus score (see the metric's range). */
  score: number;
  /** Secondary figures (precision, recall, brevity penalty, standard error...). */
  details: Record<string, number | null>;
  /** Per-item score for inspection, wins and losses (sentence-level for corpus metrics). */
  perItem: number[];
  /** Per-item sufficient statistics; summing them and re-scoring gives `score`. */
  stats: number[][];
}

interface MetricDefinition<O> extends Omit<MetricInfo, "options"> {
  options: Record<string, string>;
  /** Parses user options (JSON) into resolved options; throws a ZodError on bad input. */
  parse(options: unknown): O;
  /** Returns a function giving each item's statistics (may cache work across items). */
  itemStats(options: O): (item: MetricItem, index: number) => number[];
  /** Corpus score from summed statistics. */
  score(sums: Float64Array, count: number, options: O): number;
  /** Per-item score from one item's statistics. */
  itemScore(stats: readonly number[], options: O): number;
  /** Secondary figures from summed statistics and per-item scores. */
  details(
    sums: Float64Array,
    count: number,
    options: O,
    perItem: readonly number[],
  ): Record<string, number | null>;
}

function need<T>(value: T | undefined, index: number, field: string, metric: string): T {
  if (value === undefined) throw new Error(`${metric}: item ${index} has no "${field}"`);
  return value;
}

function refsOf(item: MetricItem, index: number, metric: string): readonly string[] {
  const refs = need(item.references, index, "references", metric);
  if (refs.length === 0) throw new Error(`${metric}: item ${index} has an empty "references" list`);
  return refs;
}

const useStemmerSchema = z.object({ useStemmer: z.boolean().default(false) }).strict();

function rougeMetric(
  type: RougeType,
  title: string,
  description: string,
): MetricDefinition<{ useStemmer: boolean }> {
  return {
    name: type,
    title,
    description: `${description} F1 of precision (overlap / prediction) and recall (overlap / reference), averaged over items; with several references the best F per item counts (rouge-score score_multi).`,
    range: "0-1",
    higherIsBetter: true,
    input: "generation",
    options: {
      useStemmer: "Porter-stem (NLTK 3.8) tokens longer than 3 characters before matching. Default false.",
    },
    parse: (o) => useStemmerSchema.parse(o ?? {}),
    itemStats: (o) => {
      const scratch = new RougeScratch();
      const resolved = { types: [type], useStemmer: o.useStemmer };
      return (item, i) => {
        const s = rougeScoreMultiResolved(
          refsOf(item, i, type),
          need(item.prediction, i, "prediction", type),
          resolved,
          scratch,
        )[type]!;
        return [s.precision, s.recall, s.fmeasure];
      };
    },
    score: (sums, n) => sums[2]! / n,
    itemScore: (s) => s[2]!,
    details: (sums, n) => ({ precision: sums[0]! / n, recall: sums[1]! / n, fmeasure: sums[2]! / n }),
  };
}

function bleuDetails(sums: Float64Array, o: ResolvedBleuOptions): Record<string, number | null> {
  const r = bleuFromStats(Array.from(sums), o);
  const d: Record<string, number | null> = { bp: r.bp, sysLen: r.sysLen, refLen: r.refLen };
  r.precisions.forEach((p, i) => (d[`precision${i + 1}`] = p));
  return d;
}

/** Corpus options with effective order on (per-item sentence BLEU), made once per options object. */
const sentenceOptionsCache = new WeakMap<ResolvedBleuOptions, ResolvedBleuOptions>();
function sentenceOptions(o: ResolvedBleuOptions): ResolvedBleuOptions {
  let s = sentenceOptionsCache.get(o);
  if (s === undefined) {
    s = { ...o, effectiveOrder: true };
    sentenceOptionsCache.set(o, s);
  }
  return s;
}

const bleuDefinition: MetricDefinition<ResolvedBleuOptions> = {
  name: "bleu",
  title: "BLEU (sacrebleu, corpus)",
  description:
    "Corpus BLEU as sacrebleu 2.x corpus_bleu: clipped n-gram precisions (n = 1..4) summed over all items, geometric mean, times the brevity penalty. Per-item values are sentence BLEU (effective order).",
  range: "0-100",
  higherIsBetter: true,
  input: "generation",
  options: {
    tokenize: 'Tokenizer: "13a" (default), "intl", "none" or "char".',
    smoothMethod: 'Smoothing: "exp" (default), "floor", "add-k" or "none".',
    smoothValue: "k for floor (default 0.1) and add-k (default 1).",
    lowercase: "Lowercase both sides first. Default false.",
    effectiveOrder: "Average only orders that have n-grams. Default false (corpus).",
    maxNgramOrder: "Highest n-gram order. Default 4.",
  },
  parse: (o) => resolveBleuOptions(o as BleuOptions, false),
  itemStats: (o) => {
    const scratch = new BleuScratch();
    return (item, i) =>
      bleuSegmentStats(need(item.prediction, i, "prediction", "bleu"), refsOf(item, i, "bleu"), o, scratch);
  },
  score: (sums, _n, o) => bleuFromStats(Array.from(sums), o).score,
  itemScore: (s, o) => bleuScoreFromStats(s, sentenceOptions(o)),
  details: (sums, _n, o) => bleuDetails(sums, o),
};

const sentenceBleuDefinition: MetricDefinition<ResolvedBleuOptions> = {
  name: "sentence_bleu",
  title: "Sentence BLEU (sacrebleu, mean)",
  description:
    "Mean over items of sacrebleu sentence_bleu (exp smoothing and effective order by default). Unlike corpus BLEU it weighs every item the same.",
  range: "0-100",
  higherIsBetter: true,
  input: "generation",
  options: {
    ...bleuDefinition.options,
    effectiveOrder: "Average only orders that have n-grams. Default true (sentence).",
  },
  parse: (o) => resolveBleuOptions(o as BleuOptions, true),
  itemStats: (o) => {
    const scratch = new BleuScratch();
    return (item, i) => {
      const stats = bleuSegmentStats(
        need(item.prediction, i, "prediction", "sentence_bleu"),
        refsOf(item, i, "sentence_bleu"),
        o,
        scratch,
      );
      return [bleuScoreFromStats(stats, o)];
    };
  },
  score: (sums, n) => sums[0]! / n,
  itemScore: (s) => s[0]!,
  details: () => ({}),
};

function chrfDefinition(name: "chrf" | "chrf++"): MetricDefinition<ResolvedChrfOptions> {
  const plus = name === "chrf++";
  return {
    name,
    title: plus ? "chrF++ (sacrebleu)" : "chrF (sacrebleu)",
    description: `Character n-gram F-score (β = 2, recall weighted) as sacrebleu 2.x CHRF${plus ? " with word uni- and bigrams (word_order 2)" : ""}, statistics summed over all items; with several references each item keeps the best-scoring one.`,
    range: "0-100",
    higherIsBetter: true,
    input: "generation",
    options: {
      charOrder: "Character n-gram orders 1..charOrder. Default 6.",
      wordOrder: `Word n-gram orders 1..wordOrder. Default ${plus ? 2 : 0}.`,
      beta: "Recall weight β. Default 2.",
      lowercase: "Lowercase both sides first. Default false.",
      whitespace: "Keep whitespace in character n-grams. Default false.",
      epsSmoothing: "Average per-order F with 1e-16 for undefined terms. Default false.",
    },
    parse: (o) =>
      resolveChrfOptions(chrfOptionsSchema.parse(plus ? { wordOrder: 2, ...(o ?? {}) } : (o ?? {}))),
    itemStats: (o) => {
      const scratch = new ChrfScratch();
      return (item, i) =>
        chrfSegmentStats(need(item.prediction, i, "prediction", name), refsOf(item, i, name), o, scratch);
    },
    score: (sums, _n, o) => chrfFromStats(Array.from(sums), o),
    itemScore: (s, o) => chrfFromStats(s, o),
    details: () => ({}),
  };
}

type ExactMatchResolved = z.output<typeof exactMatchOptionsSchema>;

const exactMatchDefinition: MetricDefinition<ExactMatchResolved> = {
  name: "exact_match",
  title: "Exact match (lm-evaluation-harness)",
  description:
    "Share of items whose prediction equals a reference after the optional normalizations, as lm-eval exact_match_hf_evaluate; with several references any match counts.",
  range: "0-1",
  higherIsBetter: true,
  input: "generation",
  options: {
    regexesToIgnore: "Python re patterns removed from both sides, in order. Default none.",
    ignoreCase: "Compare lowercased. Default false.",
    ignorePunctuation: "Delete ASCII punctuation. Default false.",
    ignoreNumbers: "Delete ASCII digits. Default false.",
  },
  parse: (o) => exactMatchOptionsSchema.parse(o ?? {}),
  itemStats: (o) => {
    const norm = exactMatchNormalizer(o);
    return (item, i) => {
      const p = norm(need(item.prediction, i, "prediction", "exact_match"));
      return [refsOf(item, i, "exact_match").some((r) => norm(r) === p) ? 1 : 0];
    };
  },
  score: (sums, n) => sums[0]! / n,
  itemScore: (s) => s[0]!,
  details: (_s, _n, _o, perItem) => ({ stderr: meanWithStderr(perItem).stderr }),
};

const noOptions = z.object({}).strict();

type McField = "acc" | "accNorm" | "accBytes" | "accMutualInfo";

function mcDefinition(
  name: string,
  field: McField,
  title: string,
  description: string,
): MetricDefinition<object> {
  return {
    name,
    title,
    description: `${description} Mean over documents; stderr is the harness's sample_std/sqrt(N).`,
    range: "0-1",
    higherIsBetter: true,
    input: "multiple_choice",
    options: {},
    parse: (o) => noOptions.parse(o ?? {}),
    itemStats: () => (item, i) => {
      const out = scoreMultipleChoice({
        choices: need(item.choices, i, "choices", name),
        logLikelihoods: need(item.logLikelihoods, i, "logLikelihoods", name),
        gold: need(item.gold, i, "gold", name),
        ...(field === "accMutualInfo"
          ? {
              unconditionalLogLikelihoods: need(
                item.unconditionalLogLikelihoods,
                i,
                "unconditionalLogLikelihoods",
                name,
              ),
            }
          : {}),
      });
      return [out[field] ?? 0];
    },
    score: (sums, n) => sums[0]! / n,
    itemScore: (s) => s[0]!,
    details: (_s, _n, _o, perItem) => ({ stderr: meanWithStderr(perItem).stderr }),
  };
}

const perplexityDefinition: MetricDefinition<object> = {
  name: "perplexity",
  title: "Perplexity",
  description:
    "exp of the negative mean token log-probability over all scored tokens (token-weighted). Details add the mean per-text perplexity and, when texts are given, lm-eval's word_perplexity, byte_perplexity and bits_per_byte.",
  range: "1-∞",
  higherIsBetter: false,
  input: "perplexity",
  options: {},
  parse: (o) => noOptions.parse(o ?? {}),
  itemStats: () => (item, i) => {
    const lps = need(item.tokenLogprobs, i, "tokenLogprobs", "perplexity");
    if (lps.length === 0) throw new Error(`perplexity: item ${i} has no token log-probabilities`);
    return perplexityStats({ tokenLogprobs: lps, ...(item.text !== undefined ? { text: item.text } : {}) });
  },
  score: (sums, n) => perplexityFromStats(Array.from(sums), n).perplexity,
  itemScore: (s) => s[4]!,
  details: (sums, n) => {
    const r = perplexityFromStats(Array.from(sums), n);
    return {
      meanTextPerplexity: r.meanTextPerplexity,
      wordPerplexity: r.wordPerplexity,
      bytePerplexity: r.bytePerplexity,
      bitsPerByte: r.bitsPerByte,
      tokens: r.tokens,
    };
  },
};

const DEFINITIONS: readonly MetricDefinition<never>[] = [
  rougeMetric("rouge1", "ROUGE-1 (rouge-score)", "Unigram overlap after rouge-score tokenization."),
  rougeMetric("rouge2", "ROUGE-2 (rouge-score)", "Bigram overlap after rouge-score tokenization."),
  rougeMetric("rougeL", "ROUGE-L (rouge-score)", "Longest common subsequence of the whole texts."),
  rougeMetric("rougeLsum", "ROUGE-Lsum (rouge-score)", "Union LCS over newline-separated sentences."),
  bleuDefinition,
  sentenceBleuDefinition,
  chrfDefinition("chrf"),
  chrfDefinition("chrf++"),
  exactMatchDefinition,
  mcDefinition(
    "acc",
    "acc",
    "Accuracy (lm-eval acc)",
    "1 when the choice with the highest log-likelihood is gold.",
  ),
  mcDefinition(
    "acc_norm",
    "accNorm",
    "Length-normalized accuracy (lm-eval acc_norm)",
    "1 when the choice with the highest log-likelihood per character (code point) is gold.",
  ),
  mcDefinition(
    "acc_bytes",
    "accBytes",
    "Byte-normalized accuracy (lm-eval acc_bytes)",
    "1 when the choice with the highest log-likelihood per UTF-8 byte is gold.",
  ),
  mcDefinition(
    "acc_mutual_info",
    "accMutualInfo",
    "Mutual-information accuracy (lm-eval acc_mutual_info)",
    "1 when the choice with the highest ll(choice | context) - ll(choice) is gold; needs unconditional log-likelihoods.",
  ),
  perplexityDefinition,
] as unknown as readonly MetricDefinition<never>[];

const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d as unknown as MetricDefinition<unknown>]));

/** Every registered metric name. */
export const METRIC_NAMES = DEFINITIONS.map((d) => d.name);

/** A metric picked for a run: its name and options (JSON-safe, stored with the run). */
export const metricSpecSchema = z
  .object({
    /** Registry name, e.g. "bleu". */
    name: z.string().refine((n) => BY_NAME.has(n), { message: "unknown metric" }),
    /** Options of that metric; omitted fields take their defaults. */
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type MetricSpec = z.infer<typeof metricSpecSchema>;

/** Descriptions of all metrics, in registry order. */
export function listMetrics(): MetricInfo[] {
  return DEFINITIONS.map(({ name, title, description, range, higherIsBetter, input, options }) => ({
    name,
    title,
    description,
    range,
    higherIsBetter,
    input,
    options,
  }));
}

function definition(name: string): MetricDefinition<unknown> {
  const d = BY_NAME.get(name);
  if (d === undefined) throw new Error(`unknown metric "${name}"; known: ${METRIC_NAMES.join(", ")}`);
  return d;
}

/** Describes one metric. Throws for an unknown name. */
export function describeMetric(name: string): MetricInfo {
  const { title, description, range, higherIsBetter, input, options } = definition(name);
  return { name, title, description, range, higherIsBetter, input, options };
}

/**
 * Computes a metric over a run's items. Options are validated by the metric's schema (a
 * ZodError on bad options); a missing item field throws an Error naming the item and field.
 */
export function computeMetric(name: string, options: unknown, items: readonly MetricItem[]): MetricResult {
  const def = definition(name);
  if (items.length === 0) throw new Error(`${name}: no items`);
  const o = def.parse(options);
  const statsOf = def.itemStats(o);
  const stats = items.map((item, i) => statsOf(item, i));
  const sums = new Float64Array(stats[0]!.length);
  for (const row of stats) for (let k = 0; k < row.length; k++) sums[k]! += row[k]!;
  const perItem = stats.map((s) => def.itemScore(s, o));
  return {
    name,
    options: o as Record<string, unknown>,
    score: def.score(sums, items.length, o),
    details: def.details(sums, items.length, o, perItem),
    perItem,
    stats,
  };
}

function scorerFor(result: MetricResult): StatsScorer {
  const def = definition(result.name);
  const o = def.parse(result.options);
  return (sums, count) => def.score(sums, count, o);
}

/** Bootstrap confidence interval of a stored metric result. */
export function metricInterval(result: MetricResult, options?: BootstrapOptions): BootstrapInterval {
  return bootstrapInterval(result.stats, scorerFor(result), options);
}

/**
 * Paired bootstrap of run B against run A for one metric, from stored results on the same
 * items in the same order (same metric name and options). Deltas are B - A on the metric's scale.
 */
export function compareMetricResults(
  a: MetricResult,
  b: MetricResult,
  options?: BootstrapOptions,
): PairedBootstrapResult {
  if (a.name !== b.name) throw new Error(`cannot compare ${a.name} with ${b.name}`);
  if (JSON.stringify(a.options) !== JSON.stringify(b.options)) {
    throw new Error(`${a.name}: the two results were computed with different options`);
  }
  return pairedBootstrap(a.stats, b.stats, scorerFor(a), {
    ...options,
    higherIsBetter: definition(a.name).higherIsBetter,
  });
}
