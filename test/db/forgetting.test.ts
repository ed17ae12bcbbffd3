// The forgetting-report store on real SQLite: migration 60 adds its table and keeps earlier
// rows; reports are saved, replaced by id, listed newest first, reopened exactly, deleted;
// a report whose model left the catalog keeps its numbers with modelId null.
import { migrate, schemaVersion } from "../../db/migrate.ts";
import { sqliteForgettingStore } from "../../db/forgetting.ts";
import type { ForgettingReport } from "../../core/evaluation/forgetting.ts";
import { databaseAt, migrateTo, schemaObjects } from "./helpers/migrations.ts";
import { openTempStore } from "./helpers/store.ts";

const report = (id: string, createdAt: number, over: Partial<ForgettingReport> = {}): ForgettingReport => ({
  id,
  status: "complete",
  modelId: null,
  modelName: "Successor",
  adapters: [{ path: "/a/plus2.gguf", scale: 1, name: "+2" }],
  label: "",
  config: { threshold: 0, samples: 1000, seed: 12345, presetId: null, sampling: null, limit: null },
  suites: [
    {
      suiteId: "s1",
      suiteName: "Guard",
      role: "guard",
      task: "generation",
      baseRunId: "r1",
      adapterRunId: "r2",
      result: { metric: "exact_match", higherIsBetter: true, base: 1, adapter: 0, delta: -1, ciLow: -1, ciHigh: -1, confidence: 0.95, pValue: 0.001, items: 6, verdict: "worse", forgetting: true },
      error: null,
    },
  ],
  flagged: 1,
  error: null,
  createdAt,
  updatedAt: createdAt,
  finishedAt: createdAt,
  ...over,
});

describe("migration 60 (forgetting)", () => {
  it("adds the report table and keeps existing rows", () => {
    const { db } = databaseAt(0);
    migrateTo(db, 50);
    db.prepare("INSERT INTO models (id, file_path, name, sha256, size_bytes, metadata, added_at) VALUES ('m1', '/x.gguf', 'X', NULL, 1, '{}', 1)").run();
    expect(schemaObjects(db, "table")).not.toContain("forgetting_reports");
    migrate(db);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(60);
    expect(schemaObjects(db, "table")).toContain("forgetting_reports");
    expect(schemaObjects(db, "index")).toContain("forgetting_reports_by_created");
    expect(db.prepare("SELECT name FROM models WHERE id = 'm1'").pluck().get()).toBe("X");
    expect(() => db.prepare("INSERT INTO forgetting_reports (id, status, report, created_at, updated_at) VALUES ('x', 'odd', '{}', 1, 1)").run()).toThrow(/CHECK/);
  });
});

describe("sqliteForgettingStore", () => {
  it("saves, replaces, lists newest first, reopens and deletes reports", async () => {
    const s = openTempStore();
    const store = sqliteForgettingStore(s.db, s.path);
    const model = await s.models.upsertModel({ filePath: "/m/successor.gguf", name: "Successor", sha256: null, sizeBytes: 1, metadata: {} });
    const a = report("a", 10, { modelId: model.id, status: "running", flagged: 0 });
    await store.saveReport(a);
    await store.saveReport(report("b", 20));
    expect(await store.getReport("a")).toEqual(a);
    await store.saveReport({ ...a, status: "complete", flagged: 1, updatedAt: 30 });
    expect(await store.getReport("a")).toMatchObject({ status: "complete", flagged: 1, updatedAt: 30, createdAt: 10, modelId: model.id });
    expect((await store.listReports()).map((r) => r.id)).toEqual(["b", "a"]);
    expect(await store.getReport("zzz")).toBeNull();
    expect(await store.deleteReport("b")).toBe(true);
    expect(await store.deleteReport("b")).toBe(false);
    expect((await store.listReports()).map((r) => r.id)).toEqual(["a"]);
  });

  it("keeps a report whose model is gone, with modelId null", async () => {
    const s = openTempStore();
    const store = sqliteForgettingStore(s.db, s.path);
    await store.saveReport(report("c", 1, { modelId: "no-such-model" }));
    const back = await store.getReport("c");
    expect(back?.modelId).toBeNull();
    expect(back?.suites[0]?.result?.forgetting).toBe(true);
  });
});
