// Scores a run from its stored per-item results: core/eval metrics (via computeMetric) and
// judge metrics, and compares two runs on their shared items with paired bootstrap
// intervals and per-item wins and losses. Pure; called by the evaluation service and the
// CLI after a run, and by the comparison view. The same inputs always give the same numbers.
import { pairedBootstrap, meanScorer, type PairedBootstrapResult } from "../eval/bootstrap.ts";
import { compareMetricResults, computeMetric, describeMetric, type MetricItem, type MetricResult } from "../eval/registry.ts";
import type { EvalItem, RunItemResult, RunMetric, SuiteSpec } from "./types.ts";

/** A metric computed over a run with its per-item statistics (kept in memory for comparisons). */
export interface ScoredMetric extends RunMetric {
  /** Per-item scores, in `indices` order. */
  perItem: number[];
  /** Per-item sufficient statistics, in `indices` order. */
  stats: number[][];
  /** Dataset indices the metric covers. */
  indices: number[];
}

/** The core/eval item for one stored result. Failed items score as wrong (empty prediction, no gold). */
export function metricItemOf(task: SuiteSpec["task"], item: EvalItem, r: RunItemResult): MetricItem | null {
  if (task === "generation") return { prediction: r.error ? "" : (r.prediction ?? ""), references: item.references };
  if (task === "multiple_choice") {
    const choices = item.choices ?? [];
    const ll = r.logLikelihoods && !r.error ? r.logLikelihoods : choices.map(() => Number.NEGATIVE_INFINITY);
    // gold -1 never matches: a failed item counts as wrong, not as a lucky first choice.
    return { choices, logLikelihoods: ll, gold: r.error || item.gold === null ? -1 : item.gold };
  }
  if (r.error || !r.perplexity || r.perplexity.tokens === 0) return null;
  // Only the sum and count of token log-probabilities matter to the perplexity statistics.
  const mean = r.perplexity.sumLogprob / r.perplexity.tokens;
  return { tokenLogprobs: new Array<number>(r.perplexity.tokens).fill(mean), text: item.input };
}

/** Every metric of the suite over the results (indices present in both `items` and `results`). */
export function scoreRun(suite: SuiteSpec, items: readonly EvalItem[], results: readonly RunItemResult[]): ScoredMetric[] {
  const rows: { index: number; item: MetricItem; r: RunItemResult }[] = [];
  for (const r of [...results].sort((a, b) => a.index - b.index)) {
    const item = items[r.index];
    if (!item) continue;
    const mi = metricItemOf(suite.task, item, r);
    if (mi) rows.push({ index: r.index, item: mi, r });
  }
  if (rows.length === 0) return [];
  const indices = rows.map((x) => x.index);
  const out: ScoredMetric[] = [];
  for (const spec of suite.metrics) {
    const m: MetricResult = computeMetric(spec.name, spec.options ?? {}, rows.map((x) => x.item));
    out.push({
      name: m.name,
      kind: "metric",
      options: m.options,
      score: m.score,
      details: m.details,
      higherIsBetter: describeMetric(m.name).higherIsBetter,
      perItem: m.perItem,
      stats: m.stats,
      indices,
    });
  }
  if (suite.task === "generation") {
    suite.judges.forEach((j, k) => {
      const verdicts = rows.map((x) => x.r.judges[k]?.verdict ?? null);
      const stats = verdicts.map((v) => [v === "yes" ? 1 : 0]);
      const yes = verdicts.filter((v) => v === "yes").length;
      const no = verdicts.filter((v) => v === "no").length;
      out.push({
        name: j.name,
        kind: "judge",
        options: { modelId: j.modelId, rubric: j.rubric, yesIsGood: j.yesIsGood },
        score: yes / rows.length,
        details: { yes, no, unparsed: rows.length - yes - no },
        higherIsBetter: j.yesIsGood,
        perItem: stats.map((s) => s[0]!),
        stats,
        indices,
      });
    });
  }
  return out;
}

/** Summaries to store with the run (no per-item arrays). */
export function runMetricsOf(scored: readonly ScoredMetric[]): RunMetric[] {
  return scored.map(({ name, kind, options, score, details, higherIsBetter }) => ({ name, kind, options, score, details, higherIsBetter }));
}

/** One metric compared between two runs. */
export interface MetricComparison {
  name: string;
  kind: "metric" | "judge";
  higherIsBetter: boolean;
  /** Paired bootstrap of B - A over the shared items. */
  bootstrap: PairedBootstrapResult;
  /** Items where B scores better / worse / the same as A (per-item scores, direction respected). */
  wins: number;
  losses: number;
  ties: number;
  /** Dataset indices of B's wins and losses (for inspection). */
  winIndices: number[];
  lossIndices: number[];
}

/** Options of compareRuns. */
export interface CompareOptions {
  /** Bootstrap resamples. Default 1000. */
  samples?: number;
  /** Seed. Default 12345. */
  seed?: number;
  /** Confidence level. Default 0.95. */
  confidence?: number;
}

/** Restricts a scored metric to the given dataset indices (in that order). */
function restrict(m: ScoredMetric, indices: readonly number[]): { stats: number[][]; perItem: number[] } {
  const at = new Map(m.indices.map((ix, k) => [ix, k]));
  const ks = indices.map((ix) => at.get(ix)!);
  return { stats: ks.map((k) => m.stats[k]!), perItem: ks.map((k) => m.perItem[k]!) };
}

/** Compares run B against run A metric by metric, on the items both scored. */
export function compareScored(a: readonly ScoredMetric[], b: readonly ScoredMetric[], options: CompareOptions = {}): MetricComparison[] {
  const out: MetricComparison[] = [];
  for (const ma of a) {
    const mb = b.find((x) => x.name === ma.name && x.kind === ma.kind && JSON.stringify(x.options) === JSON.stringify(ma.options));
    if (!mb) continue;
    const inB = new Set(mb.indices);
    const shared = ma.indices.filter((ix) => inB.has(ix));
    if (shared.length === 0) continue;
    const ra = restrict(ma, shared);
    const rb = restrict(mb, shared);
    const bootOptions = { ...options, higherIsBetter: ma.higherIsBetter };
    const bootstrap =
      ma.kind === "metric"
        ? compareMetricResults(
            { name: ma.name, options: ma.options, score: 0, details: {}, perItem: ra.perItem, stats: ra.stats },
            { name: mb.name, options: mb.options, score: 0, details: {}, perItem: rb.perItem, stats: rb.stats },
            options,
          )
        : pairedBootstrap(ra.stats, rb.stats, meanScorer, bootOptions);
    const winIndices: number[] = [];
    const lossIndices: number[] = [];
    shared.forEach((ix, k) => {
      const d = (rb.perItem[k]! - ra.perItem[k]!) * (ma.higherIsBetter ? 1 : -1);
      if (d > 1e-12) winIndices.push(ix);
      else if (d < -1e-12) lossIndices.push(ix);
    });
    out.push({
      name: ma.name,
      kind: ma.kind,
      higherIsBetter: ma.higherIsBetter,
      bootstrap,
      wins: winIndices.length,
      losses: lossIndices.length,
      ties: shared.length - winIndices.length - lossIndices.length,
      winIndices,
      lossIndices,
    });
  }
  return out;
}
