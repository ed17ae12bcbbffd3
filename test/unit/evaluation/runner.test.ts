// The run pipeline against a fake engine: prompts from templates and the prompt builder,
// generation with judges (prompt and verdict stored), multiple choice by log-likelihood,
// perplexity, saving each item, resume, cancel; scoring and paired comparisons.
import type { Engine } from "../../../core/engine/port.ts";
import type { GenerateRequest, GeneratePacket, LogLikelihoodRequest } from "../../../core/engine/types.ts";
import { samplingConfigSchema } from "../../../core/sampling/config.ts";
import {
  compareScored,
  highlightMatches,
  parseVerdict,
  renderPrompt,
  runCsv,
  runPipeline,
  scoreRun,
  suiteInputSchema,
  type EvalItem,
  type RunItemResult,
  type RunPlan,
} from "../../../core/evaluation/index.ts";

/** A fake engine: generation echoes a transform of the prompt; scoring prefers the choice starting with "good". */
function fakeEngine(answer: (prompt: string) => string, calls: string[] = []): Engine {
  return {
    async *generate(req: GenerateRequest): AsyncGenerator<GeneratePacket> {
      const p = req.prompt.kind === "raw" ? req.prompt.text : req.prompt.kind === "chat" ? req.prompt.messages.at(-1)!.content : "";
      calls.push(`${req.modelId}:${p}`);
      const text = answer(p);
      yield { type: "fragment", text, tokens: [] };
      yield { type: "done", text, stopReason: "eos", seed: 0, tokens: [], timings: { ttftMs: 1, promptTokens: p.length, cachedPromptTokens: 0, promptTokensPerS: 1, completionTokens: text.length, tokensPerS: 1, totalMs: 1 } };
    },
    async logLikelihood(req: LogLikelihoodRequest) {
      calls.push(`ll:${req.context}`);
      return {
        results: req.continuations.map((c) => ({ logprob: c.trim().startsWith("good") ? -1 : -5, tokens: c.length, isGreedy: false })),
        contextTokens: req.context.length,
        evaluatedTokens: req.context.length + req.continuations.join("").length,
      };
    },
    async perplexity(req: { text: string }) {
      return { perplexity: Math.exp(0.5), meanNll: 0.5, tokens: req.text.length, windows: 1 };
    },
  } as unknown as Engine;
}

const greedy = samplingConfigSchema.parse({ temperature: 0, maxTokens: 8 });
const genItems: EvalItem[] = [
  { input: "one", references: ["ONE"], choices: null, gold: null },
  { input: "two", references: ["TWO"], choices: null, gold: null },
  { input: "three", references: ["THREE"], choices: null, gold: null },
];

function plan(over: Partial<RunPlan>): RunPlan {
  return {
    task: "generation",
    prompt: { kind: "template", template: "Q: {{input}}", chat: false },
    targetDelimiter: " ",
    modelId: "m",
    adapters: [],
    sampling: greedy,
    items: genItems,
    pending: [0, 1, 2],
    alreadyDone: 0,
    judges: [],
    ...over,
  };
}

async function drain(gen: AsyncGenerator<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const p of gen) out.push(p);
  return out;
}

