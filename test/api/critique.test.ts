// The critique and feedback domains through the typed client. Over a real WebSocket
// with the real engine on the demo models: a two-round critique streamed and stored
// with provenance, cancel, comparisons generated with seeds, a ranking with a tie,
// judging in both orders (A/B grammar), agreement and export. Over a memory channel
// with a scripted fake engine and a real SQLite store: batch cancel and resume, and
// agreement numbers that need a judge whose answers are known.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contract, createApiClient, createMemoryChannelPair, serveApi, type ApiClient, type LatheContract } from "../../core/api/index.ts";
import type { BatchPacket, CritiquePacket } from "../../core/api/critique.ts";
import type { ComparisonPacket, JudgePacket } from "../../core/api/feedback.ts";
import { DEFAULT_CONSTITUTION_ID } from "../../core/critique/constitution.ts";
import { BUILTIN_PROMPT_SET_ID } from "../../core/critique/promptSets.ts";
import type { EngineStatus, ModelInfo } from "../../core/engine/types.ts";
import type { ModelRecord } from "../../core/history/types.ts";
import { critiqueHandlers } from "../../core/services/critique.ts";
import { EngineSessions } from "../../core/services/EngineSessions.ts";
import { feedbackHandlers } from "../../core/services/feedback.ts";
import { installBuiltinPresets } from "../../core/services/presets.ts";
import { sqliteCritiqueStore } from "../../db/critique.ts";
import { nodeFiles } from "../../db/files.ts";
import { openStore, type SqliteStore } from "../../db/index.ts";
import { collect, startTestLathe, successorText, type TestLathe } from "../helpers/lathe.ts";
import { scriptedEngine, type FakeEngine, type ScriptCall } from "../unit/critique/fakeEngine.ts";

const parseJsonl = (text: string) =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Runs a stream until it ends, aborting when `stopWhen` says so; returns the packets and the error it ended with. */
async function runUntil<P>(start: (signal: AbortSignal) => AsyncIterable<P>, stopWhen: (p: P) => boolean): Promise<{ packets: P[]; error: unknown }> {
  const ac = new AbortController();
  const packets: P[] = [];
  try {
    for await (const p of start(ac.signal)) {
      packets.push(p);
      if (stopWhen(p)) ac.abort();
    }
  } catch (err) {
    return { packets, error: err };
  }
  return { packets, error: null };
}

