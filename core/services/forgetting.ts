// Handlers of the forgetting check (the `forgetting*` methods of the adapters domain): each
// chosen suite runs on the base and under the adapter set through the evaluation service's
// own `run`/`resume` (so both are ordinary stored, resumable evaluation runs), is compared
// with its `compare` (paired bootstrap), and judged by core/evaluation/forgetting.ts. The
// report is saved before the first run and after every step. Composed by handlers.ts.
import { ApiError } from "../api/errors.ts";
import type { CallContext, DomainHandlers } from "../api/rpc.ts";
import type { ForgettingPacket, forgettingMethods } from "../api/adapters.ts";
import { runInputSchema, type EvalRunPacket, type evaluationApi } from "../api/evaluation.ts";
import { countFlagged, primaryDelta, type ForgettingReport, type ForgettingStore, type ForgettingSuiteResult } from "../evaluation/forgetting.ts";
import type { EvaluationStore } from "../evaluation/ports.ts";
import type { RunAdapter } from "../evaluation/types.ts";
import type { AdapterStore, ModelStore, PresetStore } from "../history/ports.ts";
import { resolveSamplingConfig } from "../sampling/config.ts";
import { describeEngineFailure } from "./chat.ts";

/** What the forgetting check needs. */
export interface ForgettingDeps {
  /** The evaluation service's handlers: the check runs and compares through them. */
  evaluation: DomainHandlers<typeof evaluationApi>;
  /** Suites and runs, read to size the work and skip finished runs. */
  evaluationStore: EvaluationStore;
  /** Where reports are kept (db/forgetting.ts). */
  store: ForgettingStore;
  models: ModelStore;
  adapters: AdapterStore;
  presets: PresetStore;
  /** A fresh random sampling seed (default: crypto). */
  newSeed?: () => number;
  /** Clock for timestamps (ms since epoch). Default Date.now. */
  now?: () => number;
  /** Clock for the ETA (ms). Default performance.now. */
  monotonic?: () => number;
}

type Side = "base" | "adapter";
const fileNameOf = (path: string) => path.split(/[\\/]/).pop() ?? path;

