// Schema 30 and db/critique.ts on real SQLite files: the migration (tables, STRICT,
// named indexes, existing rows untouched), constitution versioning, prompt sets, runs
// with steps and their ends, recovery of interrupted runs, batch progress, comparisons,
// rankings with ties and their replacement, AI preferences, filters and deletes.
import { defaultConstitution } from "../../core/critique/constitution.ts";
import type { CritiqueStore } from "../../core/critique/ports.ts";
import type { BatchSettings, CritiqueSettings } from "../../core/critique/types.ts";
import { isStoreError } from "../../core/history/errors.ts";
import { recoverCritique, sqliteCritiqueStore } from "../../db/critique.ts";
import { latestVersion, schemaVersion } from "../../db/migrate.ts";
import { databaseAt, migrateTo, schemaObjects } from "./helpers/migrations.ts";
import { openTempStore, sampleProvenance } from "./helpers/store.ts";

const critiqueTables = [
  "constitution_versions",
  "constitutions",
  "critique_batches",
  "critique_prompt_sets",
  "critique_runs",
  "critique_steps",
  "feedback_comparisons",
  "feedback_preferences",
  "feedback_rankings",
  "feedback_responses",
];

const settings: CritiqueSettings = {
  rounds: 2,
  principleChoice: "roundRobin",
  seed: 7,
  stopCheck: { kind: "never" },
  sampling: { temperature: 0, maxTokens: 16 },
  presetId: null,
};

function open(): { store: CritiqueStore; db: ReturnType<typeof openTempStore>["db"]; path: string } {
  const s = openTempStore();
  return { store: sqliteCritiqueStore(s.db, s.path), db: s.db, path: s.path };
}

async function rejects(p: Promise<unknown>, reason: Parameters<typeof isStoreError>[1], message?: RegExp): Promise<void> {
  let error: unknown;
  try {
    await p;
  } catch (err) {
    error = err;
  }
  expect(isStoreError(error, reason)).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
}

describe("0030 critique", () => {
  it("adds the critique tables (STRICT, named indexes) and leaves existing rows alone", () => {
    const { db } = databaseAt(20);
    db.exec(`
      INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Kept', 1, 1);
      INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at)
        VALUES ('m1', 'c1', 'user', 'still here', 'complete', 1, 1);
    `);
    const before = db.prepare("SELECT id, content FROM messages").all();
    migrateTo(db, 30);
    expect(schemaVersion(db)).toBe(30);
    expect(db.prepare("SELECT id, content FROM messages").all()).toEqual(before);
    expect(schemaObjects(db, "table")).toEqual(expect.arrayContaining(critiqueTables));
    const strict = db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main'").all() as { name: string; strict: number }[];
    expect(strict.filter((t) => critiqueTables.includes(t.name) && t.strict !== 1)).toEqual([]);
    for (const table of critiqueTables) {
      const indexes = db.prepare(`SELECT name, origin FROM pragma_index_list('${table}')`).all() as { name: string; origin: string }[];
      expect(indexes.filter((i) => i.origin === "u")).toEqual([]);
      for (const i of indexes.filter((x) => x.origin === "c")) expect(i.name.startsWith(`${table}_`)).toBe(true);
    }
    expect(schemaObjects(db, "index")).toEqual(expect.arrayContaining(["critique_prompt_sets_by_name", "feedback_rankings_by_comparison_annotator", "critique_runs_by_batch"]));
    expect(db.pragma("foreign_key_check")).toEqual([]);
    expect(latestVersion()).toBeGreaterThanOrEqual(30);
  });

  it("enforces the allowed values and pair order", () => {
    const { db } = databaseAt(30);
    db.exec(`
      INSERT INTO feedback_comparisons (id, prompt, source, created_at) VALUES ('k', 'p', 'manual', 1);
      INSERT INTO feedback_responses (comparison_id, idx, text, created_at) VALUES ('k', 0, 'x', 1), ('k', 1, 'y', 1);
    `);
    const insert = db.prepare("INSERT INTO feedback_preferences (id, comparison_id, a_idx, b_idx, source, winner, annotator, created_at) VALUES (?, 'k', ?, ?, ?, ?, ?, 1)");
    expect(() => insert.run("p1", 1, 0, "human", "a", "ann")).toThrow(/CHECK constraint/);
    expect(() => insert.run("p2", 0, 1, "human", null, "ann")).toThrow(/CHECK constraint/);
    expect(() => insert.run("p3", 0, 1, "robot", "a", "ann")).toThrow(/CHECK constraint/);
    expect(() => insert.run("p4", 0, 5, "ai", null, null)).toThrow(/FOREIGN KEY/);
    insert.run("p5", 0, 1, "ai", null, null);
    expect(() => db.prepare("INSERT INTO feedback_comparisons (id, prompt, source, created_at) VALUES ('k2', 'p', 'other', 1)").run()).toThrow(/CHECK constraint/);
  });
});

