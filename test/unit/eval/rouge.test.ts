// ROUGE rules from shared/metrics/SPEC.md §1 that a port gets wrong most easily. Expected
// values come from rouge-score's scorer with NLTK 3.8 (run on these exact inputs).
import { rougeScore, rougeScoreMulti, rougeTokenize, type RougeScore } from "../../../core/eval/rouge.ts";

const prf = (s: RougeScore | undefined): number[] => [s!.precision, s!.recall, s!.fmeasure];

describe("rouge tokenizer", () => {
  it("keeps only ASCII [a-z0-9] runs after Python lower()", () => {
    expect(rougeTokenize("Don't stop, café naïve İstanbul 我爱北京 😀 a_b x-y \u212aelvin 3.14")).toEqual([
      "don",
      "t",
      "stop",
      "caf",
      "na",
      "ve",
      "i",
      "stanbul",
      "a",
      "b",
      "x",
      "y",
      "kelvin",
      "3",
      "14",
    ]);
  });

  it("gives no tokens for CJK-only or emoji-only text", () => {
    expect(rougeTokenize("我爱北京")).toEqual([]);
    expect(rougeTokenize("😀👩‍💻")).toEqual([]);
  });

  it("stems only tokens longer than 3 characters", () => {
    expect(rougeTokenize("ran runs running dies lies was wa flies", true)).toEqual([
      "ran",
      "run",
      "run",
      "die",
      "lie",
      "was",
      "wa",
      "fli",
    ]);
  });
});

describe("rougeScore", () => {
  it("takes the reference first: precision is against the prediction", () => {
    const s = rougeScore("the cat sat on the mat", "cat mat", { types: ["rouge1"] });
    expect(prf(s.rouge1)).toEqual([1, 1 / 3, 0.5]);
  });

  it("returns 0/0/0 for empty or token-less sides instead of failing", () => {
    for (const [ref, pred] of [
      ["", "x"],
      ["x", ""],
      ["\n \n", "x"],
      [" ", " "],
      ["!!!", "???"],
    ] as const) {
      const s = rougeScore(ref, pred);
      for (const type of ["rouge1", "rouge2", "rougeL", "rougeLsum"] as const)
        expect(prf(s[type])).toEqual([0, 0, 0]);
    }
  });

  it("supports rouge3..rouge9", () => {
    expect(prf(rougeScore("a b c d e", "a b c d e f", { types: ["rouge3"] }).rouge3)).toEqual([
      0.75, 1, 0.8571428571428571,
    ]);
  });

  it("splits rougeLsum sentences on \\n only (\\r and U+2028 stay inside the line)", () => {
    const opts = { types: ["rougeL" as const, "rougeLsum" as const] };
    expect(prf(rougeScore("a b\rc d", "c d a b", opts).rougeLsum)).toEqual([0.5, 0.5, 0.5]);
    expect(prf(rougeScore("a b\u2028c d", "c d a b", opts).rougeLsum)).toEqual([0.5, 0.5, 0.5]);
    const split = rougeScore("a b\n\nc d", "c d a b", opts);
    expect(prf(split.rougeL)).toEqual([0.5, 0.5, 0.5]);
    expect(prf(split.rougeLsum)).toEqual([1, 1, 1]);
  });

  it("uses rouge-score's backtrack tie rule for the union LCS (the reference index moves on ties)", () => {
    // With the other tie choice the union would hold 1 hit instead of 2.
    expect(prf(rougeScore("b a", "c c a\na b b", { types: ["rougeLsum"] }).rougeLsum)).toEqual([
      1 / 3,
      1,
      0.5,
    ]);
  });

  it("counts each token once across sentences in rougeLsum", () => {
    const s = rougeScore("a b a\na b", "a a b\nb a a", { types: ["rougeLsum"] });
    expect(prf(s.rougeLsum)).toEqual([0.8333333333333334, 1, 0.9090909090909091]);
  });
});

describe("rougeScoreMulti", () => {
  it("keeps, per type, the reference with the best F", () => {
    const s = rougeScoreMulti(
      ["the cat sat on the mat", "mat the on sat cat the cat"],
      "the cat sat the mat",
    );
    expect(prf(s.rouge1)).toEqual([1, 0.8333333333333334, 0.9090909090909091]);
    expect(prf(s.rouge2)).toEqual([0.75, 0.6, 0.6666666666666665]);
    expect(prf(s.rougeL)).toEqual([1, 0.8333333333333334, 0.9090909090909091]);
  });

  it("keeps the first reference on ties", () => {
    // Same F (2/3) from different precision and recall: the order decides.
    expect(prf(rougeScoreMulti(["a b c d", "a"], "a b", { types: ["rouge1"] }).rouge1)).toEqual([
      1,
      0.5,
      2 / 3,
    ]);
    expect(prf(rougeScoreMulti(["a", "a b c d"], "a b", { types: ["rouge1"] }).rouge1)).toEqual([
      0.5,
      1,
      2 / 3,
    ]);
  });

  it("rejects an empty reference list and unknown types", () => {
    expect(() => rougeScoreMulti([], "x")).toThrow(/at least one reference/);
    expect(() => rougeScore("a", "a", { types: ["rougeX" as "rougeL"] })).toThrow();
  });
});
