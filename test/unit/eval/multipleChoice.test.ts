// Multiple-choice scoring as lm-evaluation-harness: acc, acc_norm by code-point length,
// acc_bytes by UTF-8 length, numpy argmax rules, gold resolution and the standard error;
// plus perplexity from token log-probabilities.
import {
  meanWithStderr,
  npArgmax,
  resolveGold,
  scoreMultipleChoice,
} from "../../../core/eval/multipleChoice.ts";
import { corpusPerplexity, countWords, textPerplexity } from "../../../core/eval/perplexity.ts";

describe("scoreMultipleChoice", () => {
  it("normalizes acc_norm by characters and acc_bytes by UTF-8 bytes", () => {
    // ll/len: -2 vs -1.8; ll/bytes: -0.67 vs -1.8
    const out = scoreMultipleChoice({ choices: ["東京", "Tokyo"], logLikelihoods: [-4, -9], gold: 1 });
    expect([out.pred, out.predNorm, out.predBytes]).toEqual([0, 1, 0]);
    expect([out.acc, out.accNorm, out.accBytes]).toEqual([0, 1, 0]);
  });

  it("counts an astral character as one character, not two UTF-16 units", () => {
    // -3/1 vs -5/2: the two-letter choice wins; with UTF-16 length (-1.5) the emoji would.
    expect(scoreMultipleChoice({ choices: ["😀", "ab"], logLikelihoods: [-3, -5], gold: 1 }).predNorm).toBe(
      1,
    );
  });

  it("uses numpy argmax: the first maximum, the first NaN", () => {
    expect(npArgmax([-1, -0.5, -0.5])).toBe(1);
    expect(npArgmax([-1, Number.NaN, Number.NaN])).toBe(1);
    expect(npArgmax([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(0);
  });

  it("divides by zero for an empty choice like numpy (ll=0 gives NaN, which wins)", () => {
    const nan = scoreMultipleChoice({ choices: ["a", ""], logLikelihoods: [-1, 0], gold: 1 });
    expect(nan.predNorm).toBe(1);
    const negInf = scoreMultipleChoice({ choices: ["a", ""], logLikelihoods: [-1, -0.5], gold: 0 });
    expect([negInf.pred, negInf.predNorm]).toEqual([1, 0]);
  });

  it("resolves gold like the harness", () => {
    const choices = ["yes", "no", "maybe"];
    expect(resolveGold(1, choices)).toBe(1);
    expect(resolveGold(3, choices)).toBe(-100);
    expect(resolveGold("no", choices)).toBe(1);
    expect(resolveGold("nope", choices)).toBe(-100);
    expect(resolveGold([0, 5], choices)).toEqual([0, -100]);
    expect(scoreMultipleChoice({ choices, logLikelihoods: [-3, -1, -2], gold: [1, 2] }).acc).toBe(1);
    expect(scoreMultipleChoice({ choices, logLikelihoods: [-3, -1, -2], gold: "nope" }).acc).toBe(0);
  });

  it("scores acc_mutual_info from unconditional log-likelihoods", () => {
    const out = scoreMultipleChoice({
      choices: ["a", "b"],
      logLikelihoods: [-5, -6],
      unconditionalLogLikelihoods: [-1, -4],
      gold: 1,
    });
    expect([out.pred, out.predMutualInfo, out.acc, out.accMutualInfo]).toEqual([0, 1, 0, 1]);
    expect(scoreMultipleChoice({ choices: ["a"], logLikelihoods: [-1], gold: 0 }).accMutualInfo).toBeNull();
  });

  it("rejects mismatched lengths", () => {
    expect(() => scoreMultipleChoice({ choices: ["a", "b"], logLikelihoods: [-1], gold: 0 })).toThrow(
      /1 log-likelihoods for 2/,
    );
    expect(() => scoreMultipleChoice({ choices: [], logLikelihoods: [], gold: 0 })).toThrow(
      /at least one choice/,
    );
  });
});

describe("meanWithStderr", () => {
  it("uses the sample standard deviation over sqrt(N)", () => {
    expect(meanWithStderr([1, 0, 1, 1])).toEqual({ mean: 0.75, stderr: 0.25 });
    expect(meanWithStderr([1])).toEqual({ mean: 1, stderr: null });
  });
});

describe("perplexity", () => {
  it("is exp of the negative mean token log-probability", () => {
    expect(textPerplexity([Math.log(0.5), Math.log(0.25)])).toBeCloseTo(Math.sqrt(8), 12);
  });

  it("weighs the corpus by tokens and adds word and byte figures when texts are given", () => {
    const items = [
      { tokenLogprobs: [Math.log(0.5)], text: "ab" },
      { tokenLogprobs: [Math.log(0.25), Math.log(0.25), Math.log(0.25)], text: "c d" },
    ];
    const r = corpusPerplexity(items);
    const ll = Math.log(0.5) + 3 * Math.log(0.25);
    expect(r.tokens).toBe(4);
    expect(r.perplexity).toBeCloseTo(Math.exp(-ll / 4), 12);
    expect(r.meanTextPerplexity).toBeCloseTo((2 + 4) / 2, 12);
    expect(r.wordPerplexity).toBeCloseTo(Math.exp(-ll / 3), 12);
    expect(r.bytePerplexity).toBeCloseTo(Math.exp(-ll / 5), 12);
    expect(r.bitsPerByte).toBeCloseTo(-ll / 5 / Math.LN2, 12);
    expect(corpusPerplexity([{ tokenLogprobs: [-1] }]).wordPerplexity).toBeNull();
  });

  it("counts words like lm-eval: re.split(r'\\s+', text), edge pieces included", () => {
    expect(countWords("a b")).toBe(2);
    expect(countWords(" a b ")).toBe(4);
    expect(countWords("a\x85b")).toBe(2);
  });
});
