// `npm run bench sampling`: how fast the sampling explainer's math reruns (it runs on every
// slider move in the renderer) over the explain call's default 1000 tokens and over a whole
// 152k-token vocabulary (Qwen-sized), for a cheap config (temperature only) and a full one
// (bias, penalties, top-k/top-p/min-p, XTC). Goal: under one 16 ms frame for 1000 tokens.
// Times are process CPU time (median of interleaved rounds): the machines are shared and
// loaded, and wall time there measures the neighbours.
import { createRng } from "../core/eval/bootstrap.ts";
import { resolveSamplingConfig } from "../core/sampling/config.ts";
import { explainSampling, type DistributionToken } from "../core/sampling/explain.ts";
import { interleave, median, round, type BenchReport } from "./lib.ts";

/** CPU milliseconds (user + system) taken by fn. */
async function cpuMs(fn: () => unknown): Promise<number> {
  const t0 = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

/** A Zipf-like distribution over n tokens (deterministic). */
function zipf(n: number): DistributionToken[] {
  const next = createRng(7);
  const w = Array.from({ length: n }, (_, i) => (1 / (i + 1)) * (0.5 + next()));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((x, i) => ({ id: i, piece: `t${i}`, prob: x / z }));
}

export default async function (): Promise<BenchReport> {
  const configs = {
    temperature: resolveSamplingConfig({ temperature: 0.7, topK: 0, topP: 1, minP: 0 }),
    full: resolveSamplingConfig({
      temperature: 1.1,
      topK: 40,
      topP: 0.9,
      minP: 0.05,
      repeatPenalty: { penalty: 1.1, frequencyPenalty: 0.2, presencePenalty: 0.1, lastTokens: 64 },
      xtc: { probability: 0.3, threshold: 0.1 },
      tokenBias: [{ token: 3, logit: "never" }],
    }),
  };
  const recentTokens = Array.from({ length: 64 }, (_, i) => (i * 7) % 500);
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  for (const n of [1000, 152_000]) {
    const dist = zipf(n);
    const rounds = n > 10_000 ? 7 : 41;
    const times = await interleave(rounds, {
      temperature: () => cpuMs(() => explainSampling(dist, configs.temperature)),
      full: () => cpuMs(() => explainSampling(dist, configs.full, { recentTokens })),
    });
    for (const [name, ms] of Object.entries(times)) {
      rows.push({ tokens: n, config: name, medianCpuMs: round(median(ms), 3), runs: ms.length });
    }
    if (n === 1000) notes.push(`1000 tokens, full config: ${round(median(times.full), 3)} ms CPU per rerun (goal < 16 ms, one frame)`);
  }
  return { name: "sampling", rows, notes };
}
