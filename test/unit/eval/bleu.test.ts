// BLEU rules from shared/metrics/SPEC.md §2: tokenizers, smoothing, effective order, brevity
// penalty, reference lengths. Expected values come from sacrebleu 2.6.0 on these inputs.
import { bleuFromStats, corpusBleu, resolveBleuOptions, sentenceBleu } from "../../../core/eval/bleu.ts";
import { tokenizeChar, tokenizeIntl, tokens13a, tokensIntl } from "../../../core/eval/bleuTokenizers.ts";
import { createRng, randomIndex } from "../../../core/eval/bootstrap.ts";
import { pySplit } from "../../../core/eval/text.ts";

describe("13a tokenizer", () => {
  it.each([
    ["3.14 and 1,000 in 1990.", ["3.14", "and", "1,000", "in", "1990", "."]],
    ["don't e-mail state-of-the-art 5-3 -7", ["don't", "e-mail", "state-of-the-art", "5", "-", "3", "-7"]],
    ["&amp;lt;b&amp;gt; &quot;x&quot; AT&T", ["<", "b", ">", '"', "x", '"', "AT", "&", "T"]],
    ["a<skipped>b", ["ab"]],
    ["hyph-\nen\nline", ["hyphen", "line"]],
    [
      "x's ($5) [a] {b} a/b a\\b a^b a_b a`b a|b a~b @#%",
      [
        "x's",
        "(",
        "$",
        "5",
        ")",
        "[",
        "a",
        "]",
        "{",
        "b",
        "}",
        "a",
        "/",
        "b",
        "a",
        "\\",
        "b",
        "a",
        "^",
        "b",
        "a",
        "_",
        "b",
      ].concat(["a", "`", "b", "a", "|", "b", "a", "~", "b", "@", "#", "%"]),
    ],
    ["a.b,c U.S. end.", ["a", ".", "b", ",", "c", "U", ".", "S", ".", "end", "."]],
    ["😀. 😀,x", ["😀", ".", "😀", ",", "x"]],
    ["tab\there", ["tab", "here"]],
  ] as const)("%j", (line, tokens) => {
    expect(tokens13a(line)).toEqual(tokens);
  });

  // sacrebleu's four substitutions as regexes: the reference for the hand-written scans.
  function regex13a(line: string): string[] {
    let s = line.replaceAll("<skipped>", "").replaceAll("-\n", "").replaceAll("\n", " ");
    if (s.includes("&")) {
      s = s
        .replaceAll("&quot;", '"')
        .replaceAll("&amp;", "&")
        .replaceAll("&lt;", "<")
        .replaceAll("&gt;", ">");
    }
    s = ` ${s} `;
    s = s.replace(/([{-~[-` -&(-+:-@/])/g, " $1 ");
    s = s.replace(/([^0-9])([.,])/g, "$1 $2 ");
    s = s.replace(/([.,])([^0-9])/g, " $1 $2");
    s = s.replace(/([0-9])(-)/g, "$1 $2 ");
    return pySplit(s);
  }

  it("scans exactly like the four regex substitutions on random text", () => {
    const alphabet = [..."ab01.,- \t\n'&;<>\"$()[]{}/\\^_`|~!?@#%*+=:"].concat([
      "😀",
      "é",
      "&amp;",
      "&lt;",
      "<skipped>",
    ]);
    const next = createRng(99);
    for (let n = 0; n < 3000; n++) {
      let s = "";
      const len = randomIndex(next, 14);
      for (let k = 0; k < len; k++) s += alphabet[randomIndex(next, alphabet.length)]!;
      expect(tokens13a(s), JSON.stringify(s)).toEqual(regex13a(s));
    }
  });
});

describe("intl tokenizer", () => {
  it.each([
    ["Hello, world!", ["Hello", ",", "world", "!"]],
    ["in 1990.", ["in", "1990."]], // no end padding: the final period stays attached
    ["1990. And", ["1990", ".", "And"]],
    ["a—b", ["a", "—", "b"]],
    ["€5 $5", ["€", "5", "$", "5"]],
    ["3.14 1,000", ["3.14", "1,000"]],
    ["x… «a»", ["x", "…", "«", "a", "»"]],
    ["naïve café's", ["naïve", "café", "'", "s"]],
    ["😀!", ["😀", "!"]],
  ] as const)("%j", (line, tokens) => {
    expect(pySplit(tokenizeIntl(line))).toEqual(tokens);
  });
});

describe("intl scans", () => {
  // sacrebleu's three substitutions as Unicode regexes: the reference for the scans.
  function regexIntl(line: string): string[] {
    let s = line.replace(/(\P{N})(\p{P})/gu, "$1 $2 ");
    s = s.replace(/(\p{P})(\P{N})/gu, " $1 $2");
    s = s.replace(/(\p{S})/gu, " $1 ");
    return pySplit(s);
  }

  it("tokenize exactly like the three regex substitutions on random text", () => {
    // 𝟙 is an astral digit (Nd), 𝄞 an astral symbol (So), \ud800 a lone surrogate.
    const alphabet = [..."ab01.,-!?$+ '\"«»—…€٣²"].concat(["😀", "𝟙", "𝄞", "\ud800", "é", "\u3000"]);
    const next = createRng(5);
    for (let n = 0; n < 3000; n++) {
      let s = "";
      const len = randomIndex(next, 12);
      for (let k = 0; k < len; k++) s += alphabet[randomIndex(next, alphabet.length)]!;
      expect(tokensIntl(s), JSON.stringify(s)).toEqual(regexIntl(s));
    }
  });
});

describe("char and none tokenizers", () => {
  it("char makes every code point a token, astral characters included", () => {
    expect(pySplit(tokenizeChar("a😀 b"))).toEqual(["a", "😀", "b"]);
    const s = sentenceBleu("a😀 b", ["a😀b"], { tokenize: "char" });
    expect([s.score, s.sysLen, s.refLen]).toEqual([100.00000000000004, 3, 3]);
  });

  it("none only splits on whitespace", () => {
    const s = sentenceBleu("a,b c", ["a,b c"], { tokenize: "none" });
    expect([s.score, s.sysLen]).toEqual([100.00000000000004, 2]);
  });
});

describe("smoothing", () => {
  const hyp = "the dog sat on a mat";
  const refs = ["the cat sat on the mat"];
  it.each([
    [
      "exp",
      undefined,
      19.304869754804482,
      [66.66666666666667, 20.0, 12.5, 8.333333333333334],
      [4, 1, 0, 0],
      [6, 5, 4, 3],
    ],
    ["none", undefined, 0, [66.66666666666667, 20.0, 0, 0], [4, 1, 0, 0], [6, 5, 4, 3]],
    [
      "floor",
      undefined,
      10.266900960803408,
      [66.66666666666667, 20.0, 2.5, 3.3333333333333335],
      [4, 1, 0, 0],
      [6, 5, 4, 3],
    ],
    [
      "floor",
      0.5,
      22.957488466614336,
      [66.66666666666667, 20.0, 12.5, 16.666666666666668],
      [4, 1, 0, 0],
      [6, 5, 4, 3],
    ],
    // add-k reports counts and totals with k added, as sacrebleu does
    [
      "add-k",
      undefined,
      32.46679154750989,
      [66.66666666666667, 33.333333333333336, 20.0, 25.0],
      [4, 2, 1, 1],
      [6, 6, 5, 4],
    ],
    [
      "add-k",
      2,
      44.17918226831576,
      [66.66666666666667, 42.857142857142854, 33.333333333333336, 40.0],
      [4, 3, 2, 2],
      [6, 7, 6, 5],
    ],
  ] as const)("%s (k=%s)", (method, k, score, precisions, counts, totals) => {
    for (const effectiveOrder of [true, false]) {
      const s = sentenceBleu(hyp, refs, { smoothMethod: method, smoothValue: k, effectiveOrder });
      expect(Math.abs(s.score - score)).toBeLessThan(1e-9);
      expect(s.precisions).toEqual(precisions);
      expect(s.counts).toEqual(counts);
      expect(s.totals).toEqual(totals);
    }
  });

  it("exp doubles its divisor for each successive order without matches", () => {
    const s = sentenceBleu("x a y b", ["a b"]);
    expect(s.precisions).toEqual([50, 16.666666666666668, 12.5, 12.5]);
    expect(Math.abs(s.score - 18.99589214128981)).toBeLessThan(1e-9);
  });
});

describe("effective order and brevity penalty", () => {
  it('sentence BLEU of "a" vs ["a"] is 100 (the last ulps as sacrebleu)', () => {
    expect(sentenceBleu("a", ["a"]).score).toBe(100.00000000000004);
  });

  it("averages only orders that have n-grams when effective order is on", () => {
    expect(sentenceBleu("the cat sat", ["the cat sat on the mat"]).score).toBeCloseTo(36.78794411714425, 12);
    expect(sentenceBleu("the cat sat", ["the cat sat on the mat"], { effectiveOrder: false }).score).toBe(0);
  });

  it("corpus BLEU is exactly 0 when no hypothesis has 4 tokens, even if all match", () => {
    const s = corpusBleu(["a b c"], [["a b c"]]);
    expect(s.score).toBe(0);
    expect(s.counts).toEqual([3, 2, 1, 0]);
  });

  it("gives bp = 0 and score 0 for an empty hypothesis", () => {
    const s = sentenceBleu("", ["x y"]);
    expect([s.score, s.bp, s.sysLen, s.refLen]).toEqual([0, 0, 0, 2]);
  });

  it("takes the shorter reference length when two are equally close", () => {
    expect(sentenceBleu("a b c", ["a b", "a b c d"]).refLen).toBe(2);
  });

  it("accepts an empty string as a reference of length 0", () => {
    expect(sentenceBleu("", [""]).bp).toBe(1);
    const s = corpusBleu(
      ["the cat", "a b c d"],
      [
        ["", "the cat"],
        ["a b c d", ""],
      ],
    );
    expect([s.score, s.refLen]).toEqual([100.00000000000004, 6]);
  });

  it("rstrips Python whitespace and lowercases only on request", () => {
    expect(sentenceBleu("the cat  \u3000\x85", ["the cat"]).sysLen).toBe(2);
    expect(sentenceBleu("The CAT", ["the cat"]).score).toBe(0);
    expect(sentenceBleu("The CAT", ["the cat"], { lowercase: true }).score).toBe(100.00000000000004);
  });
});

describe("corpus statistics", () => {
  it("sums segment statistics before scoring", () => {
    const s = corpusBleu(["the cat sat on the mat", "a b"], [["the cat sat on a mat"], ["a b c"]]);
    expect(s.score).toBeCloseTo(49.27817047811719, 10);
    expect([s.counts, s.totals, s.sysLen, s.refLen]).toEqual([[7, 4, 2, 1], [8, 6, 4, 3], 8, 9]);
    expect(s.bp).toBeCloseTo(0.8824969025845955, 14);
  });

  it("scores directly from stats in sacrebleu's layout", () => {
    const opts = resolveBleuOptions({}, false);
    expect(bleuFromStats([6, 6, 5, 3, 1, 0, 6, 5, 4, 3], opts).score).toBeCloseTo(37.99178428257963, 12);
  });

  it("rejects mismatched lengths and segments without references", () => {
    expect(() => corpusBleu(["a"], [])).toThrow(/1 hypotheses but 0/);
    expect(() => corpusBleu(["a"], [[]])).toThrow(/at least one reference/);
    expect(() => sentenceBleu("a", ["a"], { tokenize: "zh" as "13a" })).toThrow();
  });
});
