// Judge agreement: Cohen's kappa on known tables, its undefined cases, and matching
// human preferences to the newest AI judgement of the same pair.
import { cohensKappa, judgeAgreement } from "../../../core/critique/agreement.ts";
import type { Preference } from "../../../core/critique/types.ts";

const items = (table: [string, string, number][]) => table.flatMap(([x, y, n]) => Array.from({ length: n }, () => [x, y] as [string, string]));

type P = Pick<Preference, "comparisonId" | "a" | "b" | "winner" | "source" | "createdAt">;
const pref = (source: "human" | "ai", a: number, b: number, winner: "a" | "b" | null, createdAt = 1, comparisonId = "c1"): P => ({ comparisonId, source, a, b, winner, createdAt });

describe("Cohen's kappa", () => {
  it("matches hand-computed values", () => {
    // po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5 -> 0.4
    expect(cohensKappa(items([["a", "a", 4], ["a", "b", 1], ["b", "a", 2], ["b", "b", 3]]))).toBeCloseTo(0.4, 12);
    // The classic 50-item example: po = 0.7, pe = 0.5 -> 0.4
    expect(cohensKappa(items([["y", "y", 20], ["y", "n", 5], ["n", "y", 10], ["n", "n", 15]]))).toBeCloseTo(0.4, 12);
    // Perfect agreement with both labels used: 1; systematic disagreement: -1.
    expect(cohensKappa(items([["a", "a", 3], ["b", "b", 2]]))).toBeCloseTo(1, 12);
    expect(cohensKappa(items([["a", "b", 2], ["b", "a", 2]]))).toBeCloseTo(-1, 12);
  });

  it("is undefined (null) with no items or when chance explains everything", () => {
    expect(cohensKappa([])).toBeNull();
    expect(cohensKappa(items([["a", "a", 5]]))).toBeNull();
  });
});

describe("judgeAgreement", () => {
  it("compares human preferences with the newest AI judgement of the same pair", () => {
    const report = judgeAgreement([
      pref("human", 0, 1, "a"),
      pref("human", 0, 2, "b"),
      pref("human", 1, 2, "a"),
      pref("human", 0, 3, "a"), // no AI judgement: left out
      pref("ai", 0, 1, "b", 1),
      pref("ai", 0, 1, "a", 2), // newer: replaces the "b" above
      pref("ai", 0, 2, "b"),
      pref("ai", 1, 2, "b"),
      pref("ai", 0, 1, "a", 1, "other"),
    ]);
    expect(report.pairs).toBe(3);
    expect(report.agreed).toBe(2);
    expect(report.percent).toBeCloseTo(2 / 3, 12);
    expect(report.matrix).toEqual({ a: { a: 1, b: 1 }, b: { a: 0, b: 1 } });
    // human a,b,a vs ai a,b,b: po = 2/3; pe = (2/3)(1/3) + (1/3)(2/3) = 4/9 -> (2/3 - 4/9)/(5/9) = 0.4
    expect(report.kappa).toBeCloseTo(0.4, 12);
    expect(report.undecided).toBe(0);
  });

  it("counts pairs the AI left undecided (its orders disagreed) apart", () => {
    const report = judgeAgreement([pref("human", 0, 1, "a"), pref("ai", 0, 1, null), pref("human", 1, 2, "b"), pref("ai", 1, 2, "b")]);
    expect(report).toMatchObject({ pairs: 1, agreed: 1, percent: 1, undecided: 1, kappa: null });
  });
});
