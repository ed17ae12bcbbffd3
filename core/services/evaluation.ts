// Handlers for the `evaluation` domain: dataset preview/import (nothing stored without the
// user's consent when rows were rejected), suites (builtin ones installed at start), runs
// through core/evaluation's pipeline on catalog models (each item stored as it finishes;
// cancel leaves a resumable run; runs cut off by a restart are paused), scoring,
// comparisons and exports. Composed by core/services/handlers.ts; used by the CLI through the API.
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { DatasetPreview, EvalRunPacket, RunDetail, evaluationApi } from "../api/evaluation.ts";
import { listMetrics } from "../eval/registry.ts";
import { BUILTIN_SUITES } from "../evaluation/builtinSuites.ts";
import { datasetHash, parseDataset } from "../evaluation/datasets.ts";
import { runCsv, runExport } from "../evaluation/exportRun.ts";
import type { EvaluationStore } from "../evaluation/ports.ts";
import { runPipeline, type RunPlan } from "../evaluation/runner.ts";
import { compareScored, runMetricsOf, scoreRun } from "../evaluation/scoring.ts";
import { evalItemSchema, suiteInputSchema, type EvalItem, type Run, type RunAdapter, type SuiteSpec } from "../evaluation/types.ts";
import type { AdapterStore, ModelStore } from "../history/ports.ts";
import type { ModelRecord } from "../history/types.ts";
import { samplingConfigSchema } from "../sampling/config.ts";
import type { EngineSessions } from "./EngineSessions.ts";

/** What the evaluation service needs. */
export interface EvaluationDeps {
  /** Datasets, suites, runs and per-item results (db/evaluation.ts). */
  evaluation: EvaluationStore;
  models: ModelStore;
  adapters: AdapterStore;
  sessions: EngineSessions;
  /** Says why a task cannot run on a (remote) model; null = it can. Default: every task runs everywhere. */
  providers?: { refusal(record: ModelRecord, task: SuiteSpec["task"]): Promise<string | null> };
}

const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** Checks that a dataset's items fit a suite's task; throws invalid_input naming the first misfit. */
export function checkSuiteFits(suite: SuiteSpec, items: readonly EvalItem[]): void {
  if (items.length === 0) throw new ApiError("invalid_input", "The dataset has no items.");
  items.forEach((it, i) => {
    if (suite.task === "multiple_choice" && (!it.choices || it.gold === null)) {
      throw new ApiError("invalid_input", `Item ${i} has no choices or gold answer; a multiple-choice suite needs both (map the choices and gold fields when importing).`);
    }
    if (suite.task === "generation" && suite.metrics.length > 0 && it.references.length === 0) {
      throw new ApiError("invalid_input", `Item ${i} has no reference; generation metrics need at least one (map the reference field when importing).`);
    }
  });
  for (const m of suite.metrics) {
    const input = listMetrics().find((x) => x.name === m.name)?.input;
    if (input && input !== suite.task) throw new ApiError("invalid_input", `Metric ${m.name} scores ${input} items, not ${suite.task}.`);
  }
  if (suite.judges.length > 0 && suite.task !== "generation") throw new ApiError("invalid_input", "Judges only grade generated answers (task generation).");
}

/** Whether a stored suite already says what `spec` says (fields compared in a fixed order). */
function sameSuite(a: SuiteSpec, b: SuiteSpec): boolean {
  const pick = (s: SuiteSpec) => [s.name, s.description, s.datasetId, s.task, s.prompt, s.targetDelimiter, s.metrics, s.judges, s.sampling];
  return JSON.stringify(pick(a)) === JSON.stringify(pick(b));
}

/** Installs or refreshes the builtin suites and their datasets (idempotent: datasets are found by hash). */
export async function installBuiltinSuites(store: EvaluationStore): Promise<void> {
  const existing = new Map((await store.listSuites()).map((s) => [s.id, s]));
  for (const b of BUILTIN_SUITES) {
    const items = b.items.map((i) => evalItemSchema.parse(i));
    const { dataset } = await store.createDataset({
      name: b.datasetName,
      format: "jsonl",
      source: "builtin",
      mapping: { input: "input", references: ["reference"], choices: null, gold: null },
      hash: datasetHash(items),
      items,
      builtin: true,
    });
    const spec = suiteInputSchema.parse({ ...b.suite, id: b.id, datasetId: dataset.id });
    const have = existing.get(b.id);
    if (have && have.builtin && sameSuite(have, spec)) continue;
    await store.saveSuite(spec, { builtin: true });
  }
}

