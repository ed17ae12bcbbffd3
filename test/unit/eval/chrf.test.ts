// chrF / chrF++ rules from shared/metrics/SPEC.md §3. Expected values come from sacrebleu
// 2.6.0 CHRF on these inputs.
import { chrfWords, corpusChrf, sentenceChrf, type ChrfOptions } from "../../../core/eval/chrf.ts";

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

function check(hyp: string, refs: string[], score: number, stats: number[], options?: ChrfOptions): void {
  const got = sentenceChrf(hyp, refs, options);
  expect(got.stats).toEqual(stats);
  expect(Math.abs(got.score - score)).toBeLessThanOrEqual(1e-9);
}

describe("chrF", () => {
  it("deletes all Python whitespace (U+001C, U+0085) but not U+FEFF", () => {
    check("ab\x1ccd\x85", ["abcd"], 100, [4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, ...zeros(6)]);
    check("ab\ufeffcd", ["abcd"], 39.44174757281553, [5, 4, 4, 4, 3, 2, 3, 2, 0, 2, 1, 0, ...zeros(6)]);
  });

  it("counts an astral character as one code point", () => {
    check("😀😀", ["😀"], 83.33333333333334, [2, 1, 1, ...zeros(15)]);
  });

  it("counts hypothesis n-grams only for orders the reference has", () => {
    check("abcdef", ["ab"], 64.51612903225808, [6, 2, 2, 5, 1, 1, ...zeros(12)]);
  });

  it("lowercases, weights recall by beta and keeps whitespace on request", () => {
    check("The CAT", ["the cat"], 100, [6, 6, 6, 5, 5, 5, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1], {
      lowercase: true,
    });
    check(
      "the cat sat",
      ["the cat sat on the mat"],
      61.15287095833241,
      [9, 17, 9, 8, 16, 8, 7, 15, 7, 6, 14, 6, 5, 13, 5, 4, 12, 4],
      {
        beta: 1,
      },
    );
    check("a b", ["ab"], 45.45454545454545, [3, 2, 2, 2, 1, 0, ...zeros(12)], { whitespace: true });
  });

  it("averages per-order F with 1e-16 for undefined terms under eps smoothing", () => {
    check(
      "the cat",
      ["the mat"],
      28.055555555555557,
      [6, 6, 5, 5, 5, 3, 4, 4, 1, 3, 3, 0, 2, 2, 0, 1, 1, 0],
      {
        epsSmoothing: true,
      },
    );
    check("ab", ["abcdefgh"], 7.775524002704529, [2, 8, 2, 1, 7, 1, 0, 6, 0, 0, 5, 0, 0, 4, 0, 0, 3, 0], {
      epsSmoothing: true,
    });
  });

  it("keeps the best reference's statistics, the first one on ties", () => {
    check("abcd", ["abcx", "abcd", "abcd"], 100, [4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, ...zeros(6)]);
    // Both references score 0; the first one's statistics are kept.
    expect(corpusChrf(["aa"], [["b", "bbbb"]]).stats).toEqual([2, 1, 0, ...zeros(15)]);
    expect(corpusChrf(["aa"], [["bbbb", "b"]]).stats).toEqual([
      2,
      4,
      0,
      1,
      3,
      0,
      0,
      2,
      0,
      0,
      1,
      0,
      ...zeros(6),
    ]);
  });

  it("gives 0 when nothing matches and rejects bad input", () => {
    expect(sentenceChrf("!!! ... ???", ["hello world"]).score).toBe(0);
    expect(sentenceChrf("", ["abc"]).score).toBe(0);
    expect(() => corpusChrf([], [])).toThrow(/empty corpus/);
    expect(() => corpusChrf(["a"], [[]])).toThrow(/at least one reference/);
    expect(() => sentenceChrf("a", ["a"], { charOrder: 0, wordOrder: 0 })).toThrow();
  });
});

describe("chrF++ (word order 2)", () => {
  it("splits one leading or trailing ASCII punctuation off each word", () => {
    expect(chrfWords("(hi) there. !x .y, a - 'quoted' é! «a» 😀.")).toEqual([
      "(hi",
      ")",
      "there",
      ".",
      "!",
      "x",
      ".y",
      ",",
      "a",
      "-",
      "'quoted",
      "'",
      "é",
      "!",
      "«a»",
      "😀",
      ".",
    ]);
  });

  it("adds word uni- and bigram statistics after the character orders", () => {
    check(
      "(hi) there.",
      ["hi there"],
      41.92967108983681,
      [10, 7, 7, 9, 6, 5, 8, 5, 3, 7, 4, 2, 6, 3, 1, 5, 2, 0, 4, 2, 1, 3, 1, 0],
      { wordOrder: 2 },
    );
    check(
      "a (hi there) .x",
      ["a hi there. x"],
      63.33162739426146,
      [12, 10, 10, 11, 9, 7, 10, 8, 5, 9, 7, 4, 8, 6, 3, 7, 5, 2, 7, 5, 5, 6, 4, 2],
      { wordOrder: 2 },
    );
  });
});
