// The forgetting check's store behind ForgettingView: the evaluation suites to choose from
// (each marked target or guard), the sampling presets, running a check with progress, ETA
// and cancel, resuming one, and the stored reports to reopen. ForgettingView creates one.
import type { ForgettingPacket } from "../../core/api/adapters.ts";
import type { ForgettingReport, ForgettingRole, ForgettingSuiteResult } from "../../core/evaluation/forgetting.ts";
import type { Suite } from "../../core/evaluation/types.ts";
import type { AdapterUse, Preset } from "../../core/history/types.ts";
import type { Api } from "../api/connect.ts";
import { errorText, isCancelled } from "../ui/errors.ts";
import { toChoices } from "./adapters.svelte.ts";

/** Progress of the running check. */
export interface ForgettingProgress {
  done: number;
  total: number;
  label: string;
  /** Estimated milliseconds left; null until items finished. */
  etaMs: number | null;
}

/** What a check is started with. */
export interface ForgettingRunInput {
  modelId: string;
  set: AdapterUse[];
  /** Chosen suites with their role, in order. */
  suites: { suiteId: string; role: ForgettingRole }[];
  /** Sampling preset; null = each suite's own sampling. */
  presetId: string | null;
  /** Flag threshold in metric units (>= 0). */
  threshold: number;
  /** Items per suite; null = all. */
  limit: number | null;
}

export class ForgettingStore {
  /** Evaluation suites to pick from. */
  suites = $state.raw<Suite[]>([]);
  /** Sampling presets. */
  presets = $state.raw<Preset[]>([]);
  /** Stored reports, newest first. */
  reports = $state.raw<ForgettingReport[]>([]);
  /** The report shown (the running one while a check runs). */
  report = $state.raw<ForgettingReport | null>(null);
  /** Progress of the running check; null when none runs. */
  progress = $state<ForgettingProgress | null>(null);
  /** Why the last call failed. */
  error = $state<string | null>(null);
  /** Suites and presets have been fetched once. */
  loaded = $state(false);
  private controller: AbortController | null = null;

  constructor(private readonly api: Api) {}

  /** Fetches suites, presets and stored reports. */
  async refresh(): Promise<void> {
    try {
      const [suites, presets, reports] = await Promise.all([this.api.evaluation.listSuites({}), this.api.presets.list({}), this.api.adapters.forgettingReports({})]);
      this.suites = suites;
      this.presets = presets;
      this.reports = reports;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loaded = true;
    }
  }

  /** Starts a check. */
  run(input: ForgettingRunInput): Promise<void> {
    return this.consume((signal) =>
      this.api.adapters.forgettingCheck(
        {
          modelId: input.modelId,
          adapters: toChoices(input.set),
          suites: input.suites,
          ...(input.presetId ? { presetId: input.presetId } : {}),
          threshold: input.threshold,
          ...(input.limit ? { limit: input.limit } : {}),
        },
        { signal },
      ),
    );
  }

  /** Continues a cancelled or paused check. */
  resume(id: string): Promise<void> {
    return this.consume((signal) => this.api.adapters.forgettingResume({ id }, { signal }));
  }

  /** Cancels the running check (its runs stay resumable). */
  cancel(): void {
    this.controller?.abort("cancelled by the user");
  }

  /** Shows a stored report. */
  async open(id: string): Promise<void> {
    try {
      this.report = await this.api.adapters.forgettingReport({ id });
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private async consume(start: (signal: AbortSignal) => AsyncIterable<ForgettingPacket>): Promise<void> {
    this.controller?.abort("replaced by a new check");
    const c = new AbortController();
    this.controller = c;
    this.error = null;
    this.progress = { done: 0, total: 0, label: "Starting", etaMs: null };
    try {
      for await (const p of start(c.signal)) {
        if (p.type === "report" || p.type === "done") this.report = p.report;
        else if (p.type === "progress") this.progress = { done: p.done, total: p.total, label: p.label, etaMs: p.etaMs };
        else if (p.type === "suite" && this.report) this.report = { ...this.report, suites: this.report.suites.map((s, i): ForgettingSuiteResult => (i === p.index ? p.suite : s)) };
      }
    } catch (err) {
      if (!isCancelled(err) && !c.signal.aborted) this.error = errorText(err);
    } finally {
      if (this.controller === c) {
        this.controller = null;
        this.progress = null;
      }
      await this.refresh();
      const shown = this.report && this.reports.find((r) => r.id === this.report!.id);
      if (shown) this.report = shown;
    }
  }
}
