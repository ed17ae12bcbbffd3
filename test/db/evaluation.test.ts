// The evaluation store on real SQLite: migration 40 keeps earlier rows, datasets are
// unique by content hash, suites (builtin protection, unique names, dataset in use), runs
// with per-item results saved one by one, `done` counts, interrupted runs paused.
import { migrate, schemaVersion } from "../../db/migrate.ts";
import { sqliteEvaluationStore } from "../../db/evaluation.ts";
import { datasetHash, suiteInputSchema, type EvalItem, type RunItemResult } from "../../core/evaluation/index.ts";
import { isStoreError } from "../../core/history/errors.ts";
import { installBuiltinSuites } from "../../core/services/evaluation.ts";
import { databaseAt, migrateTo, schemaObjects } from "./helpers/migrations.ts";
import { openTempStore } from "./helpers/store.ts";

const items: EvalItem[] = [
  { input: "a", references: ["b"], choices: null, gold: null },
  { input: "c", references: ["d"], choices: null, gold: null },
];
const newDataset = (name = "d", list = items) => ({ name, format: "jsonl" as const, source: "d.jsonl", mapping: { input: "input", references: ["reference"], choices: null, gold: null }, hash: datasetHash(list), items: list });
const result = (index: number, prediction: string): RunItemResult => ({ index, prompt: "p", prediction, logLikelihoods: null, choiceTokens: null, perplexity: null, judges: [], error: null, ms: 3, tokens: 5 });

describe("migration 40 (evaluation)", () => {
  it("adds the evaluation tables and keeps existing rows", () => {
    const { db } = databaseAt(0);
    migrateTo(db, 30);
    db.prepare("INSERT INTO models (id, file_path, name, sha256, size_bytes, metadata, added_at) VALUES ('m1', '/x.gguf', 'X', NULL, 1, '{}', 1)").run();
    expect(schemaObjects(db, "table")).not.toContain("eval_runs");
    migrate(db);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(40);
    expect(schemaObjects(db, "table")).toEqual(expect.arrayContaining(["eval_datasets", "eval_dataset_items", "eval_suites", "eval_runs", "eval_run_items"]));
    expect(db.prepare("SELECT name FROM models WHERE id = 'm1'").pluck().get()).toBe("X");
  });
});

describe("sqliteEvaluationStore", () => {
  const open = () => {
    const s = openTempStore();
    return { s, ev: sqliteEvaluationStore(s.db, s.path) };
  };

  it("stores a dataset once per content hash and pages its items", async () => {
    const { ev } = open();
    const first = await ev.createDataset(newDataset("first"));
    const again = await ev.createDataset(newDataset("second"));
    expect(first.created).toBe(true);
    expect(again).toEqual({ dataset: first.dataset, created: false });
    expect(first.dataset).toMatchObject({ name: "first", itemCount: 2, builtin: false, format: "jsonl" });
    expect(await ev.getDatasetItems(first.dataset.id)).toEqual(items);
    expect(await ev.getDatasetItems(first.dataset.id, { offset: 1, limit: 1 })).toEqual([items[1]]);
    expect((await ev.listDatasets()).map((d) => d.name)).toEqual(["first"]);
  });

  it("saves suites with unique names, protects builtin ones and datasets in use", async () => {
    const { ev } = open();
    const { dataset } = await ev.createDataset(newDataset());
    const spec = suiteInputSchema.parse({ name: "S", datasetId: dataset.id, task: "generation", metrics: [{ name: "bleu" }] });
    const s = await ev.saveSuite(spec);
    expect(s).toMatchObject({ name: "S", task: "generation", metrics: [{ name: "bleu" }], builtin: false });
    const renamed = await ev.saveSuite({ ...spec, id: s.id, name: "S2" });
    expect(renamed.id).toBe(s.id);
    expect(renamed.name).toBe("S2");
    const b = await ev.saveSuite({ ...spec, id: "builtin-x", name: "B" }, { builtin: true });
    await expect(ev.saveSuite({ ...spec, name: "S2" })).rejects.toSatisfy((e) => isStoreError(e) && e.reason === "conflict");
    await expect(ev.saveSuite({ ...spec, id: b.id, name: "B" })).rejects.toThrow(/builtin/);
    await expect(ev.deleteSuite(b.id)).rejects.toThrow(/builtin/);
    await expect(ev.deleteDataset(dataset.id)).rejects.toThrow(/used by the suite/);
    expect((await ev.listSuites()).map((x) => x.name)).toEqual(["B", "S2"]);
    expect(await ev.deleteSuite(s.id)).toBe(true);
  });

  it("keeps per-item results as they are saved, counts done, ends runs and pauses interrupted ones", async () => {
    const { s, ev } = open();
    const model = await s.models.upsertModel({ filePath: "/m.gguf", name: "M", sizeBytes: 1, metadata: {} });
    const { dataset } = await ev.createDataset(newDataset());
    const spec = suiteInputSchema.parse({ name: "S", datasetId: dataset.id, task: "generation" });
    const suite = await ev.saveSuite(spec);
    const newRun = () =>
      ev.createRun({
        suite: { ...spec, id: suite.id },
        modelId: model.id,
        modelName: "M",
        modelFile: "m.gguf",
        modelSha256: null,
        adapters: [{ path: "/a.gguf", scale: 2 }],
        config: { sampling: { temperature: 0 }, limit: null, prompt: spec.prompt, label: "base" },
        total: 2,
      });
    const run = await newRun();
    expect(run).toMatchObject({ status: "running", done: 0, total: 2, suiteId: suite.id, adapters: [{ path: "/a.gguf", scale: 2 }] });
    await ev.saveRunItem(run.id, result(1, "x"));
    await ev.saveRunItem(run.id, result(1, "y"));
    expect((await ev.getRun(run.id))!.done).toBe(1);
    await ev.saveRunItem(run.id, result(0, "z"));
    expect((await ev.getRunItems(run.id)).map((r) => [r.index, r.prediction])).toEqual([
      [0, "z"],
      [1, "y"],
    ]);
    const metrics = [{ name: "bleu", kind: "metric" as const, options: {}, score: 12.5, details: { bp: 1 }, higherIsBetter: true }];
    const ended = await ev.setRunStatus(run.id, { status: "complete", metrics });
    expect(ended).toMatchObject({ status: "complete", done: 2, metrics });
    expect(ended.finishedAt).not.toBeNull();
    const other = await newRun();
    expect(await ev.pauseInterruptedRuns()).toBe(1);
    expect((await ev.getRun(other.id))!.status).toBe("paused");
    expect((await ev.listRuns({ suiteId: suite.id })).map((r) => r.id)).toEqual([other.id, run.id]);
    await expect(ev.saveRunItem("nope", result(0, "a"))).rejects.toSatisfy((e) => isStoreError(e) && e.reason === "not-found");
    expect(await ev.deleteRun(run.id)).toBe(true);
    expect(await ev.getRunItems(run.id)).toEqual([]);
  });

  it("installs the builtin suites once: a second start changes nothing", async () => {
    const { ev } = open();
    await installBuiltinSuites(ev);
    const first = await ev.listSuites();
    await installBuiltinSuites(ev);
    expect(await ev.listSuites()).toEqual(first);
    expect(first).toHaveLength(5);
    expect((await ev.listDatasets()).filter((d) => d.builtin)).toHaveLength(5);
  });
});
