// The store port of the evaluation workbench: datasets (deduplicated by content hash) with
// their items, suites, runs and per-item results. db/evaluation.ts implements it on SQLite;
// the evaluation service is written against it. Every method rejects with a StoreError.
import type { Dataset, DatasetFormat, EvalItem, FieldMapping, Run, RunAdapter, RunConfig, RunItemResult, RunMetric, RunStatus, Suite, SuiteSpec } from "./types.ts";

/** A dataset to store. */
export interface NewDataset {
  name: string;
  format: DatasetFormat;
  source: string;
  mapping: FieldMapping;
  /** Content hash (datasets are unique by it). */
  hash: string;
  items: readonly EvalItem[];
  builtin?: boolean;
}

/** A run to start. */
export interface NewRun {
  suite: SuiteSpec & { id: string };
  modelId: string;
  modelName: string;
  modelFile: string;
  modelSha256: string | null;
  adapters: RunAdapter[];
  config: RunConfig;
  total: number;
}

/** A change to a run's status. */
export interface RunStatusPatch {
  status: RunStatus;
  /** Metric summaries (set when complete). */
  metrics?: RunMetric[];
  /** Why it failed (status error). */
  error?: string | null;
}

export interface EvaluationStore {
  /** Stores a dataset; with the same hash already stored, returns that one (`created` false). */
  createDataset(input: NewDataset): Promise<{ dataset: Dataset; created: boolean }>;
  findDatasetByHash(hash: string): Promise<Dataset | null>;
  getDataset(id: string): Promise<Dataset | null>;
  /** Builtin first, then newest first. */
  listDatasets(): Promise<Dataset[]>;
  /** Items in order; `offset`/`limit` page them. */
  getDatasetItems(id: string, range?: { offset?: number; limit?: number }): Promise<EvalItem[]>;
  /** Deletes a dataset unused by suites (`conflict` otherwise); false when unknown. */
  deleteDataset(id: string): Promise<boolean>;

  /** Builtin first, then by name. */
  listSuites(): Promise<Suite[]>;
  getSuite(id: string): Promise<Suite | null>;
  /** Inserts (new id unless given) or updates by id; names are unique (`conflict`); builtin suites change only through a builtin save. */
  saveSuite(spec: SuiteSpec, options?: { builtin?: boolean }): Promise<Suite>;
  /** Builtin: `conflict`. Runs keep their suite snapshot. False when unknown. */
  deleteSuite(id: string): Promise<boolean>;

  /** Starts a run (status running, done 0). */
  createRun(input: NewRun): Promise<Run>;
  /** Stores (or replaces) one item's result and updates the run's `done`. */
  saveRunItem(runId: string, result: RunItemResult): Promise<void>;
  getRunItems(runId: string): Promise<RunItemResult[]>;
  setRunStatus(runId: string, patch: RunStatusPatch): Promise<Run>;
  getRun(id: string): Promise<Run | null>;
  /** Newest first; optionally one suite's runs. */
  listRuns(filter?: { suiteId?: string }): Promise<Run[]>;
  deleteRun(id: string): Promise<boolean>;
  /** Marks runs left `running` by a previous process as `paused` (resumable); returns how many. */
  pauseInterruptedRuns(): Promise<number>;
}
