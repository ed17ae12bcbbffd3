// SQLite implementation of the forgetting-report store port (core/evaluation/forgetting.ts):
// one row per report, status and model as columns, the report itself as JSON. A report whose
// model left the catalog keeps its numbers with modelId null. Both shells construct it.
import type { ForgettingReport, ForgettingStore } from "../core/evaluation/forgetting.ts";
import { storeRunner } from "./errors.ts";
import { fromJson, stmt, toJson, type Db } from "./sql.ts";

interface ReportRow {
  id: string;
  model_id: string | null;
  status: ForgettingReport["status"];
  report: string;
  created_at: number;
  updated_at: number;
}

/** The stored JSON with the columns' truth laid over it (status, model, times). */
const hydrate = (r: ReportRow): ForgettingReport => ({
  ...fromJson<ForgettingReport>(r.report),
  id: r.id,
  modelId: r.model_id,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function saveReport(db: Db, report: ForgettingReport): void {
  // A model removed since the check began is stored as null (the FK would refuse it).
  const model = report.modelId ? (stmt<[string], { id: string }>(db, "SELECT id FROM models WHERE id = ?").get(report.modelId)?.id ?? null) : null;
  stmt(
    db,
    `INSERT INTO forgetting_reports (id, model_id, status, report, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET model_id = excluded.model_id, status = excluded.status, report = excluded.report, updated_at = excluded.updated_at`,
  ).run(report.id, model, report.status, toJson({ ...report, modelId: model }), report.createdAt, report.updatedAt);
}

/** The forgetting store on an open Lathe database (`store.db`, `store.path`). */
export function sqliteForgettingStore(db: Db, path: string): ForgettingStore {
  const run = storeRunner(db, path);
  return {
    saveReport: (report) => run(() => saveReport(db, report)),
    getReport: (id) =>
      run(() => {
        const row = stmt<[string], ReportRow>(db, "SELECT * FROM forgetting_reports WHERE id = ?").get(id);
        return row ? hydrate(row) : null;
      }),
    listReports: () => run(() => stmt<[], ReportRow>(db, "SELECT * FROM forgetting_reports ORDER BY created_at DESC, rowid DESC").all().map(hydrate)),
    deleteReport: (id) => run(() => stmt(db, "DELETE FROM forgetting_reports WHERE id = ?").run(id).changes > 0),
  };
}
