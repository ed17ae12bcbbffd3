// The run pipeline with several items in flight (a remote provider's concurrency setting):
// never more than N engine calls at once, every item saved exactly once with the result
// the sequential run gives, progress counted one by one, and cancel starting nothing new.
import type { Engine } from "../../../core/engine/port.ts";
import type { GenerateRequest, GeneratePacket } from "../../../core/engine/types.ts";
import { samplingConfigSchema } from "../../../core/sampling/config.ts";
import { runPipeline, type EvalItem, type RunItemResult, type RunPlan } from "../../../core/evaluation/index.ts";

/** A fake engine whose generations wait `delay` ms (varying per prompt) and upper-case the prompt; counts calls in flight. */
function slowEngine(stats: { now: number; max: number; started: string[] }): Engine {
  return {
    async *generate(req: GenerateRequest): AsyncGenerator<GeneratePacket> {
      const p = req.prompt.kind === "raw" ? req.prompt.text : "";
      stats.started.push(p);
      stats.now++;
      stats.max = Math.max(stats.max, stats.now);
      await new Promise((r) => setTimeout(r, 5 + (p.length % 3) * 7));
      stats.now--;
      const text = p.toUpperCase();
      yield { type: "done", text, stopReason: "eos", seed: 0, tokens: [], timings: { ttftMs: 1, promptTokens: 1, cachedPromptTokens: 0, promptTokensPerS: 1, completionTokens: 1, tokensPerS: 1, totalMs: 1 } };
    },
  } as unknown as Engine;
}

const items: EvalItem[] = ["a", "bb", "ccc", "dddd", "eeeee", "f", "gg"].map((input) => ({ input, references: [input.toUpperCase()], choices: null, gold: null }));
const plan = (pending: number[]): RunPlan => ({
  task: "generation",
  prompt: { kind: "template", template: "{{input}}", chat: false },
  targetDelimiter: " ",
  modelId: "m",
  adapters: [],
  sampling: samplingConfigSchema.parse({ temperature: 0 }),
  items,
  pending,
  alreadyDone: 0,
  judges: [],
});

async function run(concurrency: number, signal = new AbortController().signal, onItem?: (n: number) => void) {
  const stats = { now: 0, max: 0, started: [] as string[] };
  const saved: RunItemResult[] = [];
  const progress: number[] = [];
  for await (const p of runPipeline(slowEngine(stats), plan([0, 1, 2, 3, 4, 5, 6]), { signal, concurrency, save: async (r) => void saved.push(r) })) {
    if (p.type === "progress") progress.push(p.done);
    else onItem?.(saved.length);
  }
  return { stats, saved, progress };
}

describe("runPipeline with concurrency", () => {
  it("keeps at most N items in flight and saves the same results as one at a time", async () => {
    const one = await run(1);
    const three = await run(3);
    expect(one.stats.max).toBe(1);
    expect(three.stats.max).toBe(3);
    const byIndex = (rs: RunItemResult[]) => [...rs].sort((a, b) => a.index - b.index).map((r) => [r.index, r.prediction, r.error]);
    expect(byIndex(three.saved)).toEqual(byIndex(one.saved));
    expect(three.saved.map((r) => r.index).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(three.progress).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("starts no new item after a cancel and rethrows it", async () => {
    const ac = new AbortController();
    const stats = { now: 0, max: 0, started: [] as string[] };
    const saved: RunItemResult[] = [];
    const gen = runPipeline(slowEngine(stats), plan([0, 1, 2, 3, 4, 5, 6]), { signal: ac.signal, concurrency: 2, save: async (r) => void saved.push(r) });
    await expect(
      (async () => {
        for await (const p of gen) if (p.type === "item") ac.abort(new Error("stop"));
      })(),
    ).rejects.toThrow("stop");
    expect(stats.started.length).toBeLessThan(7);
    expect(stats.now).toBe(0);
  });
});
