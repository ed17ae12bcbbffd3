// `npm run bench api`: the cost of Lathe's OpenAI-compatible API on loopback.
// 1. Streaming chat through /v1/chat/completions (fetch + SSE parsing, as a remote provider
//    or any OpenAI client sees it) vs the same engine client called directly, same loaded
//    model, same chat prompt, greedy; interleaved rounds, paired tokens/s ratio (goal >= 0.95x).
// 2. Concurrent clients (1, 4, 8) streaming at once over loopback: aggregate tokens/s and
//    p50/p95 time to first token.
// Runs on the Q8_0 bench fixture (test/helpers/fixtures.ts ensureBenchFixtures), whose random
// weights generate tokens without visible text (so an OpenAI client sees no deltas: only
// end-to-end rates and no TTFT there), and on the demo bigram model, which writes text (a tiny
// model: ~1 ms per token, so per-chunk HTTP cost weighs the most there). Knobs:
// LATHE_BENCH_THREADS (1), LATHE_BENCH_ROUNDS (5), LATHE_BENCH_TOKENS (64), LATHE_BENCH_REQUESTS (2 per client).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLathe, type RunningLathe } from "../server/app.ts";
import { benchFixture, ensureBenchFixtures, ensureFixtures, fixture } from "../test/helpers/fixtures.ts";
import { collect, connectClient } from "../test/helpers/lathe.ts";
import { interleave, median, percentile, round, type BenchReport } from "./lib.ts";

const THREADS = Number(process.env.LATHE_BENCH_THREADS ?? 1);
const ROUNDS = Number(process.env.LATHE_BENCH_ROUNDS ?? 5);
const GEN_TOKENS = Number(process.env.LATHE_BENCH_TOKENS ?? 64);
const REQUESTS = Number(process.env.LATHE_BENCH_REQUESTS ?? 2);
const PROMPT = "The workshop smelled of oak and linseed oil. On the bench lay a chisel, a mallet and a half-finished chair; describe the next hour.";

/** One streamed generation measured on the client side. */
interface Sample {
  /** Request sent to first text, ms. */
  ttftMs: number;
  /** Completion tokens (the server's count). */
  tokens: number;
  /** (tokens - 1) over first to last text, per second; NaN when no text came. */
  tokensPerS: number;
  /** tokens over request sent to end, per second. */
  e2eTokensPerS: number;
  /** Request sent to end, ms. */
  totalMs: number;
}

const sample = (t0: number, first: number, last: number, end: number, tokens: number): Sample => ({
  ttftMs: first ? first - t0 : Number.NaN,
  tokens,
  tokensPerS: tokens > 1 && last > first ? ((tokens - 1) * 1000) / (last - first) : Number.NaN,
  e2eTokensPerS: (tokens * 1000) / (end - t0),
  totalMs: end - t0,
});
const known = (xs: number[]) => xs.filter((x) => Number.isFinite(x));
const stat = (xs: number[], f: (v: number[]) => number) => (known(xs).length ? round(f(known(xs))) : null);

