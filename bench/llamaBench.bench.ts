// `npx tsx bench/run.ts llamaBench`: Lathe against llama.cpp itself. Builds llama-bench
// once from the llama.cpp source node-llama-cpp bundles (same release; OpenMP + native CPU
// flags; cached in bench/.cache/llama.cpp, minutes on 2 cores), then on the bench models
// measures prompt processing (pp) and generation (tg) with the same threads through
// llama-bench -o json and through Lathe's engine client on the prebuilt library (unless
// LATHE_BENCH_LATHE_PREBUILT=0) and on the
// local build ("build the engine for this machine") when one exists, runs interleaved,
// and reports the ratios Lathe/llama-bench (goal >= 0.95x). Also the client's TTFT overhead
// over the host's. Env: LATHE_BENCH_THREADS (2), LATHE_BENCH_ROUNDS (3), LATHE_BENCH_PP
// (128), LATHE_BENCH_TG (64), LATHE_BENCH_MODELS (comma-separated paths), LLAMA_BENCH (a
// llama-bench binary to use instead of building one).
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EngineClient } from "../engine/client/EngineClient.ts";
import { findLocalBuild, nodeLlamaCppDir } from "../engine/build/localBuilds.ts";
import { engineLocalBuildCmakeOptions, type EngineLibrary } from "../core/engine/types.ts";
import { benchFixture, ensureBenchFixtures } from "../test/helpers/fixtures.ts";
import { interleave, median, round, type BenchReport } from "./lib.ts";

const THREADS = Number(process.env.LATHE_BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.LATHE_BENCH_ROUNDS ?? 3);
const PP = Number(process.env.LATHE_BENCH_PP ?? 128);
const TG = Number(process.env.LATHE_BENCH_TG ?? 64);
const CONTEXT = 512;

const here = dirname(fileURLToPath(import.meta.url));
/** The llama.cpp checkout and build used for llama-bench (bench/.cache is git-ignored). */
export const llamaBenchSource = join(here, ".cache", "llama.cpp");
const llamaBenchBuild = join(llamaBenchSource, "build");
const llamaBenchBinary = join(llamaBenchBuild, "bin", process.platform === "win32" ? "llama-bench.exe" : "llama-bench");

const run = promisify(execFile);

function onPath(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, name)));
}

