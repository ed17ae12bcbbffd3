// `npm run bench eval`: throughput of each core/eval metric on 10k generated prediction /
// reference pairs (and 10k multiple-choice documents, 10k perplexity texts), plus the paired
// bootstrap. Pairs per second come from process CPU time (median of interleaved rounds), which
// stays meaningful on a loaded shared machine; wall time is shown beside it. The Python
// references (rouge-score, sacrebleu) are not installed here, so only our throughput is reported.
import { createRng, randomIndex } from "../core/eval/bootstrap.ts";
import { computeMetric, compareMetricResults, type MetricItem } from "../core/eval/registry.ts";
import { interleave, median, round, type BenchReport } from "./lib.ts";

const PAIRS = 10_000;
const ROUNDS = 5;

const WORDS = (
  "the a of to and in is was for on that with as by at from it be this are or an which model models " +
  "running runs ran connection connected national relational generously studies happily evaluation " +
  "metric metrics bleu score translation summary summaries sentence sentences reference references " +
  "Paris London 1990 3.14 1,000 don't can't e-mail state-of-the-art U.S. café naïve Zürich 東京 😀"
).split(" ");
const PUNCT = [".", ",", "!", "?", ";", ":", "(", ")", '"', "-"];

/** Deterministic pseudo-text: a reference of ~25 tokens and a prediction that edits it. */
function makePairs(n: number): MetricItem[] {
  const next = createRng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[randomIndex(next, xs.length)]!;
  const items: MetricItem[] = [];
  for (let i = 0; i < n; i++) {
    const len = 15 + randomIndex(next, 20);
    const ref: string[] = [];
    for (let k = 0; k < len; k++) ref.push(randomIndex(next, 10) === 0 ? pick(PUNCT) : pick(WORDS));
    const pred: string[] = [];
    for (const w of ref) {
      const r = randomIndex(next, 100);
      if (r < 10) continue;
      pred.push(r < 25 ? pick(WORDS) : w);
      if (r > 95) pred.push(pick(WORDS));
    }
    const second = randomIndex(next, 4) === 0 ? ref.slice().reverse().join(" ") : null;
    const reference = randomIndex(next, 3) === 0 ? ref.join(" ").replace(" . ", " .\n") : ref.join(" ");
    items.push({
      prediction: pred.join(" "),
      references: second === null ? [reference] : [reference, second],
    });
  }
  return items;
}

function makeChoiceDocs(n: number): MetricItem[] {
  const next = createRng(7);
  const choices = ["yes", "no", "maybe so", "Paris", "naïve answer", "東京"];
  return Array.from({ length: n }, () => {
    const cs = [0, 1, 2, 3].map(() => choices[randomIndex(next, choices.length)]!);
    return {
      choices: cs,
      logLikelihoods: cs.map(() => -(next() / 0x100000000) * 30),
      gold: randomIndex(next, 4),
    };
  });
}

function makePerplexityItems(n: number): MetricItem[] {
  const next = createRng(11);
  return Array.from({ length: n }, () => ({
    tokenLogprobs: Array.from({ length: 50 }, () => -(next() / 0x100000000) * 8),
    text: "some scored text with a handful of words in it",
  }));
}

/** CPU and wall milliseconds of one call. */
function measure(fn: () => unknown): [cpuMs: number, wallMs: number] {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return [(cpu.user + cpu.system) / 1000, wallMs];
}

export default async function (): Promise<BenchReport> {
  const pairs = makePairs(PAIRS);
  const mc = makeChoiceDocs(PAIRS);
  const ppl = makePerplexityItems(PAIRS);
  const cases: { label: string; name: string; options: unknown; items: MetricItem[] }[] = [
    { label: "rouge1", name: "rouge1", options: {}, items: pairs },
    { label: "rouge2", name: "rouge2", options: {}, items: pairs },
    { label: "rougeL", name: "rougeL", options: {}, items: pairs },
    { label: "rougeLsum", name: "rougeLsum", options: {}, items: pairs },
    { label: "rougeL (stemmer)", name: "rougeL", options: { useStemmer: true }, items: pairs },
    { label: "bleu corpus (13a)", name: "bleu", options: {}, items: pairs },
    { label: "bleu corpus (intl)", name: "bleu", options: { tokenize: "intl" }, items: pairs },
    { label: "sentence_bleu (13a)", name: "sentence_bleu", options: {}, items: pairs },
    { label: "chrf", name: "chrf", options: {}, items: pairs },
    { label: "chrf++", name: "chrf++", options: {}, items: pairs },
    {
      label: "exact_match",
      name: "exact_match",
      options: { ignoreCase: true, ignorePunctuation: true },
      items: pairs,
    },
    { label: "acc (4 choices)", name: "acc", options: {}, items: mc },
    { label: "acc_norm (4 choices)", name: "acc_norm", options: {}, items: mc },
    { label: "perplexity (50 tokens)", name: "perplexity", options: {}, items: ppl },
  ];
  const wall = new Map<string, number[]>();
  const variants: Record<string, () => Promise<number>> = {};
  for (const c of cases) {
    variants[c.label] = async () => {
      const [cpuMs, wallMs] = measure(() => computeMetric(c.name, c.options, c.items));
      wall.set(c.label, [...(wall.get(c.label) ?? []), wallMs]);
      return cpuMs;
    };
  }
  const times = await interleave(ROUNDS, variants);
  const rows: BenchReport["rows"] = cases.map((c) => {
    const ms = median(times[c.label]!);
    return {
      metric: c.label,
      items: c.items.length,
      cpuMs: round(ms, 3),
      wallMs: round(median(wall.get(c.label)!), 3),
      pairsPerSec: round((c.items.length / ms) * 1000, 3),
    };
  });

  // Paired bootstrap: 1000 resamples of 10k items, re-aggregating BLEU statistics and a mean.
  const bleuA = computeMetric("bleu", {}, pairs);
  const shifted = pairs.map((p, i) => (i % 7 === 0 ? { ...p, prediction: p.references![0]! } : p));
  const bleuB = computeMetric("bleu", {}, shifted);
  const rougeA = computeMetric("rougeL", {}, pairs);
  const rougeB = computeMetric("rougeL", {}, shifted);
  const bs = await interleave(ROUNDS, {
    bleu: async () => measure(() => compareMetricResults(bleuA, bleuB, { samples: 1000 }))[0],
    rougeL: async () => measure(() => compareMetricResults(rougeA, rougeB, { samples: 1000 }))[0],
  });
  for (const k of ["bleu", "rougeL"] as const) {
    rows.push({
      metric: `paired bootstrap ${k} (1000 resamples)`,
      items: PAIRS,
      cpuMs: round(median(bs[k]), 3),
      wallMs: null,
      pairsPerSec: null,
    });
  }
  const cmp = compareMetricResults(bleuA, bleuB, { samples: 1000 });
  return {
    name: "eval",
    rows,
    notes: [
      `${PAIRS} generated pairs (15-34 tokens, 25% with two references); pairs/s from CPU time, median of ${ROUNDS} interleaved rounds.`,
      `bootstrap sanity: BLEU ${round(cmp.scoreA)} -> ${round(cmp.scoreB)}, delta ${round(cmp.delta)} [${round(cmp.ciLow)}, ${round(cmp.ciHigh)}], p ${round(cmp.pValue)}`,
      "Python references (rouge-score, sacrebleu) are not installed on this machine; goal in issue 8 is >= 10x their throughput.",
    ],
  };
}