describe("prompts", () => {
  it("fills {{input}} and builds zero- and few-shot prompts from the prompt builder", () => {
    expect(renderPrompt({ kind: "template", template: "Q: {{input}} / {{input}}", chat: false }, "x").text).toBe("Q: x / x");
    const spec = { kind: "builder" as const, instruction: "Do it.", examples: [{ input: "a", output: "A" }], mode: "few" as const, shots: null, inputLabel: "In:", outputLabel: "Out:", chat: false };
    expect(renderPrompt(spec, "b").text).toBe("Do it.\n\nIn: a\nOut: A\n\nIn: b\nOut:");
    expect(renderPrompt({ ...spec, mode: "zero" }, "b").text).toBe("Do it.\n\nIn: b\nOut:");
    const chat = renderPrompt({ ...spec, chat: true }, "b").prompt;
    expect(chat).toEqual({ kind: "chat", systemPrompt: "Do it.", messages: [{ role: "user", content: "a" }, { role: "assistant", content: "A" }, { role: "user", content: "b" }] });
  });

  it("reads judge verdicts", () => {
    expect([parseVerdict("Yes"), parseVerdict(" no."), parseVerdict("**Yes**, it does"), parseVerdict("I think no"), parseVerdict("maybe")]).toEqual(["yes", "no", "yes", "no", null]);
  });

  it("marks prediction words inside n-grams found in a reference", () => {
    const spans = highlightMatches("the cat sat down", ["a cat sat here"]);
    expect(spans.filter((s) => s.match > 0).map((s) => [s.text, s.match])).toEqual([
      ["cat", 2],
      ["sat", 2],
    ]);
  });
});

describe("runPipeline", () => {
  it("generates each pending item, saves it before the next, asks the judge, and reports progress with an ETA", async () => {
    const calls: string[] = [];
    const engine = fakeEngine((p) => (p.startsWith("Q: ") ? p.slice(3).toUpperCase() : p.includes("Answer:\nTWO") ? "No" : "Yes"), calls);
    const saved: RunItemResult[] = [];
    let t = 0;
    const judge = { spec: { modelId: "judge", rubric: "Is it right?", name: "right", yesIsGood: true, constrain: true }, modelId: "jm" };
    const packets = await drain(runPipeline(engine, plan({ judges: [judge] }), { signal: new AbortController().signal, save: async (r) => void saved.push(r), now: () => (t += 10) }));
    expect(saved.map((r) => [r.index, r.prompt, r.prediction])).toEqual([
      [0, "Q: one", "ONE"],
      [1, "Q: two", "TWO"],
      [2, "Q: three", "THREE"],
    ]);
    expect(saved.map((r) => r.judges[0]!.verdict)).toEqual(["yes", "no", "yes"]);
    expect(saved[1]!.judges[0]!.prompt).toContain("Question: Is it right?");
    expect(calls.filter((c) => c.startsWith("jm:"))).toHaveLength(3);
    const progress = packets.filter((p) => (p as { type: string }).type === "progress") as { done: number; etaMs: number | null }[];
    expect(progress.map((p) => p.done)).toEqual([0, 1, 2, 3]);
    expect(progress[0]!.etaMs).toBeNull();
    expect(progress.at(-1)!.etaMs).toBe(0);

    const suite = suiteInputSchema.parse({ name: "s", datasetId: "d", task: "generation", metrics: [{ name: "exact_match" }], judges: [judge.spec] });
    const scored = scoreRun(suite, genItems, saved);
    expect(scored.map((m) => [m.name, m.kind, m.score])).toEqual([
      ["exact_match", "metric", 1],
      ["right", "judge", 2 / 3],
    ]);
  });

  it("resumes only the missing items and stops between items when cancelled", async () => {
    const saved: number[] = [];
    await drain(runPipeline(fakeEngine((p) => p), plan({ pending: [2], alreadyDone: 2 }), { signal: new AbortController().signal, save: async (r) => void saved.push(r.index) }));
    expect(saved).toEqual([2]);
    const ac = new AbortController();
    const got: number[] = [];
    await expect(
      drain(runPipeline(fakeEngine((p) => p), plan({}), { signal: ac.signal, save: async (r) => { got.push(r.index); ac.abort(); } })),
    ).rejects.toThrow();
    expect(got).toEqual([0]);
  });

  it("scores multiple choice by log-likelihood of delimiter + choice and counts failed items as wrong", async () => {
    const items: EvalItem[] = [
      { input: "q1", references: [], choices: ["good a", "bad"], gold: 0 },
      { input: "q2", references: [], choices: ["bad", "good b"], gold: 0 },
    ];
    const saved: RunItemResult[] = [];
    await drain(runPipeline(fakeEngine(() => ""), plan({ task: "multiple_choice", items, pending: [0, 1] }), { signal: new AbortController().signal, save: async (r) => void saved.push(r) }));
    expect(saved.map((r) => r.logLikelihoods)).toEqual([[-1, -5], [-5, -1]]);
    expect(saved[0]!.prompt).toBe("Q: q1");
    const suite = suiteInputSchema.parse({ name: "s", datasetId: "d", task: "multiple_choice", metrics: [{ name: "acc" }] });
    expect(scoreRun(suite, items, saved)[0]!.score).toBe(0.5);
    const failed = saved.map((r) => ({ ...r, error: "boom" }));
    expect(scoreRun(suite, items, failed)[0]!.score).toBe(0);
  });

  it("computes perplexity from the engine's mean NLL and token count", async () => {
    const items: EvalItem[] = [{ input: "abcd", references: [], choices: null, gold: null }];
    const saved: RunItemResult[] = [];
    await drain(runPipeline(fakeEngine(() => ""), plan({ task: "perplexity", items, pending: [0] }), { signal: new AbortController().signal, save: async (r) => void saved.push(r) }));
    expect(saved[0]!.perplexity).toEqual({ sumLogprob: -2, tokens: 4 });
    const suite = suiteInputSchema.parse({ name: "s", datasetId: "d", task: "perplexity", metrics: [{ name: "perplexity" }] });
    expect(scoreRun(suite, items, saved)[0]!.score).toBeCloseTo(Math.exp(0.5), 12);
  });
});