describe("critique store: constitutions", () => {
  it("versions a constitution: same content adds nothing, changed content adds a version, old versions stay", async () => {
    const { store } = open();
    const v1 = await store.saveConstitution({ ...defaultConstitution });
    expect(v1).toMatchObject({ version: 1, latestVersion: 1, builtin: false, archived: false, name: defaultConstitution.name });
    const same = await store.saveConstitution({ id: v1.id, ...defaultConstitution });
    expect(same.version).toBe(1);
    const v2 = await store.saveConstitution({ id: v1.id, ...defaultConstitution, principles: defaultConstitution.principles.slice(0, 2) });
    expect(v2).toMatchObject({ id: v1.id, version: 2, latestVersion: 2 });
    expect((await store.getConstitution(v1.id))!.principles).toHaveLength(2);
    expect((await store.getConstitution(v1.id, 1))!.principles).toHaveLength(4);
    expect(await store.getConstitution(v1.id, 3)).toBeNull();
    expect((await store.listConstitutionVersions(v1.id)).map((v) => [v.version, v.principleCount, v.runs])).toEqual([
      [2, 2, 0],
      [1, 4, 0],
    ]);
    expect(await store.listConstitutionVersions("nope")).toEqual([]);
  });

  it("protects builtin constitutions, archives user ones, lists builtin first", async () => {
    const { store } = open();
    const builtin = await store.saveConstitution({ id: "builtin-x", builtin: true, ...defaultConstitution, name: "Zed builtin" });
    await rejects(store.saveConstitution({ id: builtin.id, ...defaultConstitution, name: "Changed" }), "conflict", /built in/);
    await rejects(store.archiveConstitution(builtin.id), "conflict");
    const mine = await store.saveConstitution({ ...defaultConstitution, name: "Alpha mine" });
    expect((await store.listConstitutions()).map((c) => c.name)).toEqual(["Zed builtin", "Alpha mine"]);
    expect(await store.archiveConstitution(mine.id)).toBe(true);
    expect(await store.archiveConstitution("nope")).toBe(false);
    expect((await store.listConstitutions()).map((c) => c.name)).toEqual(["Zed builtin"]);
    expect((await store.listConstitutions({ includeArchived: true })).find((c) => c.id === mine.id)?.archived).toBe(true);
    // Saving again brings it back.
    await store.saveConstitution({ id: mine.id, ...defaultConstitution, name: "Alpha mine" });
    expect((await store.listConstitutions()).map((c) => c.name)).toEqual(["Zed builtin", "Alpha mine"]);
  });
});

describe("critique store: prompt sets", () => {
  it("saves, renames, refuses duplicate names and protects builtin sets", async () => {
    const { store } = open();
    const set = await store.savePromptSet({ name: "Mine", prompts: ["a", "b"] });
    expect(set).toMatchObject({ name: "Mine", prompts: ["a", "b"], builtin: false });
    await store.savePromptSet({ id: "builtin-s", name: "Built", prompts: ["x"], builtin: true });
    expect((await store.listPromptSets()).map((s) => [s.name, s.count])).toEqual([
      ["Built", 1],
      ["Mine", 2],
    ]);
    await rejects(store.savePromptSet({ name: "Mine", prompts: ["c"] }), "conflict", /already exists/);
    await rejects(store.savePromptSet({ id: "builtin-s", name: "Built", prompts: ["y"] }), "conflict");
    await rejects(store.deletePromptSet("builtin-s"), "conflict");
    expect(await store.deletePromptSet(set.id)).toBe(true);
    expect(await store.deletePromptSet(set.id)).toBe(false);
  });
});

