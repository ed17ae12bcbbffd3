// The sampling explainer's math against hand-worked distributions: each stage of
// llama.cpp's chain (token bias, penalties, top-k, top-p, min-p, XTC, temperature) in
// order, greedy decoding, entropy and kept counts, and the diversity metric.
import { describe, expect, it } from "vitest";
import { resolveSamplingConfig, type SamplingConfigInput } from "../../../core/sampling/config.ts";
import { distinctNgramRatio, entropy, explainSampling, type DistributionToken } from "../../../core/sampling/explain.ts";

/** Four tokens a..d (ids 10..13) with probabilities 0.5, 0.3, 0.15, 0.05. */
const four: DistributionToken[] = [
  { id: 12, piece: "c", prob: 0.15 },
  { id: 10, piece: "a", prob: 0.5 },
  { id: 13, piece: "d", prob: 0.05 },
  { id: 11, piece: "b", prob: 0.3 },
];
/** Everything off but what the test sets. */
const plain = (c: SamplingConfigInput) => resolveSamplingConfig({ temperature: 1, topK: 0, topP: 1, minP: 0, ...c });
const finalById = (e: ReturnType<typeof explainSampling>) => Object.fromEntries(e.tokens.map((t, i) => [t.piece, e.final[i]!]));
const stage = (e: ReturnType<typeof explainSampling>, s: string) => e.stages.find((x) => x.stage === s)!;

