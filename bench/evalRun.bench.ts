// `npm run bench evalRun`: multiple-choice evaluation through the real run pipeline
// (core/evaluation/runner.ts → engine logLikelihood, shared prefix) on the bench model,
// in tokens scored per second, against the same model's prompt-processing speed measured
// by a 1-token generation over prompts of the same length. Goal: ratio >= 0.8. Measured on the
// prebuilt library (scores from node-llama-cpp's full probability maps) and, when one exists,
// on the local build with Lathe's native logits (engine/native/LatheExtensions.cpp), same
// run. Then, straight on node-llama-cpp (bench/positionCosts.ts), what each scored position
// costs by kind of output on the prebuilt library.
// Knobs: LATHE_BENCH_MODELS (first model used), LATHE_BENCH_THREADS (default 1), LATHE_BENCH_ITEMS (default 16),
// LATHE_BENCH_ROUNDS (default 4).
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
const ROUNDS = Number(process.env.LATHE_BENCH_ROUNDS ?? 4);

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
  const libraries: EngineLibrary[] = ["prebuilt"];
  if (findLocalBuild(engineLocalBuildCmakeOptions)) libraries.push("localBuild");
  const report = await pipelineReport(modelPath, libraries);
  if (libraries.length === 1) report.report.notes.push("no local build: the native-logits path was not measured (Settings > Build the engine for this machine)");
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

/** One engine under test: a library, its loaded bench model and its label. */
interface Variant {
  engine: EngineClient;
  modelId: string;
  lib: string;
  saved: RunItemResult[];
  mcSeconds: number;
  ratios: number[];
  pp: number[];
}

/**
 * The pipeline measurement through the engine host, per library, in interleaved rounds:
 * each round scores ITEMS/ROUNDS items and then measures prompt processing on the same
 * engine, so every round gives a scoring/prompt-processing ratio taken under the same
 * machine load (this machine is shared; loads drift over a minute). Also the share of
 * evaluated tokens that were scored.
 */
async function pipelineReport(modelPath: string, libraries: EngineLibrary[]): Promise<{ report: BenchReport; scoredShare: number }> {
  const variants: Variant[] = [];
  const list = items(ITEMS);
  const rounds = Math.max(1, Math.min(ROUNDS, list.length));
  try {
    for (const library of libraries) {
      const engine = new EngineClient({ host: { threads: THREADS, gpu: "cpu", library } });
      variants.push({ engine, modelId: "", lib: "", saved: [], mcSeconds: 0, ratios: [], pp: [] });
      const status = await engine.status();
      const info = await engine.loadModel({ path: modelPath, contextSize: 1024, sha256: false });
      Object.assign(variants.at(-1)!, { modelId: info.id, lib: `${status.buildType}${status.nativeLogits ? ", native logits" : ", full distributions"}` });
    }
    const plan = (v: Variant) => ({
      task: "multiple_choice" as const,
      prompt: { kind: "template" as const, template: "{{input}}", chat: false },
      targetDelimiter: " ",
      modelId: v.modelId,
      adapters: [],
      sampling: samplingConfigSchema.parse({ temperature: 0 }),
      items: list,
      alreadyDone: 0,
      judges: [],
    });
    // Prompt processing: one generated token after a fresh prompt as long as an item's evaluated tokens.
    const ppOnce = async (v: Variant, k: number): Promise<number | null> => {
      const it = list[k % list.length]!;
      const text = `${it.input} ${it.choices!.join(" ")} #${k}-${v.pp.length}`;
      for await (const p of v.engine.generate({ modelId: v.modelId, prompt: { kind: "raw", text }, sampling: { temperature: 0, maxTokens: 1 } })) {
        if (p.type === "done" && p.timings.cachedPromptTokens === 0) return p.timings.promptTokensPerS;
      }
      return null;
    };
    // Warm-up on one item each.
    for (const v of variants) for await (const _ of runPipeline(v.engine, { ...plan(v), pending: [0] }, { signal: new AbortController().signal, save: async () => {} })) void _;
    for (let r = 0; r < rounds; r++) {
      const pending = list.map((_, i) => i).filter((i) => i % rounds === r);
      for (const v of variants) {
        const before = v.saved.length;
        const t0 = performance.now();
        for await (const _ of runPipeline(v.engine, { ...plan(v), pending }, { signal: new AbortController().signal, save: async (x) => void v.saved.push(x) })) void _;
        const seconds = (performance.now() - t0) / 1000;
        v.mcSeconds += seconds;
        const evaluated = v.saved.slice(before).reduce((n, x) => n + x.tokens, 0);
        const pp = [await ppOnce(v, 2 * r), await ppOnce(v, 2 * r + 1)].filter((x): x is number => x !== null);
        v.pp.push(...pp);
        v.ratios.push(evaluated / seconds / median(pp));
      }
    }
    const rows: BenchReport["rows"] = [];
    const notes = [`model ${modelPath.split(/[\\/]/).pop()}, threads ${THREADS}, ${rounds} interleaved rounds of ${Math.ceil(list.length / rounds)} items`];
    let scoredShare = 0;
    for (const v of variants) {
      const evaluated = v.saved.reduce((n, x) => n + x.tokens, 0);
      const contextTokens = await Promise.all(list.map((it) => v.engine.tokenize({ modelId: v.modelId, prompt: { kind: "raw", text: it.input } }).then((t) => t.length)));
      const byItem = new Map(v.saved.map((x) => [x.index, x]));
      const naive = [...byItem.values()].reduce((n, x) => n + (x.choiceTokens ?? []).reduce((m, c) => m + c + contextTokens[x.index]!, 0), 0);
      const scored = v.saved.reduce((n, x) => n + (x.choiceTokens ?? []).reduce((m, c) => m + c, 0), 0);
      scoredShare = scored / evaluated;
      rows.push(
        { what: "multiple choice (pipeline, shared prefix)", library: v.lib, items: v.saved.length, tokensEvaluated: evaluated, seconds: round(v.mcSeconds, 3), tokensPerS: round(evaluated / v.mcSeconds, 4) },
        { what: "same work counted as context+choice per choice", library: v.lib, items: v.saved.length, tokensEvaluated: naive, seconds: round(v.mcSeconds, 3), tokensPerS: round(naive / v.mcSeconds, 4) },
        { what: "prompt processing (1-token generation)", library: v.lib, items: v.pp.length, tokensEvaluated: null, seconds: null, tokensPerS: round(median(v.pp), 4) },
      );
      notes.push(
        `${v.lib}: multiple-choice scoring / prompt processing ${round(median(v.ratios), 3)}x (goal >= 0.8x; median of per-round ratios ${v.ratios.map((x) => round(x, 3)).join(", ")})`,
      );
      if (v === variants[0]) notes.push(`shared prefix saves ${round(1 - evaluated / naive, 3)} of the tokens a per-choice scorer would evaluate`);
    }
    return { report: { name: "evalRun", rows, notes }, scoredShare };
  } finally {
    for (const v of variants) await v.engine.dispose();
  }
}
