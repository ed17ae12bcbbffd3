// `npm run bench evalRun`: multiple-choice evaluation through the real run pipeline
// (core/evaluation/runner.ts → engine logLikelihood, shared prefix) on the bench model,
// in tokens scored per second, against the same model's prompt-processing speed measured
// by a 1-token generation over prompts of the same length. Goal: ratio >= 0.8. Measured on the
// prebuilt library (scores from node-llama-cpp's full probability maps) and, when one exists,
// on the local build with Lathe's native logits (engine/native/LatheExtensions.cpp), same
// run. Then, straight on node-llama-cpp (bench/positionCosts.ts), what each scored position
// costs by kind of output on the prebuilt library.
// Knobs: LATHE_BENCH_MODELS (first model used), LATHE_BENCH_THREADS (default 1), LATHE_BENCH_ITEMS (default 16).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { samplingConfigSchema } from "../core/sampling/config.ts";
import { runPipeline, type EvalItem, type RunItemResult } from "../core/evaluation/index.ts";
import { EngineClient } from "../engine/client/EngineClient.ts";
import { findLocalBuild } from "../engine/build/localBuilds.ts";
import { engineLocalBuildCmakeOptions, type EngineLibrary } from "../core/engine/types.ts";
import { DEFAULT_FIXTURES_DIR } from "../scripts/fixtures.ts";
import { ensureBenchFixtures } from "../test/helpers/fixtures.ts";
import { median, round, type BenchReport } from "./lib.ts";
import { measurePositionCosts } from "./positionCosts.ts";

const THREADS = Number(process.env.LATHE_BENCH_THREADS ?? 1);
const ITEMS = Number(process.env.LATHE_BENCH_ITEMS ?? 16);

const words = ["oak", "chisel", "mallet", "bench", "plane", "linseed", "dovetail", "joint", "saw", "clamp", "rasp", "walnut"];

/** Deterministic items: a ~240-character context and four ~24-character choices each. */
function items(n: number): EvalItem[] {
  return Array.from({ length: n }, (_, i) => {
    const w = (k: number) => words[(i * 7 + k * 3) % words.length]!;
    const context = Array.from({ length: 30 }, (_, k) => w(k)).join(" ") + ` (item ${i})`;
    const choices = [0, 1, 2, 3].map((c) => `the ${w(c + 1)} and the ${w(c + 5)} ${c}`);
    return { input: context, references: [], choices, gold: i % 4 };
  });
}

async function benchModel(): Promise<string> {
  if (process.env.LATHE_BENCH_MODELS) return process.env.LATHE_BENCH_MODELS.split(",")[0]!;
  try {
    await ensureBenchFixtures();
  } catch (err) {
    console.warn(`bench fixtures unavailable (${String(err)}); using the demo model`);
  }
  const found = ["bench-q8_0.gguf", "bench-f16.gguf"].map((f) => join(DEFAULT_FIXTURES_DIR, "bench", f)).find((p) => existsSync(p));
  return found ?? join(DEFAULT_FIXTURES_DIR, "demo.gguf");
}

export default async function (): Promise<BenchReport> {
  const modelPath = await benchModel();
  const report = await pipelineReport(modelPath, "prebuilt");
  if (findLocalBuild(engineLocalBuildCmakeOptions)) {
    const local = await pipelineReport(modelPath, "localBuild");
    report.report.rows.push(...local.report.rows);
    report.report.notes.push(...local.report.notes.filter((n) => n.startsWith("localBuild")));
  } else report.report.notes.push("no local build: the native-logits path was not measured (Settings > Build the engine for this machine)");
  // The floor under exact scoring: what each flagged position costs in node-llama-cpp itself.
  const it = items(1)[0]!;
  const costs = await measurePositionCosts(modelPath, THREADS, `${it.input} ${it.choices!.join(" ")}`);
  const share = report.scoredShare;
  const estimate = (perToken: number) => round(costs.none / (costs.none + share * (perToken - costs.none)), 3);
  report.report.rows.push(
    ...(["none", "token", "confidence", "probabilities"] as const).map((k) => ({
      what: `node-llama-cpp direct: every position asks for ${k === "none" ? "nothing" : k}`,
      library: "prebuilt",
      items: null,
      tokensEvaluated: null,
      seconds: null,
      tokensPerS: round(1000 / costs[k], 3),
    })),
  );
  report.report.notes.push(
    `per flagged position on top of decoding: argmax +${round(costs.token - costs.none, 3)} ms, argmax probability +${round(costs.confidence - costs.none, 3)} ms, full distribution +${round(costs.probabilities - costs.none, 3)} ms (decode alone ${round(costs.none, 3)} ms/token)`,
    `scored tokens are ${round(share, 3)} of the evaluated ones; scoring/decoding estimated from these costs: ${estimate(costs.probabilities)}x with full distributions (exact log-probs; what scoring does), ${estimate(costs.confidence)}x if only the argmax probability were needed, ${estimate(costs.token)}x argmax only`,
  );
  return report.report;
}

