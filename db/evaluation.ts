// SQLite implementation of the evaluation store port (core/evaluation/ports.ts): datasets
// unique by content hash with their items, suites, runs with their suite snapshot, and
// per-item results written as each item finishes. Rows are hydrated explicitly (JSON
// columns parsed, 0/1 to booleans). Both shells construct it with `sqliteEvaluationStore`.
import { StoreError } from "../core/history/errors.ts";
import type { EvaluationStore, NewDataset, NewRun, RunStatusPatch } from "../core/evaluation/ports.ts";
import { itemHash } from "../core/evaluation/datasets.ts";
import type { Dataset, EvalItem, Run, RunItemResult, Suite, SuiteSpec } from "../core/evaluation/types.ts";
import { storeRunner } from "./errors.ts";
import { fromJson, isUniqueViolation, newId, notFound, now, stmt, toFlag, toJson, type Db } from "./sql.ts";

interface DatasetRow {
  id: string;
  name: string;
  format: Dataset["format"];
  source: string;
  mapping: string;
  hash: string;
  item_count: number;
  builtin: number;
  created_at: number;
}
interface SuiteRow {
  id: string;
  name: string;
  builtin: number;
  dataset_id: string;
  spec: string;
  created_at: number;
  updated_at: number;
}
interface RunRow {
  id: string;
  suite_id: string | null;
  suite: string;
  dataset_id: string;
  model_id: string | null;
  model_name: string;
  model_file: string;
  model_sha256: string | null;
  adapters: string;
  config: string;
  status: Run["status"];
  total: number;
  done: number;
  metrics: string;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

const hydrateDataset = (r: DatasetRow): Dataset => ({
  id: r.id,
  name: r.name,
  format: r.format,
  source: r.source,
  mapping: fromJson(r.mapping),
  hash: r.hash,
  itemCount: r.item_count,
  builtin: r.builtin === 1,
  createdAt: r.created_at,
});

const hydrateSuite = (r: SuiteRow): Suite => {
  const spec = fromJson<SuiteSpec>(r.spec);
  return { ...spec, id: r.id, name: r.name, datasetId: r.dataset_id, builtin: r.builtin === 1, createdAt: r.created_at, updatedAt: r.updated_at };
};

const hydrateRun = (r: RunRow): Run => ({
  id: r.id,
  suiteId: r.suite_id,
  suite: fromJson(r.suite),
  datasetId: r.dataset_id,
  modelId: r.model_id,
  modelName: r.model_name,
  modelFile: r.model_file,
  modelSha256: r.model_sha256,
  adapters: fromJson(r.adapters),
  config: fromJson(r.config),
  status: r.status,
  total: r.total,
  done: r.done,
  metrics: fromJson(r.metrics),
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

const RUN_SELECT = `SELECT r.*, (SELECT count(*) FROM eval_run_items i WHERE i.run_id = r.id) AS done FROM eval_runs r`;

function getDataset(db: Db, id: string): Dataset | null {
  const r = stmt<[string], DatasetRow>(db, "SELECT * FROM eval_datasets WHERE id = ?").get(id);
  return r ? hydrateDataset(r) : null;
}
function findDatasetByHash(db: Db, hash: string): Dataset | null {
  const r = stmt<[string], DatasetRow>(db, "SELECT * FROM eval_datasets WHERE hash = ?").get(hash);
  return r ? hydrateDataset(r) : null;
}

function createDataset(db: Db, input: NewDataset): { dataset: Dataset; created: boolean } {
  return db.transaction(() => {
    const have = findDatasetByHash(db, input.hash);
    if (have) return { dataset: have, created: false };
    const id = newId();
    stmt(db, "INSERT INTO eval_datasets (id, name, format, source, mapping, hash, item_count, builtin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
      id,
      input.name,
      input.format,
      input.source,
      toJson(input.mapping),
      input.hash,
      input.items.length,
      toFlag(input.builtin ?? false),
      now(),
    );
    const ins = stmt(db, "INSERT INTO eval_dataset_items (dataset_id, idx, hash, item) VALUES (?, ?, ?, ?)");
    input.items.forEach((item, i) => ins.run(id, i, itemHash(item), toJson(item)));
    return { dataset: getDataset(db, id)!, created: true };
  })();
}

function getDatasetItems(db: Db, id: string, range: { offset?: number; limit?: number } = {}): EvalItem[] {
  const rows = stmt<[string, number, number], { item: string }>(
    db,
    "SELECT item FROM eval_dataset_items WHERE dataset_id = ? ORDER BY idx LIMIT ? OFFSET ?",
  ).all(id, range.limit ?? -1, range.offset ?? 0);
  return rows.map((r) => fromJson<EvalItem>(r.item));
}

function deleteDataset(db: Db, id: string): boolean {
  const used = stmt<[string], { name: string }>(db, "SELECT name FROM eval_suites WHERE dataset_id = ? LIMIT 1").get(id);
  if (used) throw new StoreError("conflict", `The dataset is used by the suite "${used.name}"; delete the suite first.`, { id });
  return stmt(db, "DELETE FROM eval_datasets WHERE id = ?").run(id).changes > 0;
}

function getSuite(db: Db, id: string): Suite | null {
  const r = stmt<[string], SuiteRow>(db, "SELECT * FROM eval_suites WHERE id = ?").get(id);
  return r ? hydrateSuite(r) : null;
}

function saveSuite(db: Db, spec: SuiteSpec, builtin: boolean): Suite {
  return db.transaction(() => {
    const id = spec.id ?? newId();
    const have = getSuite(db, id);
    if (have?.builtin && !builtin) throw new StoreError("conflict", `"${have.name}" is a builtin suite; save a copy under a new name instead.`, { id });
    const { id: _id, ...body } = spec;
    const t = now();
    try {
      if (have) {
        stmt(db, "UPDATE eval_suites SET name = ?, dataset_id = ?, spec = ?, builtin = ?, updated_at = ? WHERE id = ?").run(spec.name, spec.datasetId, toJson(body), toFlag(builtin), t, id);
      } else {
        stmt(db, "INSERT INTO eval_suites (id, name, builtin, dataset_id, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(id, spec.name, toFlag(builtin), spec.datasetId, toJson(body), t, t);
      }
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreError("conflict", `A suite named "${spec.name}" exists already.`, { name: spec.name });
      throw err;
    }
    return getSuite(db, id)!;
  })();
}

function deleteSuite(db: Db, id: string): boolean {
  const have = getSuite(db, id);
  if (!have) return false;
  if (have.builtin) throw new StoreError("conflict", `"${have.name}" is a builtin suite and cannot be deleted.`, { id });
  return stmt(db, "DELETE FROM eval_suites WHERE id = ?").run(id).changes > 0;
}

function getRun(db: Db, id: string): Run | null {
  const r = stmt<[string], RunRow>(db, `${RUN_SELECT} WHERE r.id = ?`).get(id);
  return r ? hydrateRun(r) : null;
}

function createRun(db: Db, input: NewRun): Run {
  const id = newId();
  const t = now();
  stmt(
    db,
    `INSERT INTO eval_runs (id, suite_id, suite, dataset_id, model_id, model_name, model_file, model_sha256, adapters, config, status, total, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)`,
  ).run(
    id,
    getSuite(db, input.suite.id) ? input.suite.id : null,
    toJson(input.suite),
    input.suite.datasetId,
    input.modelId,
    input.modelName,
    input.modelFile,
    input.modelSha256,
    toJson(input.adapters),
    toJson(input.config),
    input.total,
    t,
    t,
  );
  return getRun(db, id)!;
}

function saveRunItem(db: Db, runId: string, result: RunItemResult): void {
  if (!getRun(db, runId)) throw notFound("evaluation run", runId);
  db.transaction(() => {
    stmt(db, "INSERT OR REPLACE INTO eval_run_items (run_id, idx, result) VALUES (?, ?, ?)").run(runId, result.index, toJson(result));
    stmt(db, "UPDATE eval_runs SET updated_at = ? WHERE id = ?").run(now(), runId);
  })();
}

function getRunItems(db: Db, runId: string): RunItemResult[] {
  return stmt<[string], { result: string }>(db, "SELECT result FROM eval_run_items WHERE run_id = ? ORDER BY idx")
    .all(runId)
    .map((r) => fromJson<RunItemResult>(r.result));
}

function setRunStatus(db: Db, runId: string, patch: RunStatusPatch): Run {
  const have = getRun(db, runId);
  if (!have) throw notFound("evaluation run", runId);
  const t = now();
  const ended = patch.status === "complete" || patch.status === "cancelled" || patch.status === "error";
  stmt(db, "UPDATE eval_runs SET status = ?, metrics = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?").run(
    patch.status,
    toJson(patch.metrics ?? have.metrics),
    patch.error === undefined ? have.error : patch.error,
    t,
    ended ? t : null,
    runId,
  );
  return getRun(db, runId)!;
}

function listRuns(db: Db, filter: { suiteId?: string } = {}): Run[] {
  const rows = filter.suiteId
    ? stmt<[string], RunRow>(db, `${RUN_SELECT} WHERE r.suite_id = ? ORDER BY r.created_at DESC, r.rowid DESC`).all(filter.suiteId)
    : stmt<[], RunRow>(db, `${RUN_SELECT} ORDER BY r.created_at DESC, r.rowid DESC`).all();
  return rows.map(hydrateRun);
}

/** The evaluation store on an open Lathe database (`store.db`, `store.path`). */
export function sqliteEvaluationStore(db: Db, path: string): EvaluationStore {
  const run = storeRunner(db, path);
  return {
    createDataset: (input) => run(() => createDataset(db, input)),
    findDatasetByHash: (hash) => run(() => findDatasetByHash(db, hash)),
    getDataset: (id) => run(() => getDataset(db, id)),
    listDatasets: () =>
      run(() => stmt<[], DatasetRow>(db, "SELECT * FROM eval_datasets ORDER BY builtin DESC, created_at DESC, rowid DESC").all().map(hydrateDataset)),
    getDatasetItems: (id, range) => run(() => getDatasetItems(db, id, range)),
    deleteDataset: (id) => run(() => deleteDataset(db, id)),
    listSuites: () => run(() => stmt<[], SuiteRow>(db, "SELECT * FROM eval_suites ORDER BY builtin DESC, name").all().map(hydrateSuite)),
    getSuite: (id) => run(() => getSuite(db, id)),
    saveSuite: (spec, options) => run(() => saveSuite(db, spec, options?.builtin ?? false)),
    deleteSuite: (id) => run(() => deleteSuite(db, id)),
    createRun: (input) => run(() => createRun(db, input)),
    saveRunItem: (runId, result) => run(() => saveRunItem(db, runId, result)),
    getRunItems: (runId) => run(() => getRunItems(db, runId)),
    setRunStatus: (runId, patch) => run(() => setRunStatus(db, runId, patch)),
    getRun: (id) => run(() => getRun(db, id)),
    listRuns: (filter) => run(() => listRuns(db, filter)),
    deleteRun: (id) => run(() => stmt(db, "DELETE FROM eval_runs WHERE id = ?").run(id).changes > 0),
    pauseInterruptedRuns: () => run(() => stmt(db, "UPDATE eval_runs SET status = 'paused' WHERE status = 'running'").run().changes),
  };
}
