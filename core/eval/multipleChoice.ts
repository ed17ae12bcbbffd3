// Multiple-choice accuracy as lm-evaluation-harness 0.4.x scores `output_type: multiple_choice`
// from per-choice log-likelihoods: acc (argmax ll), acc_norm (ll / code-point length of the
// choice), acc_bytes (ll / UTF-8 bytes) and acc_mutual_info (ll - unconditional ll), with
// numpy argmax tie and NaN rules and the harness's gold handling. Called by the registry and
// the multiple-choice runner. SPEC: shared/metrics/SPEC.md §4.1.
import { pyLen, utf8Length } from "./text.ts";

/** Gold answer: a choice index, the choice text, or several indices (any of them is correct). */
export type McGold = number | string | readonly number[];

/** One multiple-choice document as scored by the harness. */
export interface McDocument {
  /** The choice texts, without the target delimiter (default " ") that was scored before them. */
  choices: readonly string[];
  /** Log-likelihood of `delimiter + choice_i` given the context, one per choice (natural log). */
  logLikelihoods: readonly number[];
  /** Unconditional log-likelihoods of each choice, only needed for acc_mutual_info. */
  unconditionalLogLikelihoods?: readonly number[];
  /** The correct answer. */
  gold: McGold;
}

/** Per-document predictions and 0/1 outcomes. */
export interface McOutcome {
  /** argmax of the log-likelihoods. */
  pred: number;
  /** argmax of ll / code-point length. */
  predNorm: number;
  /** argmax of ll / UTF-8 byte length. */
  predBytes: number;
  /** argmax of ll - unconditional ll, or null without unconditional log-likelihoods. */
  predMutualInfo: number | null;
  /** 1 when pred is gold (or in the gold list), else 0. */
  acc: number;
  /** 1 when predNorm is gold, else 0. */
  accNorm: number;
  /** 1 when predBytes is gold, else 0. */
  accBytes: number;
  /** 1 when predMutualInfo is gold, 0 otherwise, null without unconditional log-likelihoods. */
  accMutualInfo: number | null;
  /** Gold resolved to indices; -100 marks an answer outside the choices (never correct). */
  goldIndex: number | number[];
}

/** numpy argmax: the first maximum, or the first NaN when any value is NaN. */
export function npArgmax(values: readonly number[]): number {
  if (values.length === 0) throw new Error("argmax of an empty sequence");
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return i;
    if (v > values[best]!) best = i;
  }
  return best;
}

/** The harness's gold resolution: out-of-range ints and unknown strings become -100. */
export function resolveGold(gold: McGold, choices: readonly string[]): number | number[] {
  if (typeof gold === "number") return gold < choices.length ? gold : -100;
  if (typeof gold === "string") {
    const i = choices.indexOf(gold);
    return i >= 0 ? i : -100;
  }
  return gold.map((g) => (g < choices.length ? g : -100));
}

function hit(pred: number, gold: number | number[]): number {
  return (Array.isArray(gold) ? gold.includes(pred) : pred === gold) ? 1 : 0;
}

/** Scores one document like the harness's `process_results` for multiple choice. */
export function scoreMultipleChoice(doc: McDocument): McOutcome {
  const { choices, logLikelihoods: lls } = doc;
  if (choices.length === 0) throw new Error("multiple choice: a document needs at least one choice");
  if (lls.length !== choices.length) {
    throw new Error(`multiple choice: ${lls.length} log-likelihoods for ${choices.length} choices`);
  }
  const gold = resolveGold(doc.gold, choices);
  // Division by a zero length (empty choice) gives ±Infinity or NaN, as in numpy.
  const pred = npArgmax(lls);
  const predNorm = npArgmax(lls.map((ll, i) => ll / pyLen(choices[i]!)));
  const predBytes = npArgmax(lls.map((ll, i) => ll / utf8Length(choices[i]!)));
  let predMutualInfo: number | null = null;
  const uncond = doc.unconditionalLogLikelihoods;
  if (uncond !== undefined) {
    if (uncond.length !== choices.length) {
      throw new Error(
        `multiple choice: ${uncond.length} unconditional log-likelihoods for ${choices.length} choices`,
      );
    }
    predMutualInfo = npArgmax(lls.map((ll, i) => ll - uncond[i]!));
  }
  return {
    pred,
    predNorm,
    predBytes,
    predMutualInfo,
    acc: hit(pred, gold),
    accNorm: hit(predNorm, gold),
    accBytes: hit(predBytes, gold),
    accMutualInfo: predMutualInfo === null ? null : hit(predMutualInfo, gold),
    goldIndex: gold,
  };
}

/** Mean and standard error of a list of per-document values, as the harness aggregates them. */
export interface MeanWithStderr {
  /** Arithmetic mean (NaN for an empty list). */
  mean: number;
  /** sample_std(ddof=1)/sqrt(N); null when N < 2 (the harness reports "N/A"). */
  stderr: number | null;
}

/** lm-eval `mean` and `mean_stderr`. */
export function meanWithStderr(values: readonly number[]): MeanWithStderr {
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { mean, stderr: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, stderr: Math.sqrt(ss / (n - 1)) / Math.sqrt(n) };
}
