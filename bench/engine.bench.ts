// `npm run bench engine`: the engine's costs, each against its baseline, runs interleaved:
// 1. generation throughput and time to first token, engine client (host process + IPC)
//    vs a minimal direct node-llama-cpp script in its own process (bench/engineDirect.ts),
//    same model, threads, context and prompts (goal >= 0.97x, TTFT overhead < 10 ms);
// 2. switching adapter sets (cached context, new context) vs a full model reload;
// 3. 4-choice scoring: shared-prefix vs naive evaluation (goal >= 2.5x faster).
// Uses the ~160M-parameter bench fixtures (written on demand; LATHE_BENCH_MODELS=a.gguf,b.gguf
// overrides); falls back to the demo model. Other knobs: LATHE_BENCH_THREADS/ROUNDS/TOKENS.
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EngineClient } from "../engine/client/EngineClient.ts";
import type { AdapterRef, ModelInfo } from "../core/engine/types.ts";
import { loraAdapterSpec } from "../core/fixtures/llamaModel.ts";
import { BENCH_SHAPE } from "../core/fixtures/bench.ts";
import { mulberry32 } from "../core/fixtures/prng.ts";
import { writeGguf } from "../core/gguf/writer.ts";
import { DEFAULT_FIXTURES_DIR, writeFixtures } from "../scripts/fixtures.ts";
import { interleave, median, round, timeMs, type BenchReport } from "./lib.ts";

const THREADS = Number(process.env.LATHE_BENCH_THREADS ?? 1);
const ROUNDS = Number(process.env.LATHE_BENCH_ROUNDS ?? 5);
const GEN_TOKENS = Number(process.env.LATHE_BENCH_TOKENS ?? 64);
const CONTEXT = 1024;
const PROMPT = "The workshop smelled of oak and linseed oil. On the bench lay a chisel, a mallet and a half-finished chair; ".repeat(2);

/** Bench models present after writing them on demand (largest test fixture when that fails). */
async function benchModels(): Promise<string[]> {
  if (process.env.LATHE_BENCH_MODELS) return process.env.LATHE_BENCH_MODELS.split(",");
  const dir = join(DEFAULT_FIXTURES_DIR, "bench");
  try {
    await writeFixtures({ benchOnly: true });
  } catch (err) {
    console.warn(`bench fixtures unavailable (${String(err)}); using the demo model`);
  }
  const found = ["bench-q8_0.gguf", "bench-f16.gguf"].map((f) => join(dir, f)).filter((p) => existsSync(p));
  return found.length ? found : [join(DEFAULT_FIXTURES_DIR, "demo.gguf")];
}

/** A direct node-llama-cpp process with the model loaded. */
async function startDirect(model: string): Promise<{ run: (prompt: string) => Promise<{ ttftMs: number; tokens: number; tokensPerS: number }>; stop: () => void }> {
  const entry = fileURLToPath(new URL("./engineDirect.ts", import.meta.url));
  const child = fork(entry, [model, String(CONTEXT), String(THREADS)], {
    execArgv: ["--import", import.meta.resolve("tsx")],
    env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve) => child.once("message", () => resolve()));
  return {
    run: (prompt) =>
      new Promise((resolve) => {
        child.once("message", (m) => resolve(m as { ttftMs: number; tokens: number; tokensPerS: number }));
        child.send({ prompt, maxTokens: GEN_TOKENS });
      }),
    stop: () => void child.kill(),
  };
}

/** One generation through the engine client, measured on the client side. */
async function engineRun(engine: EngineClient, modelId: string, prompt: string): Promise<{ ttftMs: number; hostTtftMs: number; tokens: number; tokensPerS: number }> {
  const t0 = performance.now();
  let tFirst = 0;
  let tLast = 0;
  for await (const p of engine.generate({ modelId, prompt: { kind: "raw", text: prompt }, sampling: { temperature: 0, maxTokens: GEN_TOKENS } })) {
    const now = performance.now();
    if (p.type === "fragment") {
      if (!tFirst && p.tokens.length) tFirst = now;
      tLast = now;
    } else {
      const n = p.tokens.length;
      return { ttftMs: tFirst - t0, hostTtftMs: p.timings.ttftMs, tokens: n, tokensPerS: n > 1 ? ((n - 1) / (tLast - tFirst)) * 1000 : 0 };
    }
  }
  throw new Error("no done packet");
}

