// The forgetting check: the verdict and flag rule on intervals (a guard drop whose CI is
// below zero is flagged, a target gain is not, a noisy zero-delta is not, a perplexity rise
// counts as a drop, the threshold), then the real evaluation and forgetting services over a
// scripted engine and in-memory stores: runs stored as ordinary evaluation runs, progress
// across suites, the report saved and reopened, a preset's decoding shared by both sides,
// and cancel then resume without redoing finished items.
import { describe, expect, it } from "vitest";
import type { ForgettingPacket } from "../../../core/api/adapters.ts";
import { forgettingCheckInputSchema, type ForgettingCheckInput } from "../../../core/api/adapters.ts";
import { ApiError } from "../../../core/api/errors.ts";
import type { CallContext } from "../../../core/api/rpc.ts";
import type { Engine } from "../../../core/engine/port.ts";
import type { GeneratePacket, GenerateRequest } from "../../../core/engine/types.ts";
import { assessDelta } from "../../../core/evaluation/forgetting.ts";
import { evalItemSchema, suiteInputSchema, type EvalItemInput } from "../../../core/evaluation/types.ts";
import type { AdapterStore, ModelStore, PresetStore } from "../../../core/history/ports.ts";
import type { AdapterRecord, ModelRecord, Preset } from "../../../core/history/types.ts";
import { EngineSessions } from "../../../core/services/EngineSessions.ts";
import { evaluationHandlers } from "../../../core/services/evaluation.ts";
import { forgettingHandlers } from "../../../core/services/forgetting.ts";
import { MemEvaluationStore, MemForgettingStore } from "./memEvaluationStore.ts";

describe("assessDelta", () => {
  const up = { higherIsBetter: true };
  it("flags a guard suite whose whole interval is below zero", () => {
    expect(assessDelta("guard", { delta: -0.4, ciLow: -0.6, ciHigh: -0.2, ...up }, 0)).toEqual({ verdict: "worse", forgetting: true });
  });
  it("does not flag a target suite's gain, nor a target's drop", () => {
    expect(assessDelta("target", { delta: 0.5, ciLow: 0.3, ciHigh: 0.7, ...up }, 0)).toEqual({ verdict: "improved", forgetting: false });
    expect(assessDelta("target", { delta: -0.5, ciLow: -0.7, ciHigh: -0.3, ...up }, 0)).toEqual({ verdict: "worse", forgetting: false });
  });
  it("does not flag a noisy zero-delta (an interval across zero) or a guard that improved", () => {
    expect(assessDelta("guard", { delta: 0, ciLow: -0.375, ciHigh: 0.375, ...up }, 0)).toEqual({ verdict: "no_change", forgetting: false });
    expect(assessDelta("guard", { delta: -0.1, ciLow: -0.3, ciHigh: 0, ...up }, 0)).toEqual({ verdict: "no_change", forgetting: false });
    expect(assessDelta("guard", { delta: 0.2, ciLow: 0.1, ciHigh: 0.3, ...up }, 0)).toEqual({ verdict: "improved", forgetting: false });
  });
  it("reads a lower-is-better metric in the better direction (a perplexity rise is a drop)", () => {
    expect(assessDelta("guard", { delta: 5, ciLow: 3, ciHigh: 7, higherIsBetter: false }, 0)).toEqual({ verdict: "worse", forgetting: true });
    expect(assessDelta("guard", { delta: -5, ciLow: -7, ciHigh: -3, higherIsBetter: false }, 0)).toEqual({ verdict: "improved", forgetting: false });
  });
  it("flags only drops larger than the threshold", () => {
    const drop = { delta: -0.3, ciLow: -0.4, ciHigh: -0.2, ...up };
    expect(assessDelta("guard", drop, 0.1).forgetting).toBe(true);
    expect(assessDelta("guard", drop, 0.25)).toEqual({ verdict: "worse", forgetting: false });
  });
});

// ---------------------------------------------------------------- the service over a scripted engine

/** Answers per input: what the base says and what the adapter set says. */
const answers: Record<string, { base: string; adapter: string }> = {};
const items = (prefix: string, n: number, ref: (i: number) => "base" | "adapter"): EvalItemInput[] =>
  Array.from({ length: n }, (_, i) => {
    const input = `${prefix}${i}`;
    answers[input] = { base: `${input}-base`, adapter: `${input}-adapter` };
    return { input, references: [answers[input]![ref(i)]] };
  });