/** Streams a chat completion over HTTP and parses the SSE by hand (what engine/remote does). */
async function viaApi(lathe: RunningLathe, model: string, content: string): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(`${lathe.http.origin}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${lathe.http.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }], stream: true, temperature: 0, max_tokens: GEN_TOKENS }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = "";
  let first = 0;
  let last = 0;
  let tokens = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const data = event.startsWith("data: ") ? event.slice(6) : "";
      if (!data || data === "[DONE]") continue;
      const obj = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; usage?: { completion_tokens: number } };
      if (obj.choices?.[0]?.delta?.content) {
        const now = performance.now();
        first ||= now;
        last = now;
      }
      if (obj.usage) tokens = obj.usage.completion_tokens;
    }
  }
  return sample(t0, first, last, performance.now(), tokens);
}

/** The same generation through the engine client, measured the same way. */
async function direct(lathe: RunningLathe, modelId: string, content: string): Promise<Sample> {
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  for await (const p of lathe.engine.generate({
    modelId,
    prompt: { kind: "chat", messages: [{ role: "user", content }] },
    sampling: { temperature: 0, topK: 0, topP: 1, minP: 0, maxTokens: GEN_TOKENS },
  })) {
    if (p.type === "fragment") {
      if (!p.text) continue;
      const now = performance.now();
      first ||= now;
      last = now;
    } else return sample(t0, first, last, performance.now(), p.timings.completionTokens);
  }
  throw new Error("no done packet");
}

export default async function run(): Promise<BenchReport> {
  await ensureBenchFixtures();
  await ensureFixtures();
  const dataDir = mkdtempSync(join(tmpdir(), "lathe-bench-api-"));
  const lathe = await startLathe({ dataDir, threads: THREADS, staticDir: null });
  const api = await connectClient(lathe);
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  try {
    for (const path of [benchFixture.q8_0, fixture.demo]) {
      const record = await api.models.add({ path });
      await collect(api.models.load({ id: record.id, contextSize: 1024 }));
      const handle = (await api.models.list({})).models.find((m) => m.id === record.id)!.loaded!.id;
      const name = record.name;

      // 1. API vs direct, interleaved; each call starts with its own text, so no variant reuses the other's prompt cache.
      await viaApi(lathe, name, `warm ${PROMPT}`);
      await direct(lathe, handle, `warm ${PROMPT}`);
      const a: Sample[] = [];
      const d: Sample[] = [];
      let r = 0;
      await interleave(ROUNDS, {
        api: async () => {
          a.push(await viaApi(lathe, name, `api ${r} ${PROMPT}`));
          return 0;
        },
        direct: async () => {
          d.push(await direct(lathe, handle, `dir ${r++} ${PROMPT}`));
          return 0;
        },
      });
      for (const [variant, s] of [
        ["/v1/chat/completions (SSE)", a],
        ["engine client direct", d],
      ] as const) {
        rows.push({
          bench: "stream chat",
          model: name,
          variant,
          clients: 1,
          tokens: s[0]?.tokens ?? 0,
          "stream tok/s": stat(s.map((x) => x.tokensPerS), median),
          "e2e tok/s": stat(s.map((x) => x.e2eTokensPerS), median),
          "ttft p50 ms": stat(s.map((x) => x.ttftMs), median),
          "ttft p95 ms": stat(s.map((x) => x.ttftMs), (v) => percentile(v, 95)),
          "total ms": stat(s.map((x) => x.totalMs), median),
        });
      }
      const streamRatio = known(a.map((x, i) => x.tokensPerS / d[i]!.tokensPerS));
      const e2eRatio = median(a.map((x, i) => x.e2eTokensPerS / d[i]!.e2eTokensPerS));
      notes.push(
        `${name}: API/direct tokens/s ${streamRatio.length ? `${round(median(streamRatio), 3)}x streamed (first to last text), ` : "(no text deltas: streamed rate not observable), "}` +
          `${round(e2eRatio, 3)}x end to end, paired medians (goal >= 0.95x); total time overhead ${round(median(a.map((x, i) => x.totalMs - d[i]!.totalMs)), 3)} ms paired; ` +
          `${THREADS} thread(s), ${ROUNDS} interleaved rounds of ${GEN_TOKENS} tokens`,
      );

      // 2. Concurrent clients, each sending REQUESTS streams one after another.
      for (const clients of [1, 4, 8]) {
        const all: Sample[] = [];
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            for (let k = 0; k < REQUESTS; k++) all.push(await viaApi(lathe, name, `client ${c} request ${k} ${PROMPT}`));
          }),
        );
        const wall = performance.now() - t0;
        const tokens = all.reduce((n, x) => n + x.tokens, 0);
        rows.push({
          bench: "concurrent",
          model: name,
          variant: "/v1/chat/completions (SSE)",
          clients,
          tokens,
          "stream tok/s": null,
          "e2e tok/s": round((tokens * 1000) / wall),
          "ttft p50 ms": stat(all.map((x) => x.ttftMs), median),
          "ttft p95 ms": stat(all.map((x) => x.ttftMs), (v) => percentile(v, 95)),
          "total ms": round(wall),
        });
      }
      await api.models.unload({ id: record.id });
    }
    notes.push(
      `concurrent rows: e2e tok/s = all completion tokens / wall time; ${REQUESTS} request(s) per client; ` +
        "models load with 1 sequence, so requests queue in the engine and TTFT grows with the queue",
    );
  } finally {
    api.$close();
    await lathe.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { name: "api", rows, notes };
}
