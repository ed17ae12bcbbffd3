// The by-name registry: every metric listed and documented, computeMetric agreeing with the
// direct functions, statistics that re-aggregate to the score, and clear errors for bad input.
import { ZodError } from "zod";
import { corpusBleu, sentenceBleu } from "../../../core/eval/bleu.ts";
import { corpusChrf } from "../../../core/eval/chrf.ts";
import {
  compareMetricResults,
  computeMetric,
  describeMetric,
  listMetrics,
  metricInterval,
  metricSpecSchema,
  METRIC_NAMES,
  type MetricItem,
} from "../../../core/eval/registry.ts";
import { rougeScoreMulti } from "../../../core/eval/rouge.ts";

const gen: MetricItem[] = [
  { prediction: "The cat sat on the mat.", references: ["The cat is on the mat.", "A cat sat on a mat."] },
  { prediction: "Running dogs ran", references: ["dogs run"] },
  { prediction: "", references: ["nothing here"] },
];

const mc: MetricItem[] = [
  { choices: ["東京", "Tokyo"], logLikelihoods: [-4, -9], gold: 1, unconditionalLogLikelihoods: [-1, -8] },
  { choices: ["yes", "no"], logLikelihoods: [-1, -2], gold: "yes", unconditionalLogLikelihoods: [-0.5, -3] },
];

describe("listMetrics", () => {
  it("lists every metric with its meaning, range and documented options", () => {
    expect(METRIC_NAMES).toEqual([
      "rouge1",
      "rouge2",
      "rougeL",
      "rougeLsum",
      "bleu",
      "sentence_bleu",
      "chrf",
      "chrf++",
      "exact_match",
      "acc",
      "acc_norm",
      "acc_bytes",
      "acc_mutual_info",
      "perplexity",
    ]);
    for (const m of listMetrics()) {
      expect(m.title.length).toBeGreaterThan(3);
      expect(m.description.length).toBeGreaterThan(20);
      expect(m.range).toMatch(/^\d/);
      for (const doc of Object.values(m.options)) expect(doc).toMatch(/Default|default/);
    }
    expect(describeMetric("perplexity").higherIsBetter).toBe(false);
    expect(Object.keys(describeMetric("bleu").options)).toEqual([
      "tokenize",
      "smoothMethod",
      "smoothValue",
      "lowercase",
      "effectiveOrder",
      "maxNgramOrder",
    ]);
  });
});