async function throughput(engine: EngineClient, model: string, rows: BenchReport["rows"], notes: string[]): Promise<void> {
  const info = await engine.loadModel({ path: model, contextSize: CONTEXT, sha256: false });
  const direct = await startDirect(model);
  try {
    const e: { ttftMs: number; hostTtftMs: number; tokensPerS: number; tokens: number }[] = [];
    const d: { ttftMs: number; tokensPerS: number; tokens: number }[] = [];
    let round_ = 0;
    // Warm-up once each, then interleave; every round uses a new prompt, so no prefix is reused.
    await engineRun(engine, info.id, `warm ${PROMPT}`);
    await direct.run(`warm ${PROMPT}`);
    await interleave(ROUNDS, {
      engine: async () => {
        e.push(await engineRun(engine, info.id, `${round_} ${PROMPT}`));
        return 0;
      },
      direct: async () => {
        d.push(await direct.run(`${round_++} ${PROMPT}`));
        return 0;
      },
    });
    const name = model.split("/").pop()!;
    const eTps = median(e.map((x) => x.tokensPerS));
    const dTps = median(d.map((x) => x.tokensPerS));
    const eTtft = median(e.map((x) => x.ttftMs));
    const dTtft = median(d.map((x) => x.ttftMs));
    // Paired per-round figures resist load drift better than ratios of medians.
    const pairedRatio = median(e.map((x, i) => x.tokensPerS / d[i]!.tokensPerS));
    const pairedTtft = median(e.map((x, i) => x.ttftMs - d[i]!.ttftMs));
    const ipc = median(e.map((x) => x.ttftMs - x.hostTtftMs));
    rows.push({ bench: "generate", model: name, variant: "engine client", tokens: e[0]?.tokens ?? 0, "tok/s": round(eTps), "ttft ms": round(eTtft), "host ttft ms": round(median(e.map((x) => x.hostTtftMs))) });
    rows.push({ bench: "generate", model: name, variant: "direct node-llama-cpp", tokens: d[0]?.tokens ?? 0, "tok/s": round(dTps), "ttft ms": round(dTtft), "host ttft ms": null });
    notes.push(
      `${name}: engine/direct generation ${round(pairedRatio, 3)}x paired (${round(eTps / dTps, 3)}x of medians; goal >= 0.97x); ` +
        `TTFT overhead ${round(pairedTtft, 3)} ms paired (goal < 10 ms), of which client<->host messaging ${round(ipc, 3)} ms; ` +
        `${THREADS} thread(s), ${ROUNDS} interleaved rounds of ${GEN_TOKENS} tokens`,
    );
  } finally {
    direct.stop();
    await engine.unloadModel(info.id);
  }
}

/** Random rank-8 LoRA adapters on every attn_q of the bench shape. */
async function writeAdapters(dir: string, count: number): Promise<string[]> {
  const n = BENCH_SHAPE.nEmbd;
  const rank = 8;
  const paths: string[] = [];
  for (let k = 0; k < count; k++) {
    const rand = mulberry32(1000 + k);
    const pairs = Array.from({ length: BENCH_SHAPE.nLayer }, (_, l) => ({
      target: `blk.${l}.attn_q.weight`,
      a: Float32Array.from({ length: n * rank }, () => (rand() - 0.5) * 0.02),
      b: Float32Array.from({ length: rank * n }, () => (rand() - 0.5) * 0.02),
      inDim: n,
      outDim: n,
      rank,
    }));
    const path = join(dir, `bench-lora-${k}.gguf`);
    await writeFile(path, writeGguf(loraAdapterSpec(`bench lora ${k}`, rank, pairs)));
    paths.push(path);
  }
  return paths;
}

