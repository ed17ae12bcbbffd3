// The forgetting check's domain: a report that runs chosen suites on the base model and on
// an adapter set (through the ordinary evaluation runs), compares each suite's primary
// metric with a paired bootstrap, and flags a significant drop on a "guard" suite (one the
// adapter was not meant for) as catastrophic forgetting. The pure verdict logic and the
// store port live here; core/services/forgetting.ts runs checks, db/forgetting.ts stores them.
import type { MetricComparison } from "./scoring.ts";
import type { RunAdapter, TaskType } from "./types.ts";

/** What a suite is to the check: "target" = the adapter was trained for it; "guard" = it was not (watched for forgetting). */
export type ForgettingRole = "target" | "guard";

/** Where the adapter set left a suite's primary metric, read off the CI of the delta (in the better direction). */
export type ForgettingVerdict =
  /** The whole interval is better than the base. */
  | "improved"
  /** The interval contains zero: no change the data can show. */
  | "no_change"
  /** The whole interval is worse than the base. */
  | "worse";

/** A suite's primary metric, base vs adapter set. */
export interface ForgettingDelta {
  /** Metric (registry name or judge name): the suite's first metric. */
  metric: string;
  /** Whether larger values of the metric are better (perplexity: false). */
  higherIsBetter: boolean;
  /** Metric on the base, over the items both runs scored. */
  base: number;
  /** Metric under the adapter set, same items. */
  adapter: number;
  /** adapter - base, in metric units (not direction-corrected). */
  delta: number;
  /** Paired bootstrap interval of the delta (metric units). */
  ciLow: number;
  ciHigh: number;
  /** Confidence level of [ciLow, ciHigh]. */
  confidence: number;
  /** Two-sided paired bootstrap p-value of the delta. */
  pValue: number;
  /** Items in the comparison. */
  items: number;
  verdict: ForgettingVerdict;
  /** A guard suite whose interval lies wholly below -threshold (in the better direction): catastrophic forgetting. */
  forgetting: boolean;
}

/** One suite of a report. */
export interface ForgettingSuiteResult {
  suiteId: string;
  /** The suite's name when the check started. */
  suiteName: string;
  role: ForgettingRole;
  task: TaskType;
  /** The evaluation run on the base (null until started). */
  baseRunId: string | null;
  /** The evaluation run under the adapter set (null until started). */
  adapterRunId: string | null;
  /** The comparison, once both runs are complete. */
  result: ForgettingDelta | null;
  /** Why the suite could not be compared (a failed run, no metric). */
  error: string | null;
}

/** How a check was run. */
export interface ForgettingConfig {
  /** A guard suite is flagged when its CI upper bound (better direction) is below -threshold, in metric units. */
  threshold: number;
  /** Bootstrap resamples. */
  samples: number;
  /** Bootstrap seed. */
  seed: number;
  /** Sampling preset whose decoding fields the runs used; null = each suite's own sampling. */
  presetId: string | null;
  /** The sampling overrides sent to every run (both sides get the same, seed included); null = none. */
  sampling: Record<string, unknown> | null;
  /** Items per suite (the first N); null = all. */
  limit: number | null;
}

/** Status of a check. */
export type ForgettingStatus = "running" | "paused" | "complete" | "cancelled" | "error";

/** A forgetting check, stored and reopened. */
export interface ForgettingReport {
  id: string;
  status: ForgettingStatus;
  /** Catalog model id (null when the model was removed later). */
  modelId: string | null;
  modelName: string;
  /** The adapter set compared with the base. */
  adapters: RunAdapter[];
  /** Free label. */
  label: string;
  config: ForgettingConfig;
  suites: ForgettingSuiteResult[];
  /** Guard suites flagged as forgetting. */
  flagged: number;
  /** Why the check failed as a whole. */
  error: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** Storage of reports (db/forgetting.ts on SQLite). Every method rejects with a StoreError. */
export interface ForgettingStore {
  /** Inserts or replaces a report by id. */
  saveReport(report: ForgettingReport): Promise<void>;
  getReport(id: string): Promise<ForgettingReport | null>;
  /** Newest first. */
  listReports(): Promise<ForgettingReport[]>;
  deleteReport(id: string): Promise<boolean>;
}

/** What assessDelta reads of a comparison. */
export interface DeltaInterval {
  delta: number;
  ciLow: number;
  ciHigh: number;
  higherIsBetter: boolean;
}

/**
 * The verdict and the forgetting flag of one suite. The interval is turned to the better
 * direction first (a perplexity rise is a drop); a guard suite is flagged only when the
 * whole interval lies below -threshold, so a noisy zero (an interval across 0) never is.
 */
export function assessDelta(role: ForgettingRole, c: DeltaInterval, threshold: number): { verdict: ForgettingVerdict; forgetting: boolean } {
  const sign = c.higherIsBetter ? 1 : -1;
  const lo = Math.min(c.ciLow * sign, c.ciHigh * sign);
  const hi = Math.max(c.ciLow * sign, c.ciHigh * sign);
  const verdict: ForgettingVerdict = lo > 0 ? "improved" : hi < 0 ? "worse" : "no_change";
  return { verdict, forgetting: role === "guard" && hi < -Math.abs(threshold) };
}

/** The suite's primary metric out of a run comparison (its first metric, judges after metrics), as a ForgettingDelta. */
export function primaryDelta(role: ForgettingRole, metrics: readonly MetricComparison[], threshold: number): ForgettingDelta | null {
  const m = metrics[0];
  if (!m) return null;
  const b = m.bootstrap;
  return {
    metric: m.name,
    higherIsBetter: m.higherIsBetter,
    base: b.scoreA,
    adapter: b.scoreB,
    delta: b.delta,
    ciLow: b.ciLow,
    ciHigh: b.ciHigh,
    confidence: b.confidence,
    pValue: b.pValue,
    items: b.items,
    ...assessDelta(role, { delta: b.delta, ciLow: b.ciLow, ciHigh: b.ciHigh, higherIsBetter: m.higherIsBetter }, threshold),
  };
}

/** Guard suites flagged in a report. */
export function countFlagged(suites: readonly ForgettingSuiteResult[]): number {
  return suites.filter((s) => s.result?.forgetting === true).length;
}
