// Schema 60: forgetting-check reports (core/evaluation/forgetting.ts). One row per check: its
// status and model as columns for listing, the rest (adapter set, config, per-suite run ids,
// deltas, intervals and flags) as one JSON report. Runs stay in eval_runs. No existing rows change.
import type { Db } from "../sql.ts";

export default function up(db: Db): void {
  db.exec(`
    CREATE TABLE forgetting_reports (
      id TEXT PRIMARY KEY,
      model_id TEXT REFERENCES models(id) ON DELETE SET NULL,
      status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'complete', 'cancelled', 'error')),
      report TEXT NOT NULL CHECK (json_valid(report)),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX forgetting_reports_by_created ON forgetting_reports(created_at);
  `);
}
