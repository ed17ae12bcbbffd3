// An in-memory evaluation store (core/evaluation/ports.ts) and forgetting-report store for
// service tests that run the real evaluation and forgetting handlers over a scripted
// engine without SQLite. Keeps only what those services read and write.
import type { ForgettingReport, ForgettingStore } from "../../../core/evaluation/forgetting.ts";
import type { EvaluationStore, NewDataset, NewRun, RunStatusPatch } from "../../../core/evaluation/ports.ts";
import type { Dataset, EvalItem, Run, RunItemResult, Suite, SuiteSpec } from "../../../core/evaluation/types.ts";

export class MemEvaluationStore implements EvaluationStore {
  readonly datasets = new Map<string, { dataset: Dataset; items: EvalItem[] }>();
  readonly suites = new Map<string, Suite>();
  readonly runs = new Map<string, Run>();
  readonly items = new Map<string, Map<number, RunItemResult>>();
  private n = 0;
  private readonly id = (p: string) => `${p}${++this.n}`;

  async createDataset(input: NewDataset) {
    const have = await this.findDatasetByHash(input.hash);
    if (have) return { dataset: have, created: false };
    const dataset: Dataset = { id: this.id("d"), name: input.name, format: input.format, source: input.source, mapping: input.mapping, hash: input.hash, itemCount: input.items.length, builtin: input.builtin ?? false, createdAt: this.n };
    this.datasets.set(dataset.id, { dataset, items: [...input.items] });
    return { dataset, created: true };
  }
  async findDatasetByHash(hash: string) {
    return [...this.datasets.values()].find((d) => d.dataset.hash === hash)?.dataset ?? null;
  }
  async getDataset(id: string) {
    return this.datasets.get(id)?.dataset ?? null;
  }
  async listDatasets() {
    return [...this.datasets.values()].map((d) => d.dataset);
  }
  async getDatasetItems(id: string, range?: { offset?: number; limit?: number }) {
    const all = this.datasets.get(id)?.items ?? [];
    const from = range?.offset ?? 0;
    return all.slice(from, range?.limit === undefined ? undefined : from + range.limit);
  }
  async deleteDataset(id: string) {
    return this.datasets.delete(id);
  }
  async listSuites() {
    return [...this.suites.values()];
  }
  async getSuite(id: string) {
    return this.suites.get(id) ?? null;
  }
  async saveSuite(spec: SuiteSpec, options?: { builtin?: boolean }) {
    const id = spec.id ?? this.id("s");
    const suite: Suite = { ...spec, id, builtin: options?.builtin ?? false, createdAt: this.n, updatedAt: this.n };
    this.suites.set(id, suite);
    return suite;
  }
  async deleteSuite(id: string) {
    return this.suites.delete(id);
  }
  async createRun(input: NewRun) {
    const run: Run = {
      id: this.id("r"),
      suiteId: input.suite.id,
      suite: input.suite,
      datasetId: input.suite.datasetId,
      modelId: input.modelId,
      modelName: input.modelName,
      modelFile: input.modelFile,
      modelSha256: input.modelSha256,
      adapters: input.adapters,
      config: input.config,
      status: "running",
      total: input.total,
      done: 0,
      metrics: [],
      error: null,
      createdAt: this.n,
      updatedAt: this.n,
      finishedAt: null,
    };
    this.runs.set(run.id, run);
    this.items.set(run.id, new Map());
    return run;
  }
  async saveRunItem(runId: string, result: RunItemResult) {
    const m = this.items.get(runId)!;
    m.set(result.index, result);
    this.runs.set(runId, { ...this.runs.get(runId)!, done: m.size });
  }
  async getRunItems(runId: string) {
    return [...(this.items.get(runId)?.values() ?? [])].sort((a, b) => a.index - b.index);
  }
  async setRunStatus(runId: string, patch: RunStatusPatch) {
    const run = { ...this.runs.get(runId)!, status: patch.status, ...(patch.metrics ? { metrics: patch.metrics } : {}), ...(patch.error !== undefined ? { error: patch.error } : {}) };
    if (patch.status === "complete") run.finishedAt = this.n;
    this.runs.set(runId, run);
    return run;
  }
  async getRun(id: string) {
    return this.runs.get(id) ?? null;
  }
  async listRuns(filter?: { suiteId?: string }) {
    return [...this.runs.values()].filter((r) => !filter?.suiteId || r.suiteId === filter.suiteId).reverse();
  }
  async deleteRun(id: string) {
    return this.runs.delete(id);
  }
  async pauseInterruptedRuns() {
    return 0;
  }
}

/** Reports in a Map, copied in and out like a database would. */
export class MemForgettingStore implements ForgettingStore {
  readonly reports = new Map<string, ForgettingReport>();
  async saveReport(report: ForgettingReport) {
    this.reports.set(report.id, structuredClone(report));
  }
  async getReport(id: string) {
    const r = this.reports.get(id);
    return r ? structuredClone(r) : null;
  }
  async listReports() {
    return [...this.reports.values()].reverse().map((r) => structuredClone(r));
  }
  async deleteReport(id: string) {
    return this.reports.delete(id);
  }
}
