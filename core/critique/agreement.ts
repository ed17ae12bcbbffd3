// Judge agreement: where a human and the AI judge both gave a preference for the same
// pair of responses, how often they pick the same winner (percent) and how much more
// than chance (Cohen's kappa). Pure; the feedback service and the renderer use it.
import type { Preference } from "./types.ts";

/**
 * Cohen's kappa of two raters' labels for the same items: (po - pe) / (1 - pe), where
 * po is the observed agreement and pe the agreement expected from each rater's label
 * frequencies. Null when there are no items or pe = 1 (both raters used one single
 * label, so chance explains everything and kappa is undefined).
 */
export function cohensKappa(items: readonly (readonly [string, string])[]): number | null {
  const n = items.length;
  if (n === 0) return null;
  const left = new Map<string, number>();
  const right = new Map<string, number>();
  let same = 0;
  for (const [x, y] of items) {
    left.set(x, (left.get(x) ?? 0) + 1);
    right.set(y, (right.get(y) ?? 0) + 1);
    if (x === y) same++;
  }
  const po = same / n;
  let pe = 0;
  for (const [label, count] of left) pe += (count / n) * ((right.get(label) ?? 0) / n);
  if (1 - pe < 1e-12) return null;
  return (po - pe) / (1 - pe);
}

/** Agreement between human and AI preferences. */
export interface AgreementReport {
  /** Human preferences that have a decided AI preference for the same pair. */
  pairs: number;
  /** Of those, how many picked the same winner. */
  agreed: number;
  /** agreed / pairs, 0..1; null when pairs is 0. */
  percent: number | null;
  /** Cohen's kappa over those pairs; null when undefined. */
  kappa: number | null;
  /** Human preferences whose pair the AI judged without a winner (its two orders disagreed). */
  undecided: number;
  /** Counts of [human winner][ai winner] ("a" = lower index of the pair). */
  matrix: { a: { a: number; b: number }; b: { a: number; b: number } };
}

type Labelled = Pick<Preference, "comparisonId" | "a" | "b" | "winner" | "source" | "createdAt">;

const keyOf = (p: Labelled) => `${p.comparisonId}:${p.a}:${p.b}`;

/**
 * Compares every human preference with the newest AI preference for the same pair (a
 * pair judged again replaces the earlier judgement). Pairs only one side has are left out.
 */
export function judgeAgreement(preferences: readonly Labelled[]): AgreementReport {
  const ai = new Map<string, Labelled>();
  for (const p of preferences) {
    if (p.source !== "ai") continue;
    const k = keyOf(p);
    const have = ai.get(k);
    if (!have || have.createdAt <= p.createdAt) ai.set(k, p);
  }
  const items: [string, string][] = [];
  const matrix = { a: { a: 0, b: 0 }, b: { a: 0, b: 0 } };
  let undecided = 0;
  for (const h of preferences) {
    if (h.source !== "human" || !h.winner) continue;
    const j = ai.get(keyOf(h));
    if (!j) continue;
    if (!j.winner) {
      undecided++;
      continue;
    }
    items.push([h.winner, j.winner]);
    matrix[h.winner][j.winner]++;
  }
  const agreed = items.filter(([x, y]) => x === y).length;
  return {
    pairs: items.length,
    agreed,
    percent: items.length ? agreed / items.length : null,
    kappa: cohensKappa(items),
    undecided,
    matrix,
  };
}
