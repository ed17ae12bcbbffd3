// `npm run bench eval`: throughput of each core/eval metric on 10k generated prediction /
// reference pairs (and 10k multiple-choice documents, 10k perplexity texts), plus the paired
// bootstrap. Pairs per second come from process CPU time (median of interleaved rounds), which
// stays meaningful on a loaded shared machine; wall time is shown beside it.
// The Python references are no dependency: to compare against them, put rouge-score's rouge/
// package and a sacrebleu 2.x source tree (plus stub modules for what BLEU/chrF never call, in
// <dir>/stubs) in a temp folder and set LATHE_PY_REFS=<dir> (LATHE_PYTHON picks the interpreter,
// default /usr/bin/python3, which needs python3-nltk). The same pairs then go through the
// references once, timed by process CPU time, and each row gets its speed-up (goal >= 10x).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** Our labels and the Python calls that compute the same thing on the pairs (`items`, `hyps`, `streams`). */
const PY_CASES: Record<string, string> = {
  rouge1: "rouge('rouge1')",
  rouge2: "rouge('rouge2')",
  rougeL: "rouge('rougeL')",
  rougeLsum: "rouge('rougeLsum')",
  "rougeL (stemmer)": "rouge('rougeL', True)",
  "bleu corpus (13a)": "BLEU(force=True).corpus_score(hyps, streams)",
  "bleu corpus (intl)": "BLEU(tokenize='intl', force=True).corpus_score(hyps, streams)",
  "sentence_bleu (13a)": "[SB.sentence_score(i['prediction'], i['references']) for i in items]",
  chrf: "CHRF().corpus_score(hyps, streams)",
  "chrf++": "CHRF(word_order=2).corpus_score(hyps, streams)",
};

const PY_SCRIPT = `import json, sys, time
from sacrebleu.metrics import BLEU, CHRF
from rouge import rouge_scorer
items = json.load(open(sys.argv[1]))
hyps = [i['prediction'] for i in items]
nref = max(len(i['references']) for i in items)
streams = [[i['references'][k] if k < len(i['references']) else None for i in items] for k in range(nref)]
SB = BLEU(effective_order=True)
def rouge(t, stem=False):
    sc = rouge_scorer.RougeScorer([t], use_stemmer=stem)
    for i in items: sc.score_multi(i['references'], i['prediction'])
out = {}
for label, expr in json.load(open(sys.argv[2])).items():
    t = time.process_time(); eval(expr); out[label] = time.process_time() - t
print(json.dumps(out))
`;

/** CPU seconds the Python references take per case on `pairs`, or a reason why there are none. */
function pythonSeconds(pairs: MetricItem[]): Record<string, number> | string {
  const refs = process.env.LATHE_PY_REFS;
  if (!refs) return "Python references not compared (set LATHE_PY_REFS, see the header of bench/eval.bench.ts)";
  const python = process.env.LATHE_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  const dir = mkdtempSync(join(tmpdir(), "lathe-bench-eval-"));
  try {
    writeFileSync(join(dir, "pairs.json"), JSON.stringify(pairs));
    writeFileSync(join(dir, "cases.json"), JSON.stringify(PY_CASES));
    writeFileSync(join(dir, "time_refs.py"), PY_SCRIPT);
    const run = spawnSync(python, [join(dir, "time_refs.py"), join(dir, "pairs.json"), join(dir, "cases.json")], {
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: [refs, join(refs, "stubs")].join(":") },
      maxBuffer: 1 << 20,
    });
    if (run.status !== 0) return `Python references failed: ${(run.stderr || run.error?.message || "").trim().split("\n").at(-1)}`;
    return JSON.parse(run.stdout) as Record<string, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  const py = pythonSeconds(pairs);
  const rows: BenchReport["rows"] = cases.map((c) => {
    const ms = median(times[c.label]!);
    const pySeconds = typeof py === "string" ? undefined : py[c.label];
    return {
      metric: c.label,
      items: c.items.length,
      cpuMs: round(ms, 3),
      wallMs: round(median(wall.get(c.label)!), 3),
      pairsPerSec: round((c.items.length / ms) * 1000, 3),
      pythonPairsPerSec: pySeconds === undefined ? null : round(c.items.length / pySeconds, 3),
      vsPython: pySeconds === undefined ? null : round((pySeconds * 1000) / ms, 3),
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
      pythonPairsPerSec: null,
      vsPython: null,
    });
  }
  const cmp = compareMetricResults(bleuA, bleuB, { samples: 1000 });
  return {
    name: "eval",
    rows,
    notes: [
      `${PAIRS} generated pairs (15-34 tokens, 25% with two references); pairs/s from CPU time, median of ${ROUNDS} interleaved rounds.`,
      `bootstrap sanity: BLEU ${round(cmp.scoreA)} -> ${round(cmp.scoreB)}, delta ${round(cmp.delta)} [${round(cmp.ciLow)}, ${round(cmp.ciHigh)}], p ${round(cmp.pValue)}`,
      typeof py === "string"
        ? `${py}; goal in issue 8 is >= 10x their throughput.`
        : `vs Python references (CPU time, one pass each): ${Object.keys(PY_CASES)
            .map((k) => `${k} ${round((py[k]! * 1000) / median(times[k]!), 3)}x`)
            .join(", ")} (goal >= 10x)`,
    ],
  };
}