export function forgettingHandlers(deps: ForgettingDeps): DomainHandlers<typeof forgettingMethods> {
  const { evaluation, evaluationStore, store } = deps;
  const newSeed = deps.newSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]!);
  const now = deps.now ?? (() => Date.now());
  const monotonic = deps.monotonic ?? (() => performance.now());
  const active = new Set<string>();

  /** A report, with a run left `running` by an earlier process shown (and stored) as paused. */
  async function settled(report: ForgettingReport): Promise<ForgettingReport> {
    if (report.status !== "running" || active.has(report.id)) return report;
    const paused: ForgettingReport = { ...report, status: "paused", updatedAt: now() };
    await store.saveReport(paused);
    return paused;
  }
  async function reportOf(id: string): Promise<ForgettingReport> {
    const r = await store.getReport(id);
    if (!r) throw new ApiError("not_found", `No forgetting report with id ${id}.`);
    return settled(r);
  }

  /** The decoding fields of a preset (each suite keeps its length, stops and grammar) and one seed for both sides. */
  async function samplingOverrides(presetId: string | undefined, seed: number | undefined): Promise<Record<string, unknown> | null> {
    if (presetId === undefined && seed === undefined) return null;
    let fields: Record<string, unknown> = {};
    let chosen = seed;
    if (presetId !== undefined) {
      const p = await deps.presets.getPreset(presetId);
      if (!p) throw new ApiError("not_found", `No preset with id ${presetId}.`);
      const { maxTokens: _m, stopStrings: _s, grammar: _g, jsonSchema: _j, seed: presetSeed, ...decode } = resolveSamplingConfig(p.config as never);
      fields = decode as Record<string, unknown>;
      chosen ??= presetSeed;
    }
    return { ...fields, seed: chosen ?? newSeed() };
  }

  async function resolveAdapters(choices: readonly { adapterId?: string | undefined; file?: string | undefined; scale: number }[]): Promise<RunAdapter[]> {
    const out: RunAdapter[] = [];
    for (const c of choices) {
      if (c.adapterId !== undefined) {
        const rec = await deps.adapters.getAdapter(c.adapterId);
        if (!rec) throw new ApiError("not_found", `No adapter with id ${c.adapterId} in the catalog.`);
        out.push({ path: rec.filePath, scale: c.scale, name: rec.name });
      } else out.push({ path: c.file!, scale: c.scale, name: fileNameOf(c.file!) });
    }
    return out;
  }

  /** The set as evaluation.run takes it: catalog ids where the file is in the library (so runs show its name), else paths. */
  async function runAdapters(set: readonly RunAdapter[]): Promise<{ adapterId?: string; path?: string; scale: number }[]> {
    const byPath = new Map((await deps.adapters.listAdapters()).map((a) => [a.filePath, a.id]));
    return set.map((a) => {
      const adapterId = byPath.get(a.path);
      return adapterId ? { adapterId, scale: a.scale } : { path: a.path, scale: a.scale };
    });
  }

  /** Runs (or resumes) what the report still lacks, suite by suite, base then adapter, saving after each step. */
  async function* execute(start: ForgettingReport, ctx: CallContext): AsyncGenerator<ForgettingPacket> {
    if (active.has(start.id)) throw new ApiError("conflict", "This forgetting check is already running.");
    active.add(start.id);
    let report: ForgettingReport = { ...start, status: "running", error: null, finishedAt: null, updatedAt: now() };
    const save = async (patch: Partial<ForgettingReport>) => {
      report = { ...report, ...patch, updatedAt: now() };
      await store.saveReport(report);
    };
    const setSuite = async (i: number, patch: Partial<ForgettingSuiteResult>) => {
      const suites = report.suites.map((s, k) => (k === i ? { ...s, ...patch } : s));
      await save({ suites, flagged: countFlagged(suites) });
    };
    try {
      await save({});
      yield { type: "report", report };
      if (!report.modelId) throw new ApiError("not_found", `The report's model (${report.modelName}) is no longer in the catalog.`);
      const modelId = report.modelId;

      // Size the work: items per suite and side, with what stored runs already hold.
      const totals = new Map<string, number>();
      const done = new Map<string, number>();
      const key = (i: number, side: Side) => `${i}:${side}`;
      for (const [i, s] of report.suites.entries()) {
        const suite = await evaluationStore.getSuite(s.suiteId);
        const dataset = suite ? await evaluationStore.getDataset(suite.datasetId) : null;
        const count = dataset ? (report.config.limit ? Math.min(report.config.limit, dataset.itemCount) : dataset.itemCount) : 0;
        for (const side of ["base", "adapter"] as const) {
          const runId = side === "base" ? s.baseRunId : s.adapterRunId;
          const run = runId ? await evaluationStore.getRun(runId) : null;
          totals.set(key(i, side), run ? run.total : count);
          done.set(key(i, side), run ? run.done : 0);
        }
      }
      const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      const total = sum(totals);
      const doneAtStart = sum(done);
      const started = monotonic();
      const n = report.suites.length;
      const progress = (i: number, side: Side, label: string): ForgettingPacket => {
        const d = sum(done);
        const here = d - doneAtStart;
        const etaMs = here > 0 ? Math.round(((monotonic() - started) / here) * (total - d)) : null;
        return { type: "progress", done: d, total, etaMs, label, suite: i, suites: n, side };
      };

      for (let i = 0; i < n; i++) {
        const s = report.suites[i]!;
        if (s.result) continue;
        try {
          await setSuite(i, { error: null });
          for (const side of ["base", "adapter"] as const) {
            const runId = side === "base" ? report.suites[i]!.baseRunId : report.suites[i]!.adapterRunId;
            const existing = runId ? await evaluationStore.getRun(runId) : null;
            if (existing?.status === "complete") continue;
            const where = `Suite ${i + 1} of ${n} (${s.suiteName}), ${side === "base" ? "base" : "adapter set"}`;
            yield progress(i, side, where);
            const ectx: CallContext = { signal: ctx.signal, method: existing ? "evaluation.resume" : "evaluation.run" };
            const packets: AsyncIterable<EvalRunPacket> = existing
              ? evaluation.resume({ runId: existing.id }, ectx)
              : evaluation.run(
                  runInputSchema.parse({
                    suiteId: s.suiteId,
                    modelId,
                    adapters: side === "base" ? [] : await runAdapters(report.adapters),
                    ...(report.config.sampling ? { sampling: report.config.sampling } : {}),
                    ...(report.config.limit ? { limit: report.config.limit } : {}),
                    label: `forgetting ${side}${report.label ? `: ${report.label}` : ""}`,
                  }),
                  ectx,
                );
            let finished = false;
            for await (const p of packets) {
              if (p.type === "run") {
                totals.set(key(i, side), p.run.total);
                await setSuite(i, side === "base" ? { baseRunId: p.run.id } : { adapterRunId: p.run.id });
              } else if (p.type === "progress") {
                done.set(key(i, side), p.done);
                yield progress(i, side, `${where}: ${p.label}`);
              } else if (p.type === "done") {
                finished = p.run.status === "complete";
                if (!finished) throw new ApiError("internal", `The ${side} run ended ${p.run.status}${p.run.error ? `: ${p.run.error}` : ""}.`);
              }
            }
            if (!finished) throw new ApiError("internal", `The ${side} run ended without a result.`);
          }
          const cur = report.suites[i]!;
          const cmp = await evaluation.compare(
            { a: cur.baseRunId!, b: cur.adapterRunId!, samples: report.config.samples, seed: report.config.seed },
            { signal: ctx.signal, method: "evaluation.compare" },
          );
          const result = primaryDelta(cur.role, cmp.metrics, report.config.threshold);
          if (!result) throw new ApiError("invalid_input", `The suite ${cur.suiteName} has no metric both runs scored.`);
          await setSuite(i, { result, error: null });
          yield { type: "suite", index: i, suite: report.suites[i]! };
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          const message = describeEngineFailure(err);
          await setSuite(i, { error: message });
          yield { type: "error", item: i, message };
          yield { type: "suite", index: i, suite: report.suites[i]! };
        }
      }
      await save({ status: "complete", finishedAt: now() });
      yield { type: "progress", done: total, total, etaMs: 0, label: "Done", suite: n - 1, suites: n, side: "adapter" };
      yield { type: "done", report };
    } catch (err) {
      if (ctx.signal.aborted) await save({ status: "cancelled" }).catch(() => undefined);
      else await save({ status: "error", error: (err as Error).message ?? String(err) }).catch(() => undefined);
      throw err;
    } finally {
      // The caller went away without an abort (closed tab): the check stays resumable.
      if (report.status === "running") await save({ status: "paused" }).catch(() => undefined);
      active.delete(start.id);
    }
  }

  return {
    async *forgettingCheck(input, ctx) {
      const model = await deps.models.getModel(input.modelId);
      if (!model) throw new ApiError("not_found", `No model with id ${input.modelId} in the catalog.`);
      const suites: ForgettingSuiteResult[] = [];
      for (const s of input.suites) {
        const suite = await evaluationStore.getSuite(s.suiteId);
        if (!suite) throw new ApiError("not_found", `No suite with id ${s.suiteId}.`);
        if (suite.metrics.length === 0 && suite.judges.length === 0) throw new ApiError("invalid_input", `The suite ${suite.name} has no metric to compare.`);
        suites.push({ suiteId: suite.id, suiteName: suite.name, role: s.role, task: suite.task, baseRunId: null, adapterRunId: null, result: null, error: null });
      }
      const t = now();
      const report: ForgettingReport = {
        id: crypto.randomUUID(),
        status: "running",
        modelId: model.id,
        modelName: model.name,
        adapters: await resolveAdapters(input.adapters),
        label: input.label,
        config: {
          threshold: input.threshold,
          samples: input.samples,
          seed: input.bootstrapSeed,
          presetId: input.presetId ?? null,
          sampling: await samplingOverrides(input.presetId, input.seed),
          limit: input.limit ?? null,
        },
        suites,
        flagged: 0,
        error: null,
        createdAt: t,
        updatedAt: t,
        finishedAt: null,
      };
      yield* execute(report, ctx);
    },

    async *forgettingResume(input, ctx) {
      const report = await reportOf(input.id);
      if (report.status === "complete" && report.suites.every((s) => s.result)) throw new ApiError("conflict", "This check is complete; start a new one instead.");
      yield* execute(report, ctx);
    },

    async forgettingReports() {
      return Promise.all((await store.listReports()).map(settled));
    },
    forgettingReport: (input) => reportOf(input.id),
    async forgettingDelete(input) {
      if (active.has(input.id)) throw new ApiError("conflict", "Cancel the check before deleting it.");
      return { deleted: await store.deleteReport(input.id) };
    },
  };
}