describe("explainSampling", () => {
  it("orders tokens most likely first and reports stages in the engine's chain order", () => {
    const e = explainSampling(four, plain({}));
    expect(e.tokens.map((t) => t.piece)).toEqual(["a", "b", "c", "d"]);
    expect(e.stages.map((s) => s.stage)).toEqual(["tokenBias", "repeatPenalty", "dry", "topK", "topP", "minP", "xtc", "temperature"]);
    expect(e.stages.every((s) => !s.active)).toBe(true);
    expect(e.final.map((p) => +p.toFixed(10))).toEqual([0.5, 0.3, 0.15, 0.05]);
    expect(e.finalKept).toBe(4);
    expect(e.rawEntropy).toBeCloseTo(-(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.15 * Math.log(0.15) + 0.05 * Math.log(0.05)), 12);
    expect(e.tailMass).toBeCloseTo(0, 12);
  });

  it("temperature 0 leaves one token at probability 1 and skips the truncation stages", () => {
    const e = explainSampling(four, resolveSamplingConfig({ temperature: 0, topK: 2, topP: 0.5, minP: 0.5 }));
    expect(e.greedy).toBe(true);
    expect(e.final).toEqual([1, 0, 0, 0]);
    expect(e.finalKept).toBe(1);
    expect(e.finalEntropy).toBe(0);
    for (const s of ["topK", "topP", "minP"]) expect(stage(e, s).active).toBe(false);
    expect(stage(e, "temperature").kept).toBe(1);
  });

  it("greedy breaks a tie toward the lower token id, as argmax over vocabulary order does", () => {
    const tie = [
      { id: 7, piece: "x", prob: 0.4 },
      { id: 3, piece: "y", prob: 0.4 },
      { id: 9, piece: "z", prob: 0.2 },
    ];
    const e = explainSampling(tie, resolveSamplingConfig({ temperature: 0 }));
    expect(finalById(e)).toEqual({ y: 1, x: 0, z: 0 });
  });

  it("top-k 3 keeps exactly the three most likely tokens, renormalised", () => {
    const e = explainSampling(four, plain({ topK: 3 }));
    const f = finalById(e);
    expect(e.finalKept).toBe(3);
    expect(stage(e, "topK").removed).toEqual([13]);
    expect(f.d).toBe(0);
    expect(f.a).toBeCloseTo(0.5 / 0.95, 12);
    expect(f.c).toBeCloseTo(0.15 / 0.95, 12);
  });

  it("top-p keeps the fewest tokens whose mass reaches p (inclusive)", () => {
    expect(explainSampling(four, plain({ topP: 0.79 })).finalKept).toBe(2);
    expect(explainSampling(four, plain({ topP: 0.81 })).finalKept).toBe(3);
    expect(explainSampling(four, plain({ topP: 0 })).finalKept).toBe(1);
    expect(stage(explainSampling(four, plain({ topP: 1 })), "topP").active).toBe(false);
  });

  it("min-p drops tokens under p times the top token's probability", () => {
    const e = explainSampling(four, plain({ minP: 0.25 }));
    // 0.25 x 0.5 = 0.125: a, b, c stay; d (0.05) goes.
    expect(stage(e, "minP").removed).toEqual([13]);
    expect(e.finalKept).toBe(3);
    expect(explainSampling(four, plain({ minP: 0.7 })).finalKept).toBe(1);
  });

  it("applies temperature after truncation: p^(1/T) over the kept tokens", () => {
    const e = explainSampling(four, plain({ topK: 2, temperature: 2 }));
    const z = Math.sqrt(0.5) + Math.sqrt(0.3);
    expect(e.final[0]).toBeCloseTo(Math.sqrt(0.5) / z, 12);
    expect(e.final[1]).toBeCloseTo(Math.sqrt(0.3) / z, 12);
    expect(e.finalKept).toBe(2);
    // Entropy rises with temperature.
    const h = [0.2, 0.5, 1, 1.5, 3].map((t) => explainSampling(four, plain({ temperature: t })).finalEntropy);
    expect(h).toEqual([...h].sort((x, y) => x - y));
    expect(h[0]).toBeLessThan(0.3);
  });

  it("applies frequency and presence penalties to recent tokens exactly, skipping the newline token", () => {
    const config = plain({ repeatPenalty: { frequencyPenalty: 0.5, presencePenalty: 0.25, lastTokens: 3 } });
    // Window = last 3 tokens [10, 10, 99(newline)] -> newline skipped: a twice.
    const e = explainSampling(four, config, { recentTokens: [11, 10, 10, 99], newlineToken: 99 });
    const logits = [Math.log(0.5) - 2 * 0.5 - 0.25, Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    const z = logits.reduce((s, l) => s + Math.exp(l), 0);
    expect(e.final[0]).toBeCloseTo(Math.exp(logits[0]!) / z, 12);
    expect(e.final[1]).toBeCloseTo(0.3 / z, 12);
    expect(stage(e, "repeatPenalty").exact).toBe(true);
    // The multiplicative penalty needs raw logits: marked as an approximation.
    const m = explainSampling(four, plain({ repeatPenalty: { penalty: 1.3 } }), { recentTokens: [10] });
    expect(stage(m, "repeatPenalty").exact).toBe(false);
    expect(m.final[0]).toBeLessThan(0.5);
  });

  it("token bias adds to logits; 'never' removes a token", () => {
    const e = explainSampling(four, plain({}), { tokenBias: [{ id: 10, logit: "never" }, { id: 13, logit: Math.log(2) }] });
    const f = finalById(e);
    expect(f.a).toBe(0);
    expect(stage(e, "tokenBias").removed).toEqual([10]);
    const z = 0.3 + 0.15 + 0.1;
    expect(f.d).toBeCloseTo(0.1 / z, 12);
    expect(e.finalKept).toBe(3);
    // As node-llama-cpp: the last entry for a token wins, and end-of-text tokens cannot be biased.
    const h = explainSampling(four, plain({}), { tokenBias: [{ id: 10, logit: 5 }, { id: 10, logit: 0 }, { id: 13, logit: "never" }], eogTokens: [13] });
    expect(h.final.map((p) => +p.toFixed(10))).toEqual([0.5, 0.3, 0.15, 0.05]);
    expect(stage(h, "tokenBias").note).toMatch(/end-of-text ignored/);
    // Numeric entries of the config itself work without a tokenizer.
    const g = explainSampling(four, plain({ tokenBias: [{ token: 11, logit: "never" }] }));
    expect(finalById(g).b).toBe(0);
  });

  it("XTC shows the expected mixture: with its probability the top choices above the threshold go (but the last of them)", () => {
    const e = explainSampling(four, plain({ xtc: { probability: 0.5, threshold: 0.1 } }));
    // a, b, c reach 0.1: a and b are removed when XTC fires, c and d stay.
    expect(stage(e, "xtc").removed).toEqual([10, 11]);
    expect(e.xtcChance).toBe(0.5);
    expect(e.final[0]).toBeCloseTo(0.25, 12);
    expect(e.final[2]).toBeCloseTo(0.5 * 0.15 + 0.5 * 0.75, 12);
    expect(e.final.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    expect(explainSampling(four, plain({ xtc: { probability: 1, threshold: 0.6 } })).xtcChance).toBe(0);
  });

  it("renormalises a top-N list and reports the mass outside it", () => {
    const e = explainSampling([{ id: 1, piece: "a", prob: 0.6 }, { id: 2, piece: "b", prob: 0.2 }], plain({}));
    expect(e.tailMass).toBeCloseTo(0.2, 12);
    expect(e.raw[0]).toBeCloseTo(0.75, 12);
  });
});

describe("entropy and distinctNgramRatio", () => {
  it("entropy of a uniform distribution over 4 is ln 4", () => {
    expect(entropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(Math.log(4), 12);
    expect(entropy([1, 0])).toBe(0);
  });
  it("counts distinct bigrams over all bigrams", () => {
    expect(distinctNgramRatio("abab")).toBeCloseTo(2 / 3, 12);
    expect(distinctNgramRatio("aaaa")).toBeCloseTo(1 / 3, 12);
    expect(distinctNgramRatio([1, 2, 3, 4], 2)).toBe(1);
    expect(distinctNgramRatio("a")).toBe(0);
  });
});