describe("computeMetric", () => {
  it("averages ROUGE F over items, best reference per item", () => {
    const r = computeMetric("rougeL", { useStemmer: true }, gen);
    const expected = gen.map(
      (it) => rougeScoreMulti(it.references!, it.prediction!, { useStemmer: true }).rougeL!.fmeasure,
    );
    expect(r.perItem).toEqual(expected);
    expect(r.score).toBeCloseTo((expected[0]! + expected[1]! + expected[2]!) / 3, 15);
    expect(r.options).toEqual({ useStemmer: true });
    expect(r.details.fmeasure).toBe(r.score);
  });

  it("computes corpus BLEU from summed statistics and sentence BLEU per item", () => {
    const r = computeMetric("bleu", { tokenize: "intl" }, gen);
    const hyps = gen.map((g) => g.prediction!);
    const refs = gen.map((g) => g.references!);
    const direct = corpusBleu(hyps, refs, { tokenize: "intl" });
    expect(r.score).toBe(direct.score);
    expect(r.details).toMatchObject({
      bp: direct.bp,
      sysLen: direct.sysLen,
      refLen: direct.refLen,
      precision1: direct.precisions[0],
    });
    expect(r.perItem).toEqual(
      gen.map((g) => sentenceBleu(g.prediction!, g.references!, { tokenize: "intl" }).score),
    );
    expect(r.stats[0]).toHaveLength(10);
    expect(r.options).toMatchObject({
      tokenize: "intl",
      smoothMethod: "exp",
      effectiveOrder: false,
      maxNgramOrder: 4,
    });
  });

  it("averages sentence BLEU for sentence_bleu", () => {
    const r = computeMetric("sentence_bleu", {}, gen);
    const each = gen.map((g) => sentenceBleu(g.prediction!, g.references!).score);
    expect(r.perItem).toEqual(each);
    expect(r.score).toBeCloseTo((each[0]! + each[1]! + each[2]!) / 3, 12);
  });

  it("defaults chrF++ to word order 2", () => {
    const plus = computeMetric("chrf++", {}, gen);
    expect(plus.options).toMatchObject({ wordOrder: 2, charOrder: 6 });
    const hyps = gen.map((g) => g.prediction!);
    const refs = gen.map((g) => g.references!);
    expect(plus.score).toBe(corpusChrf(hyps, refs, { wordOrder: 2 }).score);
    expect(computeMetric("chrf", {}, gen).score).toBe(corpusChrf(hyps, refs).score);
    expect(computeMetric("chrf++", { wordOrder: 1 }, gen).options).toMatchObject({ wordOrder: 1 });
  });

  it("scores exact match with options and a standard error", () => {
    const r = computeMetric("exact_match", { ignoreCase: true, ignorePunctuation: true }, [
      { prediction: "Paris.", references: ["paris"] },
      { prediction: "Lyon", references: ["Paris", "lyon"] },
      { prediction: "Nice", references: ["Paris"] },
    ]);
    expect(r.perItem).toEqual([1, 1, 0]);
    expect(r.score).toBeCloseTo(2 / 3, 15);
    expect(r.details.stderr).toBeCloseTo(Math.sqrt(1 / 3) / Math.sqrt(3), 12);
  });

  it("scores the multiple-choice accuracies", () => {
    expect(computeMetric("acc", {}, mc).perItem).toEqual([0, 1]);
    expect(computeMetric("acc_norm", {}, mc).perItem).toEqual([1, 1]);
    expect(computeMetric("acc_bytes", {}, mc).perItem).toEqual([0, 1]);
    expect(computeMetric("acc_mutual_info", {}, mc).perItem).toEqual([1, 0]);
  });

  it("reports token-weighted perplexity, lower is better", () => {
    const r = computeMetric("perplexity", {}, [
      { tokenLogprobs: [Math.log(0.5)], text: "ab" },
      { tokenLogprobs: [Math.log(0.25), Math.log(0.25)] },
    ]);
    expect(r.score).toBeCloseTo(Math.exp(-(Math.log(0.5) + 2 * Math.log(0.25)) / 3), 12);
    expect(r.perItem.map((x) => Math.round(x * 1e9) / 1e9)).toEqual([2, 4]);
    expect(r.details.tokens).toBe(3);
  });

  it("rejects unknown metrics, bad options, missing fields and empty runs", () => {
    expect(() => computeMetric("bertscore", {}, gen)).toThrow(/unknown metric "bertscore"/);
    expect(() => computeMetric("bleu", { tokenize: "zh" }, gen)).toThrow(ZodError);
    expect(() => computeMetric("rouge1", { stem: true }, gen)).toThrow(ZodError);
    expect(() => computeMetric("bleu", {}, [{ prediction: "x" }])).toThrow(
      'bleu: item 0 has no "references"',
    );
    expect(() => computeMetric("chrf", {}, [{ prediction: "x", references: [] }])).toThrow(
      /item 0 has an empty "references"/,
    );
    expect(() =>
      computeMetric("acc_mutual_info", {}, [{ choices: ["a"], logLikelihoods: [-1], gold: 0 }]),
    ).toThrow(/unconditionalLogLikelihoods/);
    expect(() => computeMetric("perplexity", {}, [{ tokenLogprobs: [] }])).toThrow(
      /no token log-probabilities/,
    );
    expect(() => computeMetric("acc", {}, [])).toThrow(/no items/);
  });

  it("validates metric specs by name", () => {
    expect(metricSpecSchema.parse({ name: "chrf++", options: { beta: 3 } })).toEqual({
      name: "chrf++",
      options: { beta: 3 },
    });
    expect(() => metricSpecSchema.parse({ name: "meteor" })).toThrow(ZodError);
  });
});

describe("comparing stored results", () => {
  it("runs the paired bootstrap on the stored statistics", () => {
    const better = gen.map((g) => ({ ...g, prediction: g.references![0]! }));
    const a = computeMetric("chrf", {}, gen);
    const b = computeMetric("chrf", {}, better);
    const cmp = compareMetricResults(a, b, { samples: 200, seed: 1 });
    expect(cmp.scoreA).toBe(a.score);
    expect(cmp.scoreB).toBe(b.score);
    expect(cmp.delta).toBeCloseTo(b.score - a.score, 12);
    expect(cmp.items).toBe(3);
    const ci = metricInterval(a, { samples: 200 });
    expect(ci.score).toBe(a.score);
    expect(ci.low).toBeLessThanOrEqual(ci.high);
  });

  it("refuses to compare different metrics or options", () => {
    const a = computeMetric("bleu", {}, gen);
    expect(() => compareMetricResults(a, computeMetric("chrf", {}, gen))).toThrow(
      /cannot compare bleu with chrf/,
    );
    expect(() => compareMetricResults(a, computeMetric("bleu", { lowercase: true }, gen))).toThrow(
      /different options/,
    );
  });
});
