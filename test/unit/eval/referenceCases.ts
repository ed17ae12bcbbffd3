// Loads the metric reference cases (JSONL) kept in test/unit/eval/cases/ and maps their
// sacrebleu / rouge-score / lm-eval option names onto core/eval's. sample-cases.jsonl is the
// team's copy of shared/metrics/sample-cases.jsonl. Used by referenceCases.test.ts.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BleuOptions } from "../../../core/eval/bleu.ts";
import type { ChrfOptions } from "../../../core/eval/chrf.ts";
import type { ExactMatchOptions } from "../../../core/eval/exactMatch.ts";

interface Prf {
  p: number;
  r: number;
  f: number;
}

export interface RougeCase {
  id: string;
  kind: "rouge";
  prediction: string;
  reference?: string;
  references?: string[];
  use_stemmer: boolean;
  expected: Record<"rouge1" | "rouge2" | "rougeL" | "rougeLsum", Prf>;
  debug?: { prediction_tokens: string[]; reference_tokens: string[] };
}

export interface BleuExpected {
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sys_len: number;
  ref_len: number;
}

export interface BleuSentenceCase {
  id: string;
  kind: "bleu_sentence";
  hypothesis: string;
  references: string[];
  options?: Record<string, unknown>;
  expected: BleuExpected;
}

export interface BleuCorpusCase {
  id: string;
  kind: "bleu_corpus";
  hypotheses: string[];
  references: string[][];
  options?: Record<string, unknown>;
  expected: BleuExpected;
}

export interface ChrfCorpusCase {
  id: string;
  kind: "chrf_corpus";
  hypotheses: string[];
  references: string[][];
  options?: Record<string, unknown>;
  expected: { score: number; stats: number[] };
}

export interface ExactMatchCase {
  id: string;
  kind: "exact_match";
  prediction: string;
  reference: string;
  options?: Record<string, unknown>;
  expected: { exact_match: number };
}

export interface MultipleChoiceCase {
  id: string;
  kind: "multiple_choice";
  choices: string[];
  log_likelihoods: number[];
  gold: number | string | number[];
  expected: Record<"acc" | "acc_norm" | "acc_bytes" | "pred" | "pred_norm" | "pred_bytes", number>;
}

export interface PyRegexCase {
  id: string;
  kind: "py_regex_sub";
  pattern: string;
  texts: string[];
  expected: { results: string[] };
}

export type ReferenceCase =
  | RougeCase
  | BleuSentenceCase
  | BleuCorpusCase
  | ChrfCorpusCase
  | ExactMatchCase
  | MultipleChoiceCase
  | PyRegexCase;

/** Every case of one JSONL file in test/unit/eval/cases/. */
export function loadCases(file: string): ReferenceCase[] {
  const path = fileURLToPath(new URL(`./cases/${file}`, import.meta.url));
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as ReferenceCase);
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** sacrebleu BLEU arguments (case-file names) as core/eval options. */
export function bleuOptionsOf(o: Record<string, unknown> = {}): BleuOptions {
  return defined({
    tokenize: o.tokenize as BleuOptions["tokenize"],
    smoothMethod: o.smooth_method as BleuOptions["smoothMethod"],
    smoothValue: o.smooth_value as number | undefined,
    lowercase: o.lowercase as boolean | undefined,
    effectiveOrder: (o.use_effective_order ?? o.effective_order) as boolean | undefined,
    maxNgramOrder: o.max_ngram_order as number | undefined,
  });
}

/** sacrebleu CHRF arguments (case-file names) as core/eval options. */
export function chrfOptionsOf(o: Record<string, unknown> = {}): ChrfOptions {
  return defined({
    charOrder: o.char_order as number | undefined,
    wordOrder: o.word_order as number | undefined,
    beta: o.beta as number | undefined,
    lowercase: o.lowercase as boolean | undefined,
    whitespace: (o.whitespace ?? (o.remove_whitespace === undefined ? undefined : !o.remove_whitespace)) as
      boolean | undefined,
    epsSmoothing: o.eps_smoothing as boolean | undefined,
  });
}

/** lm-eval exact_match_hf_evaluate arguments as core/eval options. */
export function exactMatchOptionsOf(o: Record<string, unknown> = {}): ExactMatchOptions {
  return defined({
    regexesToIgnore: o.regexes_to_ignore as string[] | undefined,
    ignoreCase: o.ignore_case as boolean | undefined,
    ignorePunctuation: o.ignore_punctuation as boolean | undefined,
    ignoreNumbers: o.ignore_numbers as boolean | undefined,
  });
}