describe("critique store: runs, steps, batches", () => {
  async function setup() {
    const o = open();
    const c = await o.store.saveConstitution({ ...defaultConstitution });
    return { ...o, c };
  }

  it("stores a run with its steps and provenance; the run's initial, rounds and final follow them", async () => {
    const { store, c } = await setup();
    const run = await store.createRun({ prompt: "Q?", constitutionId: c.id, constitutionVersion: 1, modelId: null, modelFile: "m.gguf", settings });
    expect(run).toMatchObject({ status: "running", initial: null, final: null, roundsRun: 0, constitutionName: defaultConstitution.name, systemPrompt: "" });
    const prov = sampleProvenance();
    await store.addStep({ runId: run.id, index: 0, kind: "initial", principleIds: [], critique: null, critiqueProvenance: null, noIssues: false, text: "first", provenance: prov });
    const s1 = await store.addStep({ runId: run.id, index: 1, kind: "round", principleIds: ["helpful"], critique: "too short", critiqueProvenance: prov, noIssues: false, text: "second", provenance: prov });
    expect(s1).toMatchObject({ index: 1, principleIds: ["helpful"], critique: "too short", noIssues: false, text: "second" });
    expect(s1.provenance).toEqual(prov);
    await rejects(store.addStep({ ...s1, runId: run.id }), "conflict", /already has a step 1/);
    const done = await store.finishRun(run.id, { status: "complete", stopReason: "rounds" });
    expect(done).toMatchObject({ status: "complete", stopReason: "rounds", initial: "first", final: "second", roundsRun: 1 });
    expect(done.finishedAt).not.toBeNull();
    // Ending twice leaves the first end in place; steps can no longer be added.
    expect((await store.finishRun(run.id, { status: "error", error: "late" })).status).toBe("complete");
    await rejects(store.addStep({ ...s1, index: 2 }), "conflict", /has ended/);
    const detail = (await store.getRun(run.id))!;
    expect(detail.steps.map((s) => s.text)).toEqual(["first", "second"]);
    expect((await store.listConstitutionVersions(c.id))[0]!.runs).toBe(1);
    expect(await store.deleteRun(run.id)).toBe(true);
    expect(await store.getRun(run.id)).toBeNull();
  });

  it("a stopped run keeps its steps but has no final answer; a failed one keeps its error", async () => {
    const { store, c } = await setup();
    const base = { constitutionId: c.id, constitutionVersion: 1, modelId: null, modelFile: "m.gguf", settings };
    const a = await store.createRun({ prompt: "A", ...base });
    await store.addStep({ runId: a.id, index: 0, kind: "initial", principleIds: [], critique: null, critiqueProvenance: null, noIssues: false, text: "x", provenance: null });
    expect(await store.finishRun(a.id, { status: "stopped" })).toMatchObject({ status: "stopped", final: null, initial: "x" });
    const b = await store.createRun({ prompt: "B", ...base });
    expect(await store.finishRun(b.id, { status: "error", error: "boom" })).toMatchObject({ status: "error", error: "boom" });
    expect((await store.listRuns()).map((r) => r.prompt)).toEqual(["B", "A"]);
    expect((await store.listRuns({ status: "error" })).map((r) => r.prompt)).toEqual(["B"]);
    await rejects(store.createRun({ prompt: "C", ...base, constitutionVersion: 9 }), "not-found");
  });

  it("marks runs left running by an earlier process interrupted and pauses their batches", async () => {
    const { store, c, db } = await setup();
    const s: BatchSettings = { ...settings, constitutionId: c.id, constitutionVersion: 1, modelId: "m", systemPrompt: "" };
    const batch = await store.createBatch({ name: "B", prompts: ["p0", "p1"], settings: s });
    await store.setBatchStatus(batch.id, "running");
    const run = await store.createRun({ prompt: "p0", constitutionId: c.id, constitutionVersion: 1, modelId: null, modelFile: "m", settings, batchId: batch.id, batchIndex: 0 });
    expect(recoverCritique(db)).toEqual({ interruptedRuns: 1, pausedBatches: 1 });
    expect((await store.getRun(run.id))!.status).toBe("interrupted");
    expect((await store.getBatch(batch.id))!.status).toBe("paused");
  });

  it("tracks batch progress by prompt: complete, failed without a later success, and what resume skips", async () => {
    const { store, c } = await setup();
    const s: BatchSettings = { ...settings, constitutionId: c.id, constitutionVersion: 1, modelId: "m", systemPrompt: "" };
    const batch = await store.createBatch({ name: "Red", prompts: ["p0", "p1", "p2"], settings: s });
    expect(batch).toMatchObject({ status: "paused", progress: { total: 3, complete: 0, failed: 0 } });
    const run = (i: number) => store.createRun({ prompt: `p${i}`, constitutionId: c.id, constitutionVersion: 1, modelId: null, modelFile: "m", settings, batchId: batch.id, batchIndex: i });
    await store.finishRun((await run(0)).id, { status: "complete", final: "ok" });
    await store.finishRun((await run(1)).id, { status: "error", error: "x" });
    await store.finishRun((await run(2)).id, { status: "error", error: "x" });
    await store.finishRun((await run(2)).id, { status: "complete", final: "ok" });
    expect((await store.getBatch(batch.id))!.progress).toEqual({ total: 3, complete: 2, failed: 1 });
    expect(await store.completedBatchIndices(batch.id)).toEqual([0, 2]);
    expect((await store.listRuns({ batchId: batch.id })).map((r) => [r.batchIndex, r.status])).toEqual([
      [0, "complete"],
      [1, "error"],
      [2, "error"],
      [2, "complete"],
    ]);
    expect((await store.setBatchStatus(batch.id, "complete")).status).toBe("complete");
    expect((await store.listBatches()).map((b) => b.name)).toEqual(["Red"]);
    await rejects(store.setBatchStatus("nope", "paused"), "not-found");
  });
});