async function adapterSwitch(engine: EngineClient, model: string, rows: BenchReport["rows"], notes: string[]): Promise<void> {
  if (!model.includes("bench-")) return; // the adapters are shaped for the bench models
  const dir = await mkdtemp(join(tmpdir(), "lathe-bench-"));
  try {
    const [a, b] = await writeAdapters(dir, 2);
    let info: ModelInfo = await engine.loadModel({ path: model, contextSize: 256, sha256: false });
    const one = (adapters: AdapterRef[]) => () =>
      timeMs(async () => {
        for await (const p of engine.generate({ modelId: info.id, adapters, prompt: { kind: "raw", text: "x" }, sampling: { temperature: 0, maxTokens: 1 } })) void p;
      });
    const setA = [{ path: a!, scale: 1 }];
    const setB = [{ path: b!, scale: 1 }];
    await one(setA)();
    await one(setB)();
    let scale = 0.5;
    const r = await interleave(ROUNDS, {
      // The generation right after one on the other set: what a user switching sets waits.
      cached: async () => {
        await one(setA)();
        return one(setB)();
      },
      newContext: async () => one([{ path: a!, scale: (scale += 0.01) }])(),
      reload: async () =>
        timeMs(async () => {
          await engine.unloadModel(info.id);
          info = await engine.loadModel({ path: model, contextSize: 256, sha256: false });
          await one([])();
        }),
    });
    const name = model.split("/").pop()!;
    rows.push({ bench: "adapter switch", model: name, variant: "cached set (A<->B)", ms: round(median(r.cached)) });
    rows.push({ bench: "adapter switch", model: name, variant: "new set (context + LoRA)", ms: round(median(r.newContext)) });
    rows.push({ bench: "adapter switch", model: name, variant: "full model reload", ms: round(median(r.reload)) });
    notes.push(`${name}: switching to a cached adapter set is ${round(median(r.reload) / median(r.cached), 3)}x faster than a reload; a new set ${round(median(r.reload) / median(r.newContext), 3)}x (each includes a 1-token generation)`);
    await engine.unloadModel(info.id);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function multipleChoice(engine: EngineClient, model: string, rows: BenchReport["rows"], notes: string[]): Promise<void> {
  const info = await engine.loadModel({ path: model, contextSize: CONTEXT, sha256: false });
  try {
    const items = Array.from({ length: 6 }, (_, i) => ({
      context: `Item ${i}. ${PROMPT}Question: which tool drives a chisel? Answer:`,
      continuations: [" a mallet", " a saw", " a plane", " a rasp"],
    }));
    const evaluated = { sharedPrefix: 0, naive: 0 };
    let item = 0;
    const run = (strategy: "sharedPrefix" | "naive") => async () =>
      timeMs(async () => {
        // A different item each time: nothing is reused from an earlier call.
        const it = items[item++ % items.length]!;
        const r = await engine.logLikelihood({ modelId: info.id, context: `${item} ${it.context}`, continuations: it.continuations, strategy });
        evaluated[strategy] = r.evaluatedTokens;
      });
    await run("sharedPrefix")();
    const r = await interleave(ROUNDS, { sharedPrefix: run("sharedPrefix"), naive: run("naive") });
    const name = model.split("/").pop()!;
    rows.push({ bench: "4-choice scoring", model: name, variant: "shared prefix", ms: round(median(r.sharedPrefix)), "tokens evaluated": evaluated.sharedPrefix });
    rows.push({ bench: "4-choice scoring", model: name, variant: "naive", ms: round(median(r.naive)), "tokens evaluated": evaluated.naive });
    notes.push(`${name}: shared-prefix scoring ${round(median(r.naive) / median(r.sharedPrefix), 3)}x faster than naive (goal >= 2.5x), ${round(evaluated.naive / evaluated.sharedPrefix, 3)}x fewer tokens`);
  } finally {
    await engine.unloadModel(info.id);
  }
}

export default async function (): Promise<BenchReport> {
  const models = await benchModels();
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  const engine = new EngineClient({ host: { threads: THREADS, gpu: "cpu", maxContextsPerModel: 3 } });
  try {
    for (const model of models) await throughput(engine, model, rows, notes);
    await adapterSwitch(engine, models[0]!, rows, notes);
    await multipleChoice(engine, models[0]!, rows, notes);
    const s = await engine.status();
    notes.push(`llama.cpp ${s.llamaCppRelease} (${s.buildType}), backend ${s.backend}, ${THREADS} thread(s); llama-bench comparison not run (see docs/engine.md)`);
  } finally {
    await engine.dispose();
  }
  return { name: "engine", rows, notes };
}