// Target: references are what the adapter says (it was trained for this).
const targetItems = items("t", 4, () => "adapter");
// Guard: references are what the base says (the adapter was not meant for it).
const guardItems = items("g", 5, () => "base");
// Noisy guard: the base is right on half, the adapter on the other half: delta 0, wide CI.
const noisyItems = items("n", 8, (i) => (i < 4 ? "base" : "adapter"));

interface Call {
  input: string;
  adapters: number;
  temperature: number;
  seed: number | undefined;
  maxTokens: number;
}

function scriptedEngine(onCall?: (n: number) => void): Engine & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async *generate(req: GenerateRequest, options?: { signal?: AbortSignal }): AsyncGenerator<GeneratePacket> {
      const input = req.prompt.kind === "raw" ? req.prompt.text : "";
      const s = req.sampling as { temperature: number; seed?: number; maxTokens: number };
      calls.push({ input, adapters: req.adapters?.length ?? 0, temperature: s.temperature, seed: s.seed, maxTokens: s.maxTokens });
      onCall?.(calls.length);
      const a = answers[input];
      const text = a ? ((req.adapters?.length ?? 0) > 0 ? a.adapter : a.base) : "?";
      const aborted = options?.signal?.aborted === true;
      yield { type: "done", text, stopReason: aborted ? "abort" : "eos", seed: 0, tokens: [], timings: { ttftMs: 1, promptTokens: 2, cachedPromptTokens: 0, promptTokensPerS: 1, completionTokens: 2, tokensPerS: 1, totalMs: 1 } };
    },
    async loadModel() {
      return { id: "engine-m1", path: "/models/m.gguf", name: "m" } as never;
    },
    onEvent: () => () => undefined,
  } as unknown as Engine & { calls: Call[] };
}

const model: ModelRecord = { id: "m1", filePath: "/models/m.gguf", name: "Demo model", sha256: null, sizeBytes: 1, metadata: {}, addedAt: 0 } as ModelRecord;
const adapter = { id: "a1", filePath: "/adapters/plus2.gguf", name: "Plus two", sha256: null } as AdapterRecord;
const preset: Preset = { id: "p1", name: "Warm", config: { temperature: 0.7, maxTokens: 999, stopStrings: ["\n"] }, builtin: false, createdAt: 0, updatedAt: 0 };

async function setup(onCall?: (n: number) => void) {
  const engine = scriptedEngine(onCall);
  const evalStore = new MemEvaluationStore();
  const reports = new MemForgettingStore();
  const models = { getModel: async (id: string) => (id === model.id ? model : null) } as unknown as ModelStore;
  const adapters = { getAdapter: async (id: string) => (id === adapter.id ? adapter : null), listAdapters: async () => [adapter] } as unknown as AdapterStore;
  const presets = { getPreset: async (id: string) => (id === preset.id ? preset : null) } as unknown as PresetStore;
  const evaluation = evaluationHandlers({ evaluation: evalStore, models, adapters, sessions: new EngineSessions(engine) });
  let clock = 0;
  const h = forgettingHandlers({ evaluation, evaluationStore: evalStore, store: reports, models, adapters, presets, now: () => 1000, monotonic: () => (clock += 10), newSeed: () => 4242 });
  const suite = async (name: string, list: EvalItemInput[]) => {
    const parsed = list.map((i) => evalItemSchema.parse(i));
    const { dataset } = await evalStore.createDataset({ name, format: "jsonl", source: name, mapping: { input: "input", references: ["reference"], choices: null, gold: null }, hash: name, items: parsed });
    return (await evalStore.saveSuite(suiteInputSchema.parse({ name, datasetId: dataset.id, task: "generation", metrics: [{ name: "exact_match" }] }))).id;
  };
  const ids = { target: await suite("Target +2", targetItems), guard: await suite("Guard +1", guardItems), noisy: await suite("Guard noisy", noisyItems) };
  return { engine, evalStore, reports, h, ids };
}

