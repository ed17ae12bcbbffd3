// `npx tsx bench/run.ts compareParallel`: what decoding compare columns together on
// sequences of one context (`parallel: n`) buys over running them one after another on
// the model's one-sequence context: wall time for n columns of GEN_TOKENS tokens each,
// interleaved rounds, on the ~160M bench model (q8_0; the demo model when it is missing).
// Threads default to 1 (LATHE_BENCH_THREADS): the machines here are shared. Another model:
// LATHE_BENCH_MODEL=/path/to/model.gguf.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EngineClient } from "../engine/client/EngineClient.ts";
import type { GenerateRequest } from "../core/engine/types.ts";
import { DEFAULT_FIXTURES_DIR, writeFixtures } from "../scripts/fixtures.ts";
import { interleave, median, round, timeMs, type BenchReport } from "./lib.ts";

const THREADS = Number(process.env.LATHE_BENCH_THREADS ?? 1);
const ROUNDS = Number(process.env.LATHE_BENCH_ROUNDS ?? 5);
const GEN_TOKENS = Number(process.env.LATHE_BENCH_TOKENS ?? 48);

async function benchModel(): Promise<string> {
  if (process.env.LATHE_BENCH_MODEL) return process.env.LATHE_BENCH_MODEL;
  const q8 = join(DEFAULT_FIXTURES_DIR, "bench", "bench-q8_0.gguf");
  if (!existsSync(q8)) await writeFixtures({ benchOnly: true }).catch((err: unknown) => console.warn(`bench fixtures unavailable (${String(err)})`));
  return existsSync(q8) ? q8 : join(DEFAULT_FIXTURES_DIR, "demo.gguf");
}

export default async function (): Promise<BenchReport> {
  const path = await benchModel();
  const engine = new EngineClient({ host: { threads: THREADS } });
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  try {
    const model = await engine.loadModel({ path, contextSize: 512, sha256: false });
    const request = (seed: number, parallel?: number): GenerateRequest => ({
      modelId: model.id,
      prompt: { kind: "raw", text: "The workshop smelled of oak and linseed oil. On the bench lay" },
      sampling: { temperature: 1, topK: 0, topP: 1, minP: 0, seed, maxTokens: GEN_TOKENS },
      // Never stop early, so every column makes GEN_TOKENS tokens.
      stopStrings: ["\u0000never\u0000"],
      ...(parallel ? { parallel } : {}),
    });
    const drain = async (r: GenerateRequest) => {
      for await (const p of engine.generate(r)) void p;
    };
    for (const columns of [2, 3, 4]) {
      const seeds = Array.from({ length: columns }, (_, i) => 11 + i);
      // Warm both contexts (and the wide one's creation) outside the measurement.
      await Promise.all(seeds.map((s) => drain(request(s, columns))));
      await drain(request(seeds[0]!));
      const times = await interleave(ROUNDS, {
        serial: () => timeMs(() => Promise.all(seeds.map((s) => drain(request(s))))),
        parallel: () => timeMs(() => Promise.all(seeds.map((s) => drain(request(s, columns))))),
      });
      const serial = median(times.serial);
      const parallel = median(times.parallel);
      rows.push({
        model: path.split("/").at(-1) ?? path,
        columns,
        tokensPerColumn: GEN_TOKENS,
        serialMs: round(serial),
        parallelMs: round(parallel),
        speedup: round(serial / parallel, 3),
        parallelTokPerS: round(((columns * GEN_TOKENS) / parallel) * 1000),
      });
    }
    const status = await engine.status();
    const contexts = status.models.find((m) => m.id === model.id)?.contexts ?? [];
    notes.push(`threads ${THREADS}; contexts after the run: ${contexts.map((c) => `${c.sequences} seq ${round(c.memoryBytes / 2 ** 20, 3)} MiB`).join(", ")}`);
  } finally {
    await engine.dispose();
  }
  return { name: "compareParallel", rows, notes };
}