describe("critique store: comparisons, rankings, preferences", () => {
  async function comparison(store: CritiqueStore, n = 4) {
    return store.createComparison({ prompt: "Q?", systemPrompt: "S", source: "manual", responses: Array.from({ length: n }, (_, i) => ({ text: `r${i}`, label: `#${i}`, provenance: null })) });
  }

  it("creates comparisons and appends responses with the next index", async () => {
    const { store } = open();
    const c = await store.createComparison({ prompt: "Q?", source: "generated" });
    expect(c.responses).toEqual([]);
    expect((await store.addComparisonResponse(c.id, { text: "a", label: "seed 1", provenance: sampleProvenance() })).index).toBe(0);
    expect((await store.addComparisonResponse(c.id, { text: "b", label: "seed 2", provenance: null })).index).toBe(1);
    const got = (await store.getComparison(c.id))!;
    expect(got.responses.map((r) => [r.index, r.text, r.label])).toEqual([
      [0, "a", "seed 1"],
      [1, "b", "seed 2"],
    ]);
    expect(got.responses[0]!.provenance).toEqual(sampleProvenance());
    await rejects(store.addComparisonResponse("nope", { text: "x", label: "", provenance: null }), "not-found");
  });

  it("saves a ranking of 4 with one tie as 5 human preferences; a new ranking by the same annotator replaces it", async () => {
    const { store } = open();
    const c = await comparison(store);
    const { ranking, preferences } = await store.saveRanking({ comparisonId: c.id, annotator: "ana", guideline: "be honest", tiers: [[2], [0, 3], [1]] });
    expect(ranking).toMatchObject({ annotator: "ana", guideline: "be honest", tiers: [[2], [0, 3], [1]] });
    expect(preferences).toHaveLength(5);
    expect(preferences.map((p) => [p.a, p.b, p.winner])).toEqual([
      [0, 1, "a"],
      [0, 2, "b"],
      [1, 2, "b"],
      [1, 3, "b"],
      [2, 3, "a"],
    ]);
    expect(preferences[0]).toMatchObject({ source: "human", annotator: "ana", rankingId: ranking.id, prompt: "Q?", systemPrompt: "S", textA: "r0", textB: "r1" });
    await store.saveRanking({ comparisonId: c.id, annotator: "bo", tiers: [[0], [1], [2], [3]] });
    const again = await store.saveRanking({ comparisonId: c.id, annotator: "ana", tiers: [[0, 1, 2, 3]] });
    expect(again.preferences).toEqual([]);
    expect((await store.listRankings(c.id)).map((r) => r.annotator)).toEqual(["bo", "ana"]);
    expect(await store.listPreferences({ annotator: "ana" })).toEqual([]);
    expect(await store.listPreferences({ annotator: "bo" })).toHaveLength(6);
    expect((await store.listComparisons())[0]).toMatchObject({ id: c.id, responseCount: 4, rankings: 2, judgements: 0 });
  });

  it("stores AI preferences with both judged orders and filters by source, comparison and constitution", async () => {
    const { store } = open();
    const k = await store.saveConstitution({ ...defaultConstitution });
    const c = await comparison(store, 2);
    const other = await comparison(store, 2);
    const judge = { orders: [{ order: "ab" as const, text: "A", verdict: "a" as const }, { order: "ba" as const, text: "A", verdict: "b" as const }], modelFile: "m.gguf", provenance: null };
    const p = await store.addPreference({ comparisonId: c.id, source: "ai", a: 0, b: 1, winner: null, annotator: null, guideline: null, rankingId: null, constitutionId: k.id, constitutionVersion: 1, principleIds: ["honest"], agreement: false, judge });
    expect(p).toMatchObject({ source: "ai", winner: null, agreement: false, principleIds: ["honest"], judge, textA: "r0", textB: "r1" });
    await store.addPreference({ ...p, comparisonId: other.id, winner: "b", agreement: true, constitutionId: null, constitutionVersion: null });
    await store.saveRanking({ comparisonId: c.id, annotator: "ana", tiers: [[1], [0]] });
    expect((await store.listPreferences({ source: "ai" })).map((x) => x.comparisonId)).toEqual([c.id, other.id]);
    expect((await store.listPreferences({ comparisonId: c.id })).map((x) => x.source)).toEqual(["ai", "human"]);
    expect((await store.listPreferences({ constitutionId: k.id })).map((x) => x.comparisonId)).toEqual([c.id]);
    await rejects(store.addPreference({ ...p, a: 1, b: 0 }), "invalid");
    await rejects(store.addPreference({ ...p, b: 7 }), "invalid", /no responses 0 and 7/);
    expect(await store.deleteComparison(c.id)).toBe(true);
    expect(await store.listPreferences({ comparisonId: c.id })).toEqual([]);
    expect(await store.listRankings(c.id)).toEqual([]);
  });

  it("finds preferences on comparisons made from a constitution's critique runs", async () => {
    const { store } = open();
    const k = await store.saveConstitution({ ...defaultConstitution });
    const run = await store.createRun({ prompt: "Q?", constitutionId: k.id, constitutionVersion: 1, modelId: null, modelFile: "m", settings });
    const c = await store.createComparison({ prompt: "Q?", source: "critique", runId: run.id, responses: [{ text: "first", label: "initial", provenance: null }, { text: "last", label: "final", provenance: null }] });
    await store.saveRanking({ comparisonId: c.id, annotator: "ana", tiers: [[1], [0]] });
    expect((await store.listPreferences({ constitutionId: k.id })).map((p) => [p.source, p.winner])).toEqual([["human", "b"]]);
    expect(await store.listPreferences({ constitutionId: "other" })).toEqual([]);
  });
});