const ctx = (signal: AbortSignal = new AbortController().signal): CallContext => ({ signal, method: "adapters.forgettingCheck" });
async function collect(it: AsyncIterable<ForgettingPacket>): Promise<ForgettingPacket[]> {
  const out: ForgettingPacket[] = [];
  for await (const p of it) out.push(p);
  return out;
}
const check = (ids: { target: string; guard: string; noisy: string }, extra: Partial<ForgettingCheckInput> = {}) =>
  forgettingCheckInputSchema.parse({
    modelId: "m1",
    adapters: [{ adapterId: "a1" }],
    suites: [
      { suiteId: ids.target, role: "target" },
      { suiteId: ids.guard, role: "guard" },
      { suiteId: ids.noisy, role: "guard" },
    ],
    samples: 500,
    ...extra,
  });

describe("forgetting check service", () => {
  it("flags the guard suite the adapter broke, not the target gain nor the noisy zero, and stores everything", async () => {
    const { engine, evalStore, reports, h, ids } = await setup();
    const packets = await collect(h.forgettingCheck(check(ids), ctx()));
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error(`no done packet: ${JSON.stringify(done)}`);
    const r = done.report;
    expect(r.status).toBe("complete");
    expect(r.flagged).toBe(1);
    expect(r.adapters).toEqual([{ path: "/adapters/plus2.gguf", scale: 1, name: "Plus two" }]);
    const [target, guard, noisy] = r.suites;
    expect(target!.result).toMatchObject({ metric: "exact_match", base: 0, adapter: 1, delta: 1, ciLow: 1, ciHigh: 1, verdict: "improved", forgetting: false, items: 4 });
    expect(guard!.result).toMatchObject({ base: 1, adapter: 0, delta: -1, ciLow: -1, ciHigh: -1, verdict: "worse", forgetting: true, items: 5 });
    expect(noisy!.result).toMatchObject({ base: 0.5, adapter: 0.5, delta: 0, verdict: "no_change", forgetting: false, items: 8 });
    expect(noisy!.result!.ciLow).toBeLessThan(0);
    expect(noisy!.result!.ciHigh).toBeGreaterThan(0);

    // Six ordinary evaluation runs: base (no adapters) and adapter for each suite, complete.
    const runs = [...evalStore.runs.values()];
    expect(runs.map((x) => [x.suite.name, x.adapters.length, x.status])).toEqual([
      ["Target +2", 0, "complete"],
      ["Target +2", 1, "complete"],
      ["Guard +1", 0, "complete"],
      ["Guard +1", 1, "complete"],
      ["Guard noisy", 0, "complete"],
      ["Guard noisy", 1, "complete"],
    ]);
    expect(r.suites.flatMap((s) => [s.baseRunId, s.adapterRunId])).toEqual(runs.map((x) => x.id));
    expect(runs[1]!.adapters).toEqual([{ path: "/adapters/plus2.gguf", scale: 1, name: "Plus two" }]);
    expect(engine.calls).toHaveLength(2 * (4 + 5 + 8));
    expect(engine.calls.filter((c) => c.adapters === 0).map((c) => c.input).slice(0, 4)).toEqual(["t0", "t1", "t2", "t3"]);

    // Progress: suite i of n, items done of all items, rising to the total, with an ETA once items finished.
    const progress = packets.filter((p) => p.type === "progress");
    expect(new Set(progress.map((p) => p.suites))).toEqual(new Set([3]));
    expect(progress.map((p) => p.suite)).toEqual([...progress.map((p) => p.suite)].sort());
    const dones = progress.map((p) => p.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ done: 34, total: 34 });
    expect(progress.some((p) => p.etaMs !== null && p.etaMs > 0)).toBe(true);
    expect(progress.find((p) => p.suite === 1 && p.side === "adapter")?.label).toMatch(/^Suite 2 of 3 \(Guard \+1\), adapter set/);
    expect(packets.filter((p) => p.type === "suite").map((p) => (p.type === "suite" ? p.index : -1))).toEqual([0, 1, 2]);

    // Stored and reopened as it was streamed.
    expect(await h.forgettingReport({ id: r.id }, ctx())).toEqual(r);
    expect((await h.forgettingReports({}, ctx())).map((x) => x.id)).toEqual([r.id]);
    expect(reports.reports.get(r.id)?.flagged).toBe(1);
  });

  it("decodes both sides with the preset's sampling fields and one seed, keeping each suite's length", async () => {
    const { engine, evalStore, h, ids } = await setup();
    const packets = await collect(h.forgettingCheck(check(ids, { presetId: "p1", suites: [{ suiteId: ids.guard, role: "guard" }] }), ctx()));
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("no done packet");
    expect(done.report.config).toMatchObject({ presetId: "p1", threshold: 0, samples: 500, seed: 12345, limit: null });
    expect(done.report.config.sampling).toMatchObject({ temperature: 0.7, seed: 4242 });
    expect(done.report.config.sampling).not.toHaveProperty("maxTokens");
    expect(new Set(engine.calls.map((c) => `${c.temperature}/${c.seed}/${c.maxTokens}`))).toEqual(new Set(["0.7/4242/128"]));
    expect([...evalStore.runs.values()].map((x) => x.config.sampling.seed)).toEqual([4242, 4242]);
  });

  it("refuses unknown suites, models and presets before running anything", async () => {
    const { engine, h, ids } = await setup();
    await expect(collect(h.forgettingCheck(check(ids, { suites: [{ suiteId: "nope", role: "guard" }] }), ctx()))).rejects.toThrow(/No suite with id nope/);
    await expect(collect(h.forgettingCheck(check(ids, { modelId: "m9" }), ctx()))).rejects.toThrow(/No model/);
    await expect(collect(h.forgettingCheck(check(ids, { presetId: "p9" }), ctx()))).rejects.toThrow(ApiError);
    expect(engine.calls).toHaveLength(0);
    expect(() => check(ids, { adapters: [] })).toThrow();
    expect(() => check(ids, { suites: [{ suiteId: ids.guard }, { suiteId: ids.guard }] })).toThrow(/each suite once/);
  });

  it("cancels mid-way (report and run resumable) and resumes without redoing finished items", async () => {
    const ac = new AbortController();
    // Calls 1-4 target base, 5-8 target adapter, 9-13 guard base, 14-18 guard adapter: stop inside the guard's adapter run.
    const { engine, evalStore, h, ids } = await setup((n) => {
      if (n === 16) ac.abort("cancelled by the user");
    });
    const first: ForgettingPacket[] = [];
    await expect(
      (async () => {
        for await (const p of h.forgettingCheck(check(ids), ctx(ac.signal))) first.push(p);
      })(),
    ).rejects.toThrow();
    const created = first[0];
    if (created?.type !== "report") throw new Error("no report packet");
    const stopped = await h.forgettingReport({ id: created.report.id }, ctx());
    expect(stopped.status).toBe("cancelled");
    expect(stopped.suites[0]!.result?.verdict).toBe("improved");
    expect(stopped.suites[1]!.result).toBeNull();
    const guardAdapterRun = evalStore.runs.get(stopped.suites[1]!.adapterRunId!)!;
    expect(guardAdapterRun.status).toBe("cancelled");
    expect(guardAdapterRun.done).toBe(2);

    const resumed = await collect(h.forgettingResume({ id: stopped.id }, ctx()));
    const done = resumed.at(-1);
    if (done?.type !== "done") throw new Error("no done packet after resume");
    expect(done.report.status).toBe("complete");
    expect(done.report.suites.map((s) => s.result?.forgetting)).toEqual([false, true, false]);
    // Same six runs (the cancelled one resumed, not redone); only the interrupted item ran twice.
    expect(evalStore.runs.size).toBe(6);
    expect(done.report.suites[1]!.adapterRunId).toBe(guardAdapterRun.id);
    expect(engine.calls).toHaveLength(34 + 1);
    expect(engine.calls.filter((c) => c.input === "g2" && c.adapters === 1)).toHaveLength(2);
    await expect(collect(h.forgettingResume({ id: stopped.id }, ctx()))).rejects.toThrow(/complete/);
    expect(await h.forgettingDelete({ id: stopped.id }, ctx())).toEqual({ deleted: true });
    await expect(h.forgettingReport({ id: stopped.id }, ctx())).rejects.toThrow(/No forgetting report/);
  });
});