describe("critique and feedback over the real engine (demo models)", () => {
  let t: TestLathe;
  let successor: ModelRecord;
  let bigram: ModelRecord;

  beforeAll(async () => {
    t = await startTestLathe();
    const done = (await collect(t.api.models.createDemo({}))).at(-1);
    if (done?.type !== "done") throw new Error("demo models were not created");
    successor = done.models.find((m) => m.name.startsWith("Successor"))!;
    bigram = done.models.find((m) => m.name.startsWith("Bigram"))!;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("ships the default constitution and the red-team prompt set", async () => {
    const list = await t.api.critique.listConstitutions({});
    expect(list[0]).toMatchObject({ id: DEFAULT_CONSTITUTION_ID, builtin: true, version: 1, principleCount: 4 });
    const sets = await t.api.critique.listPromptSets({});
    expect(sets[0]).toMatchObject({ id: BUILTIN_PROMPT_SET_ID, builtin: true });
    expect(sets[0]!.count).toBeGreaterThanOrEqual(8);
    await expect(t.api.critique.deletePromptSet({ id: BUILTIN_PROMPT_SET_ID })).rejects.toMatchObject({ code: "conflict" });
    const builtin = await t.api.critique.getConstitution({ id: DEFAULT_CONSTITUTION_ID });
    expect(builtin.principles.map((p) => p.id)).toEqual(["helpful", "honest", "harmless", "not-evasive"]);
    await expect(t.api.critique.saveConstitution({ id: DEFAULT_CONSTITUTION_ID, name: "Mine", principles: builtin.principles })).rejects.toMatchObject({ code: "conflict" });
  });

  it("runs a two-round critique on the successor model: every phase streamed, three steps stored with provenance", async () => {
    const packets: CritiquePacket[] = await collect(
      t.api.critique.run({ modelId: successor.id, prompt: "How do I sharpen a chisel?", rounds: 2, presetId: "builtin-greedy", maxTokens: 8, stopCheck: { kind: "never" } }),
    );
    const run = packets.find((p) => p.type === "run");
    const done = packets.at(-1);
    if (done?.type !== "done" || run?.type !== "run") throw new Error(`unexpected end: ${JSON.stringify(done)}`);
    expect(run.run.status).toBe("running");
    expect(packets.filter((p) => p.type === "phase").map((p) => (p.type === "phase" ? `${p.step}:${p.phase}` : ""))).toEqual([
      "0:response",
      "1:critique",
      "1:revision",
      "2:critique",
      "2:revision",
    ]);
    // The successor model answers "abcdefgh" to anything (each letter follows the one before, after the template's newline).
    const answer = successorText("\n", 8);
    const streamed = packets.flatMap((p) => (p.type === "fragment" && p.step === 1 && p.phase === "critique" ? [p.text] : [])).join("");
    expect(streamed).toBe(answer);
    const r = done.run;
    expect(r).toMatchObject({ status: "complete", stopReason: "rounds", roundsRun: 2, initial: answer, final: answer, modelFile: "successor.gguf" });
    expect(r.constitutionId).toBe(DEFAULT_CONSTITUTION_ID);
    expect(r.settings).toMatchObject({ rounds: 2, principleChoice: "roundRobin", presetId: "builtin-greedy", sampling: { temperature: 0, maxTokens: 8 } });
    expect(r.steps.map((s) => [s.index, s.kind, s.principleIds, s.critique, s.text])).toEqual([
      [0, "initial", [], null, answer],
      [1, "round", ["helpful"], answer, answer],
      [2, "round", ["honest"], answer, answer],
    ]);
    const prov = r.steps[1]!.provenance!;
    expect(prov.modelFile).toBe("successor.gguf");
    expect(prov.modelSha256).toBe(successor.sha256);
    expect(prov.completionTokens).toBe(8);
    expect(prov.llamaCppVersion).toBe("v0.4.0");
    expect(r.steps[1]!.critiqueProvenance!.sampling).toMatchObject({ temperature: 0, maxTokens: 8 });
    expect(await t.api.critique.getRun({ id: r.id })).toEqual(r);
    expect(await t.api.critique.diff({ runId: r.id })).toEqual({ parts: [{ op: "same", text: answer }], added: 0, removed: 0 });
  });

  it("stops early when the critique finds nothing (a regex every critique of this model matches)", async () => {
    const packets = await collect(
      t.api.critique.run({ modelId: successor.id, prompt: "Hi", rounds: 3, presetId: "builtin-greedy", maxTokens: 4, stopCheck: { kind: "regex", pattern: "^abcd$" } }),
    );
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("no done packet");
    expect(done.run).toMatchObject({ stopReason: "noIssues", roundsRun: 1 });
    expect(done.run.steps.map((s) => [s.index, s.noIssues, s.provenance === null])).toEqual([
      [0, false, false],
      [1, true, true],
    ]);
  });

  it("rejects bad input naming the field, and unknown models or constitutions", async () => {
    await expect(collect(t.api.critique.run({ modelId: successor.id, prompt: "x", rounds: 11 }))).rejects.toMatchObject({ code: "invalid_input", message: expect.stringMatching(/rounds/) });
    await expect(collect(t.api.critique.run({ modelId: successor.id, prompt: "x", stopCheck: { kind: "regex", pattern: "(" } }))).rejects.toMatchObject({ code: "invalid_input", message: expect.stringMatching(/stopCheck\.pattern: not a valid regular expression/) });
    await expect(collect(t.api.critique.run({ modelId: "nope", prompt: "x" }))).rejects.toMatchObject({ code: "not_found" });
    await expect(collect(t.api.critique.run({ modelId: successor.id, prompt: "x", constitutionId: "nope" }))).rejects.toMatchObject({ code: "not_found" });
    await expect(t.api.feedback.rank({ comparisonId: "nope", annotator: "a", tiers: [[0]] })).rejects.toMatchObject({ code: "not_found" });
  });

  it("cancelling a run stops the engine and keeps the run as stopped", async () => {
    const { packets, error } = await runUntil(
      (signal) => t.api.critique.run({ modelId: successor.id, prompt: "Go", rounds: 1, presetId: "builtin-greedy", maxTokens: 32_768 }, { signal }),
      (p) => p.type === "fragment" && p.text.length > 0,
    );
    expect(error).toMatchObject({ code: "cancelled" });
    const runId = packets.find((p) => p.type === "run")!;
    if (runId.type !== "run") throw new Error("no run packet");
    const stopped = await (async () => {
      for (let i = 0; i < 100; i++) {
        const r = await t.api.critique.getRun({ id: runId.run.id });
        if (r.status !== "running") return r;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error("run still running");
    })();
    expect(stopped).toMatchObject({ status: "stopped", final: null, steps: [] });
  });

  it("generates 4 responses with seeds, saves a ranking with one tie as 5 pairs, judges in both orders, exports", async () => {
    const packets: ComparisonPacket[] = await collect(
      t.api.feedback.generate({ modelId: bigram.id, prompt: "Tell me about the workshop.", k: 4, firstSeed: 11, maxTokens: 24 }),
    );
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("no done packet");
    const c = done.comparison;
    expect(c.responses.map((r) => r.label)).toEqual(["seed 11", "seed 12", "seed 13", "seed 14"]);
    expect(c.responses.map((r) => r.provenance?.seed)).toEqual([11, 12, 13, 14]);
    expect(new Set(c.responses.map((r) => r.text)).size).toBe(4);
    for (const r of c.responses) {
      const streamed = packets.flatMap((p) => (p.type === "fragment" && p.index === r.index ? [p.text] : [])).join("");
      expect(streamed.trim()).toBe(r.text);
    }

    const ranked = await t.api.feedback.rank({ comparisonId: c.id, annotator: "ana", guideline: "clearest first", tiers: [[2], [0, 3], [1]] });
    expect(ranked.preferences.map((p) => [p.a, p.b, p.winner])).toEqual([
      [0, 1, "a"],
      [0, 2, "b"],
      [1, 2, "b"],
      [1, 3, "b"],
      [2, 3, "a"],
    ]);
    await expect(t.api.feedback.rank({ comparisonId: c.id, annotator: "ana", tiers: [[0, 1], [2]] })).rejects.toMatchObject({ code: "invalid_input", message: expect.stringMatching(/response 3 is not ranked/) });

    const judged: JudgePacket[] = await collect(t.api.feedback.judge({ comparisonId: c.id, modelId: bigram.id, principleIds: ["honest"], pairs: [[0, 1], [2, 3]] }));
    const verdicts = judged.flatMap((p) => (p.type === "verdict" ? [p.order] : []));
    expect(verdicts.map((o) => o.order)).toEqual(["ab", "ba", "ab", "ba"]);
    // The A/B grammar lets the judge say nothing else.
    for (const o of verdicts) expect(o.text).toMatch(/^[AB]$/);
    const end = judged.at(-1);
    if (end?.type !== "done") throw new Error("no judge done packet");
    expect(end.preferences).toHaveLength(2);
    for (const p of end.preferences) {
      expect(p.judge!.orders).toHaveLength(2);
      expect(p.agreement).toBe(p.judge!.orders[0]!.verdict === p.judge!.orders[1]!.verdict);
      expect(p.winner).toBe(p.agreement ? p.judge!.orders[0]!.verdict : null);
      expect(p).toMatchObject({ source: "ai", constitutionId: DEFAULT_CONSTITUTION_ID, principleIds: ["honest"] });
    }
    const decided = end.preferences.filter((p) => p.winner !== null);
    expect(end.agreement.pairs + end.agreement.undecided).toBe(2);
    expect(end.agreement.pairs).toBe(decided.length);
    expect(await t.api.feedback.agreement({ comparisonId: c.id })).toEqual(end.agreement);

    const humanOnly = await t.api.critique.exportPreview({ kind: "preferences", source: "human" });
    expect(humanOnly.count).toBe(5);
    const all = await t.api.critique.export({ kind: "preferences", form: "conversational" });
    expect(all.count).toBe(5 + decided.length);
    const lines = parseJsonl(all.text);
    expect(lines).toHaveLength(all.count);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(["prompt", "chosen", "rejected"]);
      expect(l.prompt).toEqual([{ role: "user", content: "Tell me about the workshop." }]);
    }
    expect(lines[1]).toEqual({ prompt: lines[1]!.prompt, chosen: [{ role: "assistant", content: c.responses[2]!.text }], rejected: [{ role: "assistant", content: c.responses[0]!.text }] });
  });

  it("exports SFT from finished runs, filtered by constitution, and writes a file when given a path", async () => {
    const preview = await t.api.critique.exportPreview({ kind: "sft" });
    const runs = await t.api.critique.listRuns({});
    const complete = runs.filter((r) => r.status === "complete");
    expect(preview.count).toBe(complete.length);
    expect(preview.excluded).toEqual({ "unfinished runs": runs.length - complete.length });
    const path = join(t.dataDir, "sft.jsonl");
    const written = await t.api.critique.export({ kind: "sft", constitutionId: DEFAULT_CONSTITUTION_ID, path });
    expect(written.path).toBe(path);
    expect(readFileSync(path, "utf8")).toBe(written.text);
    const lines = parseJsonl(written.text);
    expect(lines).toHaveLength(complete.length);
    expect(lines[0]).toEqual({ messages: [{ role: "user", content: complete[0]!.prompt }, { role: "assistant", content: complete[0]!.final }] });
    expect((await t.api.critique.exportPreview({ kind: "sft", constitutionId: "other" })).count).toBe(0);
    await expect(t.api.critique.export({ kind: "sft", path: "relative.jsonl" })).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("versions constitutions and moves them in and out as JSON files", async () => {
    const exported = await t.api.critique.exportConstitution({ id: DEFAULT_CONSTITUTION_ID });
    expect(exported.fileName).toBe("helpful-honest-harmless-v1.constitution.json");
    const mine = await t.api.critique.importConstitution({ text: exported.text });
    expect(mine).toMatchObject({ version: 1, builtin: false, name: "Helpful, honest, harmless" });
    const v2 = await t.api.critique.saveConstitution({ id: mine.id, name: "Short", principles: mine.principles.slice(0, 1) });
    expect(v2.version).toBe(2);
    expect((await t.api.critique.constitutionVersions({ id: mine.id })).map((v) => v.version)).toEqual([2, 1]);
    await expect(t.api.critique.importConstitution({ text: '{"format":"lathe-constitution","version":1,"constitution":{"name":"x","principles":[]}}' })).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/constitution\.principles/),
    });
    const set = await t.api.critique.importPromptSet({ name: "Mine", text: "prompt,id\n\"one, two\",1\nthree,2\n" });
    expect(set.prompts).toEqual(["one, two", "three"]);
    await expect(t.api.critique.importPromptSet({ name: "Bad", text: '{"prompt":"ok"}\n{"x":1}' })).rejects.toMatchObject({ code: "invalid_input", message: expect.stringMatching(/Line 2/) });
  });
});

describe("critique batches and judging over a scripted engine", () => {
  let dir: string;
  let store: SqliteStore;
  let api: ApiClient<LatheContract>;
  let engine: FakeEngine;
  let modelId: string;
  /** Set by a test: the prompt whose revision waits until the caller cancels. */
  let holdOn: string | null = null;

  const info: ModelInfo = {
    id: "engine-1",
    path: "/models/fake.gguf",
    name: "fake",
    architecture: "llama",
    description: "fake",
    sizeBytes: 1,
    parameters: 1,
    trainContextSize: 512,
    contextSize: 512,
    sequences: 1,
    threads: 1,
    vocabSize: 10,
    gpuLayers: 0,
    chatTemplate: null,
    chatWrapper: "ChatML",
    specialTokens: { bos: null, eos: null, eot: null, nl: null },
    sha256: "f".repeat(64),
    loadMs: 1,
  };
  const status = { backend: "cpu", nodeLlamaCppVersion: "3.21.1", llamaCppRelease: "v0.4.0" } as EngineStatus;
  const userPrompt = (c: ScriptCall) => c.messages[0]!.content;
  const isRevision = (c: ScriptCall) => c.messages.length === 5;
  const isJudge = (c: ScriptCall) => c.ask.startsWith("Compare two answers");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lathe-critique-api-"));
    store = openStore({ home: dir });
    await installBuiltinPresets(store.presets);
    modelId = (await store.models.upsertModel({ filePath: "/models/fake.gguf", name: "Fake", sizeBytes: 1 })).id;
    engine = scriptedEngine(
      (c) => {
        // The judge prefers the answer that says "good", wherever it is shown.
        if (isJudge(c)) return /Answer A:\n<<<\n[^>]*good/.test(c.ask) ? "A" : "B";
        return isRevision(c) ? `revised ${userPrompt(c)}` : c.messages.length === 1 ? `answer to ${userPrompt(c)}` : "Too vague.";
      },
      undefined,
      (c) => holdOn !== null && isRevision(c) && userPrompt(c) === holdOn,
    );
    Object.assign(engine, { loadModel: () => Promise.resolve(info), status: () => Promise.resolve(status) });
    const sessions = new EngineSessions(engine);
    const deps = { critique: sqliteCritiqueStore(store.db, store.path), models: store.models, presets: store.presets, sessions, appVersion: "test", files: nodeFiles };
    const [server, client] = createMemoryChannelPair();
    serveApi(contract, { critique: critiqueHandlers(deps), feedback: feedbackHandlers(deps) }, server);
    api = createApiClient(contract, client);
  });
  afterAll(() => {
    api?.$close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a batch with progress; cancel pauses it mid-prompt, resume finishes only what is left", async () => {
    holdOn = "p1";
    const first = await runUntil(
      (signal) => api.critique.startBatch({ modelId, prompts: ["p0", "p1", "p2"], rounds: 1, presetId: "builtin-greedy", stopCheck: { kind: "never" }, name: "Three" }, { signal }),
      (p: BatchPacket) => p.type === "phase" && p.index === 1 && p.phase === "revision",
    );
    expect(first.error).toMatchObject({ code: "cancelled" });
    const batchPacket = first.packets.find((p) => p.type === "batch");
    if (batchPacket?.type !== "batch") throw new Error("no batch packet");
    const id = batchPacket.batch.id;
    expect(first.packets.filter((p) => p.type === "itemDone").map((p) => (p.type === "itemDone" ? [p.index, p.run.status] : null))).toEqual([[0, "complete"]]);
    expect(first.packets.filter((p) => p.type === "progress").map((p) => (p.type === "progress" ? [p.done, p.total] : null))).toEqual([
      [0, 3],
      [1, 3],
    ]);
    const paused = await (async () => {
      for (let i = 0; i < 100; i++) {
        const b = await api.critique.getBatch({ id });
        if (b.status !== "running") return b;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error("batch still running");
    })();
    expect(paused).toMatchObject({ status: "paused", name: "Three", progress: { total: 3, complete: 1, failed: 0 } });
    expect((await api.critique.listRuns({ batchId: id })).map((r) => [r.batchIndex, r.status])).toEqual([
      [0, "complete"],
      [1, "stopped"],
    ]);

    holdOn = null;
    const resumed = await collect(api.critique.resumeBatch({ batchId: id }));
    expect(resumed.filter((p) => p.type === "item").map((p) => (p.type === "item" ? p.prompt : null))).toEqual(["p1", "p2"]);
    const end = resumed.at(-1);
    if (end?.type !== "done") throw new Error("no done packet");
    expect(end.batch).toMatchObject({ status: "complete", progress: { total: 3, complete: 3, failed: 0 } });
    const runs = await api.critique.listRuns({ batchId: id });
    expect(runs.map((r) => [r.batchIndex, r.status, r.final])).toEqual([
      [0, "complete", "revised p0"],
      [1, "stopped", null],
      [1, "complete", "revised p1"],
      [2, "complete", "revised p2"],
    ]);
    // Each prompt's seed comes from the batch seed and its position.
    expect(new Set(runs.map((r) => r.settings.seed)).size).toBe(3);
    await expect(collect(api.critique.resumeBatch({ batchId: id }))).rejects.toMatchObject({ code: "conflict" });
    const sft = await api.critique.export({ kind: "sft", batchId: id });
    expect(parseJsonl(sft.text).map((l) => (l.messages as { content: string }[])[1]!.content)).toEqual(["revised p0", "revised p1", "revised p2"]);
    expect(sft.excluded).toEqual({ "unfinished runs": 1 });
  });

  it("judges a critique run's initial vs final in both orders and compares with a person's ranking (percent, kappa)", async () => {
    const run = (await api.critique.listRuns({ status: "complete", limit: 1 }))[0]!;
    const fromRun = await api.feedback.fromRun({ runId: run.id });
    expect(fromRun.responses.map((r) => [r.label, r.text])).toEqual([
      ["initial", `answer to ${run.prompt}`],
      ["final", `revised ${run.prompt}`],
    ]);
    const manual = await api.feedback.addComparison({ prompt: "Q", responses: [{ text: "good one" }, { text: "meh" }, { text: "also good" }, { text: "bad" }] });
    await api.feedback.rank({ comparisonId: manual.id, annotator: "ana", tiers: [[0], [2], [1], [3]] });
    const judged = await collect(api.feedback.judge({ comparisonId: manual.id, modelId, constitutionId: DEFAULT_CONSTITUTION_ID }));
    const done = judged.at(-1);
    if (done?.type !== "done") throw new Error("no done packet");
    // 6 pairs; the judge decides the 4 with exactly one "good" answer. For (0,2), both good, and (1,3), neither, it
    // gives the same letter in both orders, which points at different answers, so those two stay undecided.
    expect(done.preferences.map((p) => [p.a, p.b, p.winner, p.agreement])).toEqual([
      [0, 1, "a", true],
      [0, 2, null, false],
      [0, 3, "a", true],
      [1, 2, "b", true],
      [1, 3, null, false],
      [2, 3, "a", true],
    ]);
    // Human: 0 > 2 > 1 > 3, so the four decided pairs all agree; kappa is 1 (both labels used).
    expect(done.agreement).toMatchObject({ pairs: 4, agreed: 4, percent: 1, kappa: 1, undecided: 2 });
    await api.feedback.rank({ comparisonId: manual.id, annotator: "bo", tiers: [[3], [1], [2], [0]] });
    const bo = await api.feedback.agreement({ comparisonId: manual.id, annotator: "bo" });
    expect(bo).toMatchObject({ pairs: 4, agreed: 0, percent: 0 });
    // Human b,b,a,b vs AI a,a,b,a: po = 0, pe = 1/4*3/4 + 3/4*1/4 = 0.375, kappa = -0.375/0.625 = -0.6.
    expect(bo.kappa).toBeCloseTo(-0.6, 12);
    const agreed = await api.critique.export({ kind: "preferences", agreement: "humanAndAi" });
    expect(agreed.count).toBe(4);
    expect(agreed.excluded).toEqual({ "no agreeing AI judgement": 12 - 4 });
    expect(parseJsonl(agreed.text).every((l) => typeof l.prompt === "string" && typeof l.chosen === "string")).toBe(true);
    const onlyBo = await api.critique.exportPreview({ kind: "preferences", annotator: "bo" });
    expect(onlyBo.count).toBe(6);
  });
});
