// Every reference case must agree with the reference implementations: ROUGE within 1e-9,
// BLEU and chrF within 1e-6 on the 0-100 scale, with the same counts, totals, lengths and
// statistics; exact match, multiple choice and Python-regex removal exactly.
import { corpusBleu, sentenceBleu, type BleuResult } from "../../../core/eval/bleu.ts";
import { corpusChrf } from "../../../core/eval/chrf.ts";
import { exactMatch } from "../../../core/eval/exactMatch.ts";
import { scoreMultipleChoice } from "../../../core/eval/multipleChoice.ts";
import { compilePythonRegex } from "../../../core/eval/pyRegex.ts";
import { rougeScoreMulti, rougeTokenize } from "../../../core/eval/rouge.ts";
import {
  bleuOptionsOf,
  chrfOptionsOf,
  exactMatchOptionsOf,
  loadCases,
  type BleuExpected,
  type ReferenceCase,
} from "./referenceCases.ts";

const ROUGE_TOL = 1e-9;
const SCORE_TOL = 1e-6;
const KINDS = [
  "rouge",
  "bleu_sentence",
  "bleu_corpus",
  "chrf_corpus",
  "exact_match",
  "multiple_choice",
  "py_regex_sub",
];

function ofKind<K extends ReferenceCase["kind"]>(
  cases: ReferenceCase[],
  kind: K,
): Extract<ReferenceCase, { kind: K }>[] {
  return cases.filter((c): c is Extract<ReferenceCase, { kind: K }> => c.kind === kind);
}

function expectBleu(got: BleuResult, e: BleuExpected): void {
  expect(Math.abs(got.score - e.score)).toBeLessThanOrEqual(SCORE_TOL);
  expect(got.counts).toEqual(e.counts);
  expect(got.totals).toEqual(e.totals);
  expect(got.sysLen).toBe(e.sys_len);
  expect(got.refLen).toBe(e.ref_len);
  expect(Math.abs(got.bp - e.bp)).toBeLessThanOrEqual(1e-12);
  got.precisions.forEach((p, i) => expect(Math.abs(p - e.precisions[i]!)).toBeLessThanOrEqual(1e-9));
}

function runCases(file: string): void {
  const cases = loadCases(file);

  it("holds only kinds this suite checks, and some of each metric", () => {
    for (const c of cases) expect(KINDS).toContain(c.kind);
    for (const kind of ["rouge", "bleu_sentence", "bleu_corpus", "chrf_corpus"] as const) {
      expect(ofKind(cases, kind).length).toBeGreaterThan(0);
    }
  });

  describe("rouge", () => {
    it.each(ofKind(cases, "rouge").map((c) => [c.id, c] as const))("%s", (_id, c) => {
      const refs = c.references ?? [c.reference!];
      const got = rougeScoreMulti(refs, c.prediction, { useStemmer: c.use_stemmer });
      for (const type of ["rouge1", "rouge2", "rougeL", "rougeLsum"] as const) {
        const e = c.expected[type];
        const g = got[type]!;
        expect(Math.abs(g.precision - e.p), `${type} precision`).toBeLessThanOrEqual(ROUGE_TOL);
        expect(Math.abs(g.recall - e.r), `${type} recall`).toBeLessThanOrEqual(ROUGE_TOL);
        expect(Math.abs(g.fmeasure - e.f), `${type} f`).toBeLessThanOrEqual(ROUGE_TOL);
      }
      if (c.debug) {
        expect(rougeTokenize(c.prediction, c.use_stemmer)).toEqual(c.debug.prediction_tokens);
        expect(rougeTokenize(refs[0]!, c.use_stemmer)).toEqual(c.debug.reference_tokens);
      }
    });
  });

  describe("bleu_sentence", () => {
    it.each(ofKind(cases, "bleu_sentence").map((c) => [c.id, c] as const))("%s", (_id, c) => {
      expectBleu(sentenceBleu(c.hypothesis, c.references, bleuOptionsOf(c.options)), c.expected);
    });
  });

  describe("bleu_corpus", () => {
    it.each(ofKind(cases, "bleu_corpus").map((c) => [c.id, c] as const))("%s", (_id, c) => {
      expectBleu(corpusBleu(c.hypotheses, c.references, bleuOptionsOf(c.options)), c.expected);
    });
  });

  describe("chrf_corpus", () => {
    it.each(ofKind(cases, "chrf_corpus").map((c) => [c.id, c] as const))("%s", (_id, c) => {
      const got = corpusChrf(c.hypotheses, c.references, chrfOptionsOf(c.options));
      expect(Math.abs(got.score - c.expected.score)).toBeLessThanOrEqual(SCORE_TOL);
      expect(got.stats).toEqual(c.expected.stats);
    });
  });

  const em = ofKind(cases, "exact_match");
  if (em.length > 0) {
    describe("exact_match", () => {
      it.each(em.map((c) => [c.id, c] as const))("%s", (_id, c) => {
        expect(exactMatch(c.prediction, c.reference, exactMatchOptionsOf(c.options))).toBe(
          c.expected.exact_match,
        );
      });
    });
  }

  const mc = ofKind(cases, "multiple_choice");
  if (mc.length > 0) {
    describe("multiple_choice", () => {
      it.each(mc.map((c) => [c.id, c] as const))("%s", (_id, c) => {
        const got = scoreMultipleChoice({
          choices: c.choices,
          logLikelihoods: c.log_likelihoods,
          gold: c.gold,
        });
        expect([got.pred, got.predNorm, got.predBytes]).toEqual([
          c.expected.pred,
          c.expected.pred_norm,
          c.expected.pred_bytes,
        ]);
        expect([got.acc, got.accNorm, got.accBytes]).toEqual([
          c.expected.acc,
          c.expected.acc_norm,
          c.expected.acc_bytes,
        ]);
      });
    });
  }

  const rx = ofKind(cases, "py_regex_sub");
  if (rx.length > 0) {
    describe("python regex removal", () => {
      it.each(rx.map((c) => [c.pattern, c] as const))("%s", (_pattern, c) => {
        const re = compilePythonRegex(c.pattern);
        expect(c.texts.map((t) => t.replace(re, ""))).toEqual(c.expected.results);
      });
    });
  }
}

describe("sample-cases.jsonl (shared/metrics reference outputs)", () => runCases("sample-cases.jsonl"));

