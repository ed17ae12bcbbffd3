// Schema 40: the evaluation workbench. Datasets (unique by content hash) with their items,
// suites (builtin and user), runs with a snapshot of their suite and config, and per-item
// results saved as each item finishes (so runs resume). No existing rows change.
// Note: 0030 (critique) is added by the critique work; this file does not depend on it.
import type { Db } from "../sql.ts";

export default function up(db: Db): void {
  db.exec(`
    CREATE TABLE eval_datasets (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      format TEXT NOT NULL CHECK (format IN ('jsonl', 'csv', 'hf-jsonl')),
      source TEXT NOT NULL DEFAULT '',
      mapping TEXT NOT NULL CHECK (json_valid(mapping)),
      hash TEXT NOT NULL,
      item_count INTEGER NOT NULL CHECK (item_count >= 0),
      builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX eval_datasets_by_hash ON eval_datasets(hash);

    CREATE TABLE eval_dataset_items (
      dataset_id TEXT NOT NULL REFERENCES eval_datasets(id) ON DELETE CASCADE,
      idx INTEGER NOT NULL CHECK (idx >= 0),
      hash TEXT NOT NULL,
      item TEXT NOT NULL CHECK (json_valid(item)),
      PRIMARY KEY (dataset_id, idx)
    ) STRICT;

    CREATE TABLE eval_suites (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
      dataset_id TEXT NOT NULL REFERENCES eval_datasets(id) ON DELETE RESTRICT,
      spec TEXT NOT NULL CHECK (json_valid(spec)),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX eval_suites_by_name ON eval_suites(name);
    CREATE INDEX eval_suites_by_dataset ON eval_suites(dataset_id);

    CREATE TABLE eval_runs (
      id TEXT PRIMARY KEY,
      suite_id TEXT REFERENCES eval_suites(id) ON DELETE SET NULL,
      suite TEXT NOT NULL CHECK (json_valid(suite)),
      dataset_id TEXT NOT NULL REFERENCES eval_datasets(id) ON DELETE CASCADE,
      model_id TEXT REFERENCES models(id) ON DELETE SET NULL,
      model_name TEXT NOT NULL,
      model_file TEXT NOT NULL,
      model_sha256 TEXT,
      adapters TEXT NOT NULL CHECK (json_valid(adapters)),
      config TEXT NOT NULL CHECK (json_valid(config)),
      status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'complete', 'cancelled', 'error')),
      total INTEGER NOT NULL CHECK (total >= 0),
      metrics TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(metrics)),
      error TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      finished_at INTEGER
    ) STRICT;
    CREATE INDEX eval_runs_by_suite ON eval_runs(suite_id, created_at);
    CREATE INDEX eval_runs_by_created ON eval_runs(created_at);

    CREATE TABLE eval_run_items (
      run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
      idx INTEGER NOT NULL CHECK (idx >= 0),
      result TEXT NOT NULL CHECK (json_valid(result)),
      PRIMARY KEY (run_id, idx)
    ) STRICT;
  `);
}