describe("compareScored and exports", () => {
  const suite = suiteInputSchema.parse({ name: "s", datasetId: "d", task: "generation", metrics: [{ name: "exact_match" }, { name: "chrf" }] });
  const result = (index: number, prediction: string): RunItemResult => ({ index, prompt: "", prediction, logLikelihoods: null, choiceTokens: null, perplexity: null, judges: [], error: null, ms: 1, tokens: 1 });

  it("gives B - A deltas with a seeded interval and per-item wins and losses", () => {
    const a = scoreRun(suite, genItems, [result(0, "ONE"), result(1, "x"), result(2, "y")]);
    const b = scoreRun(suite, genItems, [result(0, "ONE"), result(1, "TWO"), result(2, "THREE")]);
    const cmp = compareScored(a, b, { samples: 200, seed: 7 });
    const em = cmp.find((c) => c.name === "exact_match")!;
    expect(em.bootstrap.delta).toBeCloseTo(2 / 3, 12);
    expect([em.wins, em.losses, em.ties]).toEqual([2, 0, 1]);
    expect(em.winIndices).toEqual([1, 2]);
    expect(em.bootstrap.ciLow).toBeLessThanOrEqual(em.bootstrap.delta);
    expect(em.bootstrap.ciHigh).toBeGreaterThanOrEqual(em.bootstrap.delta);
    expect(compareScored(a, b, { samples: 200, seed: 7 })).toEqual(cmp);
  });

  it("compares only the items both runs scored", () => {
    const a = scoreRun(suite, genItems, [result(0, "ONE"), result(1, "TWO")]);
    const b = scoreRun(suite, genItems, [result(1, "x"), result(2, "THREE")]);
    const em = compareScored(a, b, { samples: 50 }).find((c) => c.name === "exact_match")!;
    expect(em.bootstrap.items).toBe(1);
    expect(em.lossIndices).toEqual([1]);
  });

  it("writes one CSV row per item with quoting", () => {
    const run = { suite: { ...suite, id: "s" }, metrics: [] } as unknown as Parameters<typeof runCsv>[0];
    const csv = runCsv(run, [{ input: 'say "hi", ok', references: ["r"], choices: null, gold: null }], [result(0, "p")]);
    expect(csv.split("\r\n")[1]).toBe('0,"say ""hi"", ok","[""r""]",p,,,,1,,1');
  });
});