/** The pipeline measurement through the engine host, and the share of evaluated tokens that were scored. */
async function pipelineReport(modelPath: string, library: EngineLibrary): Promise<{ report: BenchReport; scoredShare: number }> {
  const engine = new EngineClient({ host: { threads: THREADS, gpu: "cpu", library } });
  try {
    const status = await engine.status();
    const lib = `${status.buildType}${status.nativeLogits ? ", native logits" : ", full distributions"}`;
    const info = await engine.loadModel({ path: modelPath, contextSize: 1024, sha256: false });
    const list = items(ITEMS);
    const saved: RunItemResult[] = [];
    const plan = {
      task: "multiple_choice" as const,
      prompt: { kind: "template" as const, template: "{{input}}", chat: false },
      targetDelimiter: " ",
      modelId: info.id,
      adapters: [],
      sampling: samplingConfigSchema.parse({ temperature: 0 }),
      items: list,
      alreadyDone: 0,
      judges: [],
    };
    // Warm-up on one item, then the timed pass over all.
    for await (const _ of runPipeline(engine, { ...plan, pending: [0] }, { signal: new AbortController().signal, save: async () => {} })) void _;
    const t0 = performance.now();
    for await (const _ of runPipeline(engine, { ...plan, pending: list.map((_, i) => i) }, { signal: new AbortController().signal, save: async (r) => void saved.push(r) })) void _;
    const seconds = (performance.now() - t0) / 1000;
    const evaluated = saved.reduce((n, r) => n + r.tokens, 0);
    const contextTokens = await Promise.all(list.map((it) => engine.tokenize({ modelId: info.id, prompt: { kind: "raw", text: it.input } }).then((t) => t.length)));
    const naive = saved.reduce((n, r, k) => n + (r.choiceTokens ?? []).reduce((m, c) => m + c + contextTokens[k]!, 0), 0);
    const mcTokensPerS = evaluated / seconds;

    // Prompt processing: one generated token after a fresh prompt as long as an item's evaluated tokens.
    const pp: number[] = [];
    for (let k = 0; k < Math.min(6, list.length); k++) {
      const it = list[k]!;
      const text = `${it.input} ${it.choices!.join(" ")} #${k}`;
      for await (const p of engine.generate({ modelId: info.id, prompt: { kind: "raw", text }, sampling: { temperature: 0, maxTokens: 1 } })) {
        if (p.type === "done" && p.timings.cachedPromptTokens === 0) pp.push(p.timings.promptTokensPerS);
      }
    }
    const ppTokensPerS = median(pp);
    const ratio = mcTokensPerS / ppTokensPerS;
    const scored = saved.reduce((n, r) => n + (r.choiceTokens ?? []).reduce((m, c) => m + c, 0), 0);
    const report: BenchReport = {
      name: "evalRun",
      rows: [
        { what: "multiple choice (pipeline, shared prefix)", library: lib, items: list.length, tokensEvaluated: evaluated, seconds: round(seconds, 3), tokensPerS: round(mcTokensPerS, 4) },
        { what: "same work counted as context+choice per choice", library: lib, items: list.length, tokensEvaluated: naive, seconds: round(seconds, 3), tokensPerS: round(naive / seconds, 4) },
        { what: "prompt processing (1-token generation)", library: lib, items: pp.length, tokensEvaluated: null, seconds: null, tokensPerS: round(ppTokensPerS, 4) },
      ],
      notes: [
        `model ${modelPath.split(/[\\/]/).pop()}, threads ${THREADS}`,
        `${lib}: multiple-choice scoring / prompt processing ${round(ratio, 3)}x (goal >= 0.8x)`,
        `shared prefix saves ${round(1 - evaluated / naive, 3)} of the tokens a per-choice scorer would evaluate`,
      ],
    };
    return { report, scoredShare: scored / evaluated };
  } finally {
    await engine.dispose();
  }
}