export function evaluationHandlers(deps: EvaluationDeps): DomainHandlers<typeof evaluationApi> {
  const { evaluation: store, sessions } = deps;
  const ready = (async () => {
    await store.pauseInterruptedRuns();
    await installBuiltinSuites(store);
  })();
  ready.catch(() => undefined); // surfaced by the first call that awaits it
  const active = new Set<string>();

  async function modelOf(id: string): Promise<ModelRecord> {
    const m = await deps.models.getModel(id);
    if (!m) throw new ApiError("not_found", `No model with id ${id} in the catalog.`);
    return m;
  }
  async function runOf(id: string): Promise<Run> {
    const r = await store.getRun(id);
    if (!r) throw new ApiError("not_found", `No evaluation run with id ${id}.`);
    return r;
  }

  /** Loads the model and judges, then evaluates the pending items and scores the run. */
  async function* execute(run: Run, items: readonly EvalItem[], record: ModelRecord, signal: AbortSignal): AsyncGenerator<EvalRunPacket> {
    if (active.has(run.id)) throw new ApiError("conflict", "This run is already running.");
    active.add(run.id);
    let finished = false;
    try {
      yield { type: "run", run };
      yield { type: "progress", done: run.done, total: run.total, etaMs: null, label: `Loading ${record.name}` };
      const info = await sessions.ensureLoaded(record, undefined, signal);
      const judges: RunPlan["judges"][number][] = [];
      for (const spec of run.suite.judges) {
        const judgeRecord = await modelOf(spec.modelId);
        yield { type: "progress", done: run.done, total: run.total, etaMs: null, label: `Loading judge ${judgeRecord.name}` };
        judges.push({ spec, modelId: (await sessions.ensureLoaded(judgeRecord, undefined, signal)).id });
      }
      const have = new Set((await store.getRunItems(run.id)).map((r) => r.index));
      const pending: number[] = [];
      for (let i = 0; i < run.total; i++) if (!have.has(i)) pending.push(i);
      const plan: RunPlan = {
        task: run.suite.task,
        prompt: run.config.prompt,
        targetDelimiter: run.suite.targetDelimiter,
        modelId: info.id,
        adapters: run.adapters.map((a) => ({ path: a.path, scale: a.scale })),
        sampling: samplingConfigSchema.parse(run.config.sampling),
        items,
        pending,
        alreadyDone: have.size,
        judges,
      };
      // A model's parallel slots (a remote provider's concurrency setting) set how many items are in flight.
      yield* runPipeline(sessions.engine, plan, { signal, save: (r) => store.saveRunItem(run.id, r), concurrency: info.sequences });
      const results = await store.getRunItems(run.id);
      const metrics = runMetricsOf(scoreRun(run.suite, items, results));
      const ended = await store.setRunStatus(run.id, { status: "complete", metrics, error: null });
      finished = true;
      yield { type: "done", run: ended };
    } catch (err) {
      finished = true;
      if (signal.aborted) {
        await endCancelled(run.id, items);
        throw err;
      }
      await store.setRunStatus(run.id, { status: "error", error: (err as Error).message ?? String(err) }).catch(() => undefined);
      throw err;
    } finally {
      // The caller went away without an abort (closed tab): the run stays resumable.
      if (!finished) await endCancelled(run.id, items).catch(() => undefined);
      active.delete(run.id);
    }
  }

  async function endCancelled(runId: string, items: readonly EvalItem[]): Promise<void> {
    const run = await store.getRun(runId);
    if (!run) return;
    const results = await store.getRunItems(runId);
    const metrics = results.length ? runMetricsOf(scoreRun(run.suite, items, results)) : [];
    await store.setRunStatus(runId, { status: "cancelled", metrics });
  }

  async function datasetItems(datasetId: string): Promise<EvalItem[]> {
    return store.getDatasetItems(datasetId);
  }

  return {
    metrics: () => listMetrics(),

    async previewDataset(input): Promise<DatasetPreview> {
      await ready;
      const parsed = parseDataset(input.text, {
        fileName: input.fileName,
        ...(input.format ? { format: input.format } : {}),
        ...(input.mapping ? { mapping: input.mapping } : {}),
      });
      return {
        format: parsed.format,
        fields: parsed.fields,
        mapping: parsed.mapping,
        accepted: parsed.items.length,
        sample: parsed.items.slice(0, 20).map((item, k) => ({ line: parsed.lines[k]!, item })),
        rejected: parsed.rejected.slice(0, 1000),
        rejectedCount: parsed.rejected.length,
        duplicates: parsed.duplicates,
        hash: parsed.hash,
        existing: parsed.items.length ? await store.findDatasetByHash(parsed.hash) : null,
      };
    },

    async importDataset(input) {
      await ready;
      const parsed = parseDataset(input.text, {
        fileName: input.fileName,
        ...(input.format ? { format: input.format } : {}),
        ...(input.mapping ? { mapping: input.mapping } : {}),
      });
      if (parsed.rejected.length > 0 && !input.acceptRejected) {
        throw new ApiError(
          "invalid_input",
          `${parsed.rejected.length} row problem(s) found, first at line ${parsed.rejected[0]!.line} (${parsed.rejected[0]!.field || "line"}: ${parsed.rejected[0]!.message}). Nothing was imported; review the rejected rows and import again to keep the ${parsed.items.length} good one(s).`,
          { rejected: parsed.rejected.slice(0, 200).map((r) => ({ line: r.line, field: r.field, message: r.message })) },
        );
      }
      if (parsed.items.length === 0) throw new ApiError("invalid_input", "The file has no usable items.");
      const { dataset, created } = await store.createDataset({
        name: input.name ?? input.fileName,
        format: parsed.format,
        source: input.fileName,
        mapping: parsed.mapping,
        hash: parsed.hash,
        items: parsed.items,
      });
      return { dataset, created, rejected: parsed.rejected.length, duplicates: parsed.duplicates };
    },

    async listDatasets() {
      await ready;
      return store.listDatasets();
    },
    async datasetItems(input) {
      await ready;
      const dataset = await store.getDataset(input.id);
      if (!dataset) throw new ApiError("not_found", `No dataset with id ${input.id}.`);
      return { dataset, items: await store.getDatasetItems(input.id, { offset: input.offset, limit: input.limit }) };
    },
    async deleteDataset(input) {
      await ready;
      return { deleted: await store.deleteDataset(input.id) };
    },

    async listSuites() {
      await ready;
      return store.listSuites();
    },
    async saveSuite(input) {
      await ready;
      if (!(await store.getDataset(input.datasetId))) throw new ApiError("not_found", `No dataset with id ${input.datasetId}.`);
      checkSuiteFits(input, await datasetItems(input.datasetId));
      for (const j of input.judges) await modelOf(j.modelId);
      return store.saveSuite(input);
    },
    async deleteSuite(input) {
      await ready;
      return { deleted: await store.deleteSuite(input.id) };
    },

    async *run(input, ctx) {
      await ready;
      const suite = await store.getSuite(input.suiteId);
      if (!suite) throw new ApiError("not_found", `No suite with id ${input.suiteId}.`);
      const record = await modelOf(input.modelId);
      const all = await datasetItems(suite.datasetId);
      const items = input.limit ? all.slice(0, input.limit) : all;
      const spec: SuiteSpec & { id: string } = {
        id: suite.id,
        name: suite.name,
        description: suite.description,
        datasetId: suite.datasetId,
        task: suite.task,
        prompt: suite.prompt,
        targetDelimiter: suite.targetDelimiter,
        metrics: suite.metrics,
        judges: suite.judges,
        sampling: suite.sampling,
      };
      checkSuiteFits(spec, items);
      const refused = await deps.providers?.refusal(record, spec.task);
      if (refused) throw new ApiError("invalid_input", refused);
      const adapters: RunAdapter[] = [];
      for (const a of input.adapters) {
        if (a.adapterId) {
          const rec = await deps.adapters.getAdapter(a.adapterId);
          if (!rec) throw new ApiError("not_found", `No adapter with id ${a.adapterId} in the catalog.`);
          adapters.push({ path: rec.filePath, scale: a.scale, name: rec.name });
        } else if (a.path) adapters.push({ path: a.path, scale: a.scale, name: baseName(a.path) });
        else throw new ApiError("invalid_input", "Each adapter needs an adapterId or a path.");
      }
      const merged = samplingConfigSchema.safeParse({ ...suite.sampling, ...(input.sampling ?? {}) });
      if (!merged.success) throw new ApiError("invalid_input", `Bad sampling settings: ${merged.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      const sampling = merged.data;
      const run = await store.createRun({
        suite: spec,
        modelId: record.id,
        modelName: record.name,
        modelFile: baseName(record.filePath),
        modelSha256: record.sha256,
        adapters,
        config: { sampling: sampling as unknown as Record<string, unknown>, limit: input.limit ?? null, prompt: input.prompt ?? suite.prompt, label: input.label },
        total: items.length,
      });
      yield* execute(run, items, record, ctx.signal);
    },

    async *resume(input, ctx) {
      await ready;
      const run = await runOf(input.runId);
      if (run.status === "complete") throw new ApiError("conflict", "This run is complete; start a new run instead.");
      if (!run.modelId) throw new ApiError("not_found", `The run's model (${run.modelFile}) is no longer in the catalog.`);
      const record = await modelOf(run.modelId);
      const refused = await deps.providers?.refusal(record, run.suite.task);
      if (refused) throw new ApiError("invalid_input", refused);
      const items = (await datasetItems(run.datasetId)).slice(0, run.total);
      const resumed = run.status === "running" ? run : await store.setRunStatus(run.id, { status: "running", error: null });
      yield* execute(resumed, items, record, ctx.signal);
    },

    async listRuns(input) {
      await ready;
      return store.listRuns(input.suiteId ? { suiteId: input.suiteId } : {});
    },
    async getRun(input): Promise<RunDetail> {
      await ready;
      const run = await runOf(input.id);
      const results = await store.getRunItems(run.id);
      const all = await datasetItems(run.datasetId);
      const items: Record<number, EvalItem> = {};
      for (const r of results) if (all[r.index]) items[r.index] = all[r.index]!;
      return { run, results, items };
    },
    async deleteRun(input) {
      await ready;
      if (active.has(input.id)) throw new ApiError("conflict", "Cancel the run before deleting it.");
      return { deleted: await store.deleteRun(input.id) };
    },

    async compare(input) {
      await ready;
      const a = await runOf(input.a);
      const b = await runOf(input.b);
      if (a.datasetId !== b.datasetId) throw new ApiError("invalid_input", "Runs can only be compared on the same dataset.");
      const items = await datasetItems(a.datasetId);
      const sa = scoreRun(a.suite, items, await store.getRunItems(a.id));
      const sb = scoreRun(b.suite, items, await store.getRunItems(b.id));
      const metrics = compareScored(sa, sb, { samples: input.samples, seed: input.seed });
      const inB = new Set(sb[0]?.indices ?? []);
      return { a, b, sharedItems: (sa[0]?.indices ?? []).filter((i) => inB.has(i)).length, metrics };
    },

    async exportRun(input) {
      await ready;
      const run = await runOf(input.id);
      const items = await datasetItems(run.datasetId);
      const results = await store.getRunItems(run.id);
      const stem = `${run.suite.name.replace(/[^\w.-]+/g, "-").replace(/^-|-$/g, "")}-${run.id.slice(0, 8)}`;
      return input.format === "csv"
        ? { fileName: `${stem}.csv`, text: runCsv(run, items, results) }
        : { fileName: `${stem}.json`, text: JSON.stringify(runExport(run, items, results), null, 2) };
    },
  };
}