/** Runs a command at the lowest priority (the machine is shared), output to this terminal. */
function niceRun(cmd: string, args: string[], cwd?: string): Promise<void> {
  const [file, argv] = process.platform === "win32" || !onPath("nice") ? [cmd, args] : ["nice", ["-n", "19", cmd, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}`))));
  });
}

/** Builds llama-bench from node-llama-cpp's bundled llama.cpp (once); returns its path, or why it cannot. */
export async function ensureLlamaBench(): Promise<{ path: string } | { error: string }> {
  if (process.env.LLAMA_BENCH) return existsSync(process.env.LLAMA_BENCH) ? { path: process.env.LLAMA_BENCH } : { error: `LLAMA_BENCH=${process.env.LLAMA_BENCH} does not exist` };
  if (existsSync(llamaBenchBinary)) return { path: llamaBenchBinary };
  for (const tool of ["git", "cmake"]) if (!onPath(tool)) return { error: `${tool} is not on PATH` };
  const bundle = join(nodeLlamaCppDir(), "llama", "gitRelease.bundle");
  if (!existsSync(bundle)) return { error: `node-llama-cpp's llama.cpp bundle is missing (${bundle})` };
  try {
    mkdirSync(dirname(llamaBenchSource), { recursive: true });
    if (!existsSync(join(llamaBenchSource, "CMakeLists.txt"))) {
      console.log(`cloning ${bundle} into ${llamaBenchSource}`);
      await niceRun("git", ["clone", "--quiet", bundle, llamaBenchSource]);
    }
    console.log("building llama-bench (OpenMP, native CPU flags); several minutes on 2 cores");
    const flags = Object.entries(engineLocalBuildCmakeOptions).map(([k, v]) => `-D${k}=${v}`);
    await niceRun("cmake", ["-B", llamaBenchBuild, "-DCMAKE_BUILD_TYPE=Release", ...flags, "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=OFF", "-DBUILD_SHARED_LIBS=OFF"], llamaBenchSource);
    await niceRun("cmake", ["--build", llamaBenchBuild, "--config", "Release", "--target", "llama-bench", "-j", "2"], llamaBenchSource);
  } catch (err) {
    return { error: `building llama-bench failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  return existsSync(llamaBenchBinary) ? { path: llamaBenchBinary } : { error: `the build finished but ${llamaBenchBinary} is missing` };
}

/**
 * A llama-bench linked against the shared libraries of a node-llama-cpp build (its
 * libllama, libggml*, libllama-common): compiles llama-bench.cpp once (cached objects) and
 * links per library folder, with the libraries linked beside the binary (ggml looks for
 * dynamically loaded backends next to the executable). With the local build's libraries
 * this is llama.cpp built natively with OpenMP, like a full llama-bench build, in a minute
 * instead of many; with the prebuilt ones it isolates what the binding adds.
 */
export async function linkLlamaBench(libDir: string, name: string): Promise<{ path: string } | { error: string }> {
  const out = join(here, ".cache", `llama-bench-${name}`);
  const binary = join(out, "llama-bench");
  if (existsSync(binary)) return { path: binary };
  if (!existsSync(join(llamaBenchSource, "tools", "llama-bench", "llama-bench.cpp"))) {
    const bundle = join(nodeLlamaCppDir(), "llama", "gitRelease.bundle");
    await niceRun("git", ["clone", "--quiet", bundle, llamaBenchSource]);
  }
  const obj = join(here, ".cache", "llama-bench-obj");
  mkdirSync(obj, { recursive: true });
  mkdirSync(out, { recursive: true });
  const src = (f: string) => join(llamaBenchSource, f);
  const includes = ["include", "common", "ggml/include", "vendor"].flatMap((d) => ["-I", src(d)]);
  try {
    for (const f of ["llama-bench", "main"]) {
      if (!existsSync(join(obj, `${f}.o`))) await niceRun("c++", ["-O2", "-DNDEBUG", "-std=c++17", ...includes, "-c", src(`tools/llama-bench/${f}.cpp`), "-o", join(obj, `${f}.o`)]);
    }
    const libs = readdirSync(libDir).filter((f) => /^lib.*\.so(\..*)?$/.test(f));
    for (const lib of libs) if (!existsSync(join(out, lib))) symlinkSync(join(libDir, lib), join(out, lib));
    const wanted = (prefix: string) => libs.find((l) => l.startsWith(prefix));
    const link = ["libllama.", "libggml.", "libggml-base.", "libllama-common."].map(wanted).filter((l): l is string => !!l);
    await niceRun("c++", [join(obj, "llama-bench.o"), join(obj, "main.o"), "-o", binary, "-L", out, ...link.map((l) => `-l:${l}`), "-Wl,-rpath,$ORIGIN", "-pthread"]);
  } catch (err) {
    return { error: `linking llama-bench against ${libDir} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { path: binary };
}

/** One llama-bench JSON record (the fields used here). */
interface LlamaBenchRecord {
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
  n_threads: number;
  build_commit?: string;
  cpu_info?: string;
}

/** pp and tg tokens/s from one llama-bench run (one repetition each). */
async function llamaBenchRun(binary: string, model: string): Promise<{ pp: number; tg: number; record: LlamaBenchRecord }> {
  const { stdout } = await run(binary, ["-m", model, "-t", String(THREADS), "-p", String(PP), "-n", String(TG), "-r", "1", "-o", "json"], { maxBuffer: 16 << 20 });
  const records = JSON.parse(stdout) as LlamaBenchRecord[];
  const pp = records.find((r) => r.n_prompt > 0 && r.n_gen === 0);
  const tg = records.find((r) => r.n_gen > 0 && r.n_prompt === 0);
  if (!pp || !tg) throw new Error(`llama-bench printed no pp/tg records: ${stdout.slice(0, 300)}`);
  return { pp: pp.avg_ts, tg: tg.avg_ts, record: pp };
}

/** A started engine client with the model loaded on one library. */
interface LatheVariant {
  engine: EngineClient;
  modelId: string;
  buildType: string;
  reason: string;
}

async function startLathe(library: EngineLibrary, model: string): Promise<LatheVariant> {
  const engine = new EngineClient({ host: { threads: THREADS, gpu: "cpu", library } });
  const status = await engine.status();
  const info = await engine.loadModel({ path: model, contextSize: CONTEXT, sha256: false });
  return { engine, modelId: info.id, buildType: status.buildType, reason: status.libraryReason ?? "" };
}

let salt = 0;
/** A prompt of about n byte-level tokens that starts differently every call (no prefix reuse between runs). */
function prompt(n: number): string {
  const head = `${(salt++ % 90) + 10} `;
  const body = "the chisel met the oak along the grain and the shavings curled away from the bench ";
  return (head + body.repeat(Math.ceil(n / body.length))).slice(0, n);
}

/** pp: prompt tokens/s of a PP-token prompt; tg: generated tokens/s of TG tokens; both as the host timed them. Also the client's TTFT minus the host's. */
async function latheRun(v: LatheVariant): Promise<{ pp: number; tg: number; ttftOverheadMs: number }> {
  const once = async (text: string, maxTokens: number) => {
    const t0 = performance.now();
    let tFirst = 0;
    for await (const p of v.engine.generate({ modelId: v.modelId, prompt: { kind: "raw", text }, sampling: { temperature: 0, maxTokens } })) {
      if (p.type === "fragment" && !tFirst && p.tokens.length) tFirst = performance.now();
      if (p.type === "done") return { done: p, clientTtft: (tFirst || performance.now()) - t0 };
    }
    throw new Error("no done packet");
  };
  const a = await once(prompt(PP), 1);
  const b = await once(prompt(4), TG);
  return { pp: a.done.timings.promptTokensPerS, tg: b.done.timings.tokensPerS, ttftOverheadMs: b.clientTtft - b.done.timings.ttftMs };
}

/** node-llama-cpp's prebuilt CPU libraries for this platform, when installed. */
function prebuiltLibDir(): string | null {
  const plat = `${process.platform === "darwin" ? "mac" : process.platform === "win32" ? "win" : process.platform}-${process.arch}`;
  const dir = join(dirname(nodeLlamaCppDir()), "@node-llama-cpp", plat, "bins", plat);
  return existsSync(dir) ? dir : null;
}

/** The folder of a local build that holds its shared libraries. */
function libDirOf(buildPath: string): string | null {
  for (const sub of ["bin", "Release", "."]) {
    const d = join(buildPath, sub);
    if (existsSync(d) && readdirSync(d).some((f) => f.startsWith("libllama"))) return d;
  }
  return null;
}

export default async function (): Promise<BenchReport> {
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  const local = findLocalBuild(engineLocalBuildCmakeOptions);
  if (!local) notes.push(`no local build with ${Object.entries(engineLocalBuildCmakeOptions).map(([k, v]) => `${k}=${v}`).join(", ")}: only the prebuilt library is measured (Settings > Build the engine for this machine, or see docs/engine.md)`);

  // The reference: a full native llama-bench build when present (or LLAMA_BENCH), else llama-bench
  // linked to the local build's libraries (the same native OpenMP code), else a full build now.
  const refs: { label: string; path: string }[] = [];
  const localLibs = local ? libDirOf(local.path) : null;
  let native: { path: string } | { error: string };
  let nativeLabel = process.env.LLAMA_BENCH ? `llama-bench (LLAMA_BENCH=${process.env.LLAMA_BENCH})` : "llama-bench (native build)";
  if (process.env.LLAMA_BENCH || existsSync(llamaBenchBinary) || !local || !localLibs) native = await ensureLlamaBench();
  else {
    native = await linkLlamaBench(localLibs, local.folder);
    nativeLabel = "llama-bench (native, local build's libraries)";
  }
  if ("error" in native) {
    notes.push(`llama-bench unavailable: ${native.error}; nothing measured`);
    return { name: "llamaBench", rows, notes };
  }
  refs.push({ label: nativeLabel, path: native.path });
  const pre = prebuiltLibDir();
  if (pre && process.env.LATHE_BENCH_PREBUILT_LLAMA_BENCH !== "0") {
    const linked = await linkLlamaBench(pre, "prebuilt");
    if ("path" in linked) refs.push({ label: "llama-bench (prebuilt libraries)", path: linked.path });
    else notes.push(linked.error);
  }

  let models: string[];
  if (process.env.LATHE_BENCH_MODELS) models = process.env.LATHE_BENCH_MODELS.split(",");
  else {
    await ensureBenchFixtures();
    models = [benchFixture.q8_0, benchFixture.f16];
  }

  for (const model of models) {
    const name = model.split("/").pop()!;
    const variants: { label: string; v: LatheVariant }[] = [];
    if (process.env.LATHE_BENCH_LATHE_PREBUILT !== "0") variants.push({ label: "Lathe, prebuilt", v: await startLathe("prebuilt", model) });
    if (local) {
      const v = await startLathe("localBuild", model);
      if (v.buildType === "localBuild") variants.push({ label: "Lathe, local build", v });
      else {
        notes.push(`${name}: the local build did not load (${v.reason}); not measured`);
        await v.engine.dispose();
      }
    }
    try {
      // Warm-up once each (page cache, first-run allocations).
      const commits = await Promise.all(refs.map(async (r) => (await llamaBenchRun(r.path, model)).record.build_commit ?? "?"));
      for (const { v } of variants) await latheRun(v);
      const results: Record<string, { pp: number; tg: number; ttftOverheadMs: number }[]> = {};
      const schedule: Record<string, () => Promise<number>> = {};
      for (const r of refs) {
        results[r.label] = [];
        schedule[r.label] = async () => {
          const m = await llamaBenchRun(r.path, model);
          results[r.label]!.push({ ...m, ttftOverheadMs: 0 });
          console.log(`  ${name} ${r.label}: pp ${round(m.pp)} t/s, tg ${round(m.tg)} t/s`);
          return 0;
        };
      }
      for (const { label, v } of variants) {
        results[label] = [];
        schedule[label] = async () => {
          const m = await latheRun(v);
          results[label]!.push(m);
          console.log(`  ${name} ${label}: pp ${round(m.pp)} t/s, tg ${round(m.tg)} t/s`);
          return 0;
        };
      }
      await interleave(ROUNDS, schedule);
      const base = results[refs[0]!.label]!;
      const row = (label: string, r: { pp: number; tg: number; ttftOverheadMs: number }[], lathe: boolean) => {
        // Paired per-round ratios resist the shared machine's load drift.
        const ppRatio = median(r.map((x, i) => x.pp / base[i]!.pp));
        const tgRatio = median(r.map((x, i) => x.tg / base[i]!.tg));
        rows.push({
          model: name,
          variant: label,
          threads: THREADS,
          [`pp${PP} t/s`]: round(median(r.map((x) => x.pp))),
          [`tg${TG} t/s`]: round(median(r.map((x) => x.tg))),
          "pp ratio": round(ppRatio, 3),
          "tg ratio": round(tgRatio, 3),
          "ttft overhead ms": lathe ? round(median(r.map((x) => x.ttftOverheadMs)), 3) : null,
        });
        return { ppRatio, tgRatio };
      };
      refs.forEach((r, i) => row(`${r.label} ${commits[i]}`, results[r.label]!, false));
      for (const { label } of variants) {
        const { ppRatio, tgRatio } = row(label, results[label]!, true);
        notes.push(`${name}: ${label} / ${refs[0]!.label}: pp ${round(ppRatio, 3)}x, tg ${round(tgRatio, 3)}x (goal >= 0.95x); ${THREADS} threads, ${ROUNDS} interleaved rounds`);
      }
    } finally {
      for (const { v } of variants) await v.engine.dispose();
    }
  }
  notes.push(`reference: ${refs.map((r) => r.path).join(", ")}; Lathe hosts run with UV_THREADPOOL_SIZE=1; local build: ${local ? local.folder : "none"}`);
  return { name: "llamaBench", rows, notes };
}
