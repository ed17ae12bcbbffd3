// Seeded bootstrap: a deterministic PRNG, numpy-style percentiles, paired comparisons of two
// runs (per-item means and corpus metrics re-aggregated from statistics) and single-run intervals.
import { corpusBleu } from "../../../core/eval/bleu.ts";
import {
  bootstrapInterval,
  createRng,
  meanScorer,
  pairedBootstrap,
  pairedBootstrapMeans,
  percentileSorted,
  randomIndex,
} from "../../../core/eval/bootstrap.ts";
import { compareMetricResults, computeMetric } from "../../../core/eval/registry.ts";

describe("createRng", () => {
  it("is xoshiro128** with fixed output for a seed", () => {
    const next = createRng(12345);
    expect([next(), next(), next()]).toEqual([518667457, 440444462, 4232892992]);
    const zero = createRng(0);
    expect([zero(), zero()]).toEqual([3809008728, 1133695204]);
  });

  it("draws indices in range, covering all of them", () => {
    const next = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const k = randomIndex(next, 3);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThan(3);
      seen.add(k);
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });
});

describe("percentileSorted", () => {
  it("matches numpy.percentile's linear interpolation", () => {
    const sorted = [1, 1, 2, 3, 4, 5, 6, 9];
    expect([0, 2.5, 25, 50, 97.5, 100].map((q) => percentileSorted(sorted, q))).toEqual([
      1, 1, 1.75, 3.5, 8.475000000000001, 9,
    ]);
    expect(percentileSorted([7], 50)).toBe(7);
  });
});

describe("pairedBootstrap", () => {
  const a = [0, 1, 0, 1, 0, 1, 0, 0];
  const b = [1, 1, 1, 1, 0, 1, 1, 0];

  it("is deterministic for a seed and changes with the seed", () => {
    const r1 = pairedBootstrapMeans(a, b, { samples: 200, seed: 3 });
    const r2 = pairedBootstrapMeans(a, b, { samples: 200, seed: 3 });
    expect(r2).toEqual(r1);
    expect(r1).toMatchObject({
      scoreA: 0.375,
      scoreB: 0.75,
      delta: 0.375,
      ciLow: 0.125,
      ciHigh: 0.75,
      samples: 200,
      seed: 3,
    });
    expect(r1.pValue).toBeCloseTo(9 / 201, 12);
    const r3 = pairedBootstrapMeans(a, b, { samples: 200, seed: 4 });
    expect(r3.meanDelta).not.toBe(r1.meanDelta);
  });

  it("reports no difference for identical runs", () => {
    const r = pairedBootstrapMeans(a, a, { samples: 100 });
    expect(r).toMatchObject({
      delta: 0,
      meanDelta: 0,
      ciLow: 0,
      ciHigh: 0,
      pValue: 1,
      fractionBBetter: 0,
      fractionABetter: 0,
    });
  });

  it("reports a sure difference when B wins on every item", () => {
    const r = pairedBootstrapMeans([0, 0, 0, 0], [1, 1, 1, 1], { samples: 99 });
    expect(r).toMatchObject({ delta: 1, ciLow: 1, ciHigh: 1, fractionBBetter: 1, pValue: 1 / 100 });
  });

  it("counts B as better when it is lower for lower-is-better metrics", () => {
    const r = pairedBootstrapMeans([5, 6, 7], [3, 4, 5], { samples: 50, higherIsBetter: false });
    expect(r.delta).toBe(-2);
    expect([r.fractionBBetter, r.fractionABetter]).toEqual([1, 0]);
  });

  it("re-aggregates corpus statistics per resample instead of averaging item scores", () => {
    const hyps = ["the cat sat on the mat", "a b c d e", "one two three four"];
    const refs = [["the cat sat on a mat"], ["a b c d f"], ["one two three five"]];
    const A = computeMetric(
      "bleu",
      {},
      hyps.map((prediction, i) => ({ prediction, references: refs[i]! })),
    );
    const B = computeMetric(
      "bleu",
      {},
      refs.map((r) => ({ prediction: r[0]!, references: r })),
    );
    const r = compareMetricResults(A, B, { samples: 300, seed: 7 });
    expect(r.scoreA).toBe(corpusBleu(hyps, refs).score);
    expect(r.scoreA).not.toBeCloseTo(A.perItem.reduce((x, y) => x + y, 0) / 3, 3);
    expect(r.scoreB).toBeCloseTo(100, 9);
    expect(r.ciLow).toBeGreaterThan(0);
    expect(r.ciHigh).toBeLessThanOrEqual(100);
  });

  it("rejects runs of different sizes or empty runs", () => {
    expect(() => pairedBootstrapMeans([1], [1, 2])).toThrow(/1 items but run B has 2/);
    expect(() => pairedBootstrap([], [], meanScorer)).toThrow(/no items/);
    expect(() => pairedBootstrapMeans([1], [1], { samples: 0 })).toThrow();
  });
});

describe("bootstrapInterval", () => {
  it("brackets the score with percentile bounds", () => {
    const stats = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1].map((x) => [x]);
    const r = bootstrapInterval(stats, meanScorer, { samples: 500, seed: 1, confidence: 0.9 });
    expect(r.score).toBe(0.7);
    expect(r.low).toBeLessThan(0.7);
    expect(r.high).toBeGreaterThan(0.7);
    expect(r.low).toBeGreaterThanOrEqual(0);
    expect(r.high).toBeLessThanOrEqual(1);
    expect(bootstrapInterval(stats, meanScorer, { samples: 500, seed: 1, confidence: 0.9 })).toEqual(r);
  });
});
