// The Evaluate panel's store: datasets (preview, then import with the user's consent when
// rows were rejected), suites, models and adapters to run against, the run in progress
// (progress, ETA, cancel), the run list, and a comparison of two runs. Calls only the API.
import type { Api } from "../api/connect.ts";
import type { DatasetPreview, EvalRunPacket, RunComparison, RunDetail } from "../../core/api/evaluation.ts";
import type { MetricInfo } from "../../core/eval/registry.ts";
import type { Dataset, PromptTemplate, Run, Suite, SuiteInput } from "../../core/evaluation/types.ts";
import type { PromptSpec } from "../../core/sampling/promptBuilder.ts";
import { errorText, isCancelled } from "../ui/errors.ts";

/** A pending import: the file and what its preview found. */
export interface PendingImport {
  fileName: string;
  text: string;
  preview: DatasetPreview;
}

export class EvaluationStore {
  datasets = $state<Dataset[]>([]);
  metrics = $state<MetricInfo[]>([]);
  suites = $state<Suite[]>([]);
  runs = $state<Run[]>([]);
  models = $state<{ id: string; name: string }[]>([]);
  adapters = $state<{ id: string; name: string }[]>([]);
  /** Saved prompt-builder templates (Sampling panel) a run can take as its prompt. */
  builderTemplates = $state.raw<{ id: string; name: string; spec: PromptSpec }[]>([]);
  pending = $state<PendingImport | null>(null);
  importMessage = $state("");
  progress = $state<{ done: number; total: number; etaMs: number | null; label: string } | null>(null);
  comparison = $state<RunComparison | null>(null);
  detail = $state<RunDetail | null>(null);
  error = $state("");
  private controller: AbortController | null = null;

  constructor(private readonly api: Api) {}

  async refresh(): Promise<void> {
    try {
      const [metrics, datasets, suites, runs, models, adapters] = await Promise.all([
        this.api.evaluation.metrics({}),
        this.api.evaluation.listDatasets({}),
        this.api.evaluation.listSuites({}),
        this.api.evaluation.listRuns({}),
        this.api.models.list({}),
        this.api.adapters.list({}),
      ]);
      this.metrics = metrics;
      this.datasets = datasets;
      this.suites = suites;
      this.runs = runs;
      this.models = models.models.map((m) => ({ id: m.id, name: m.name }));
      this.adapters = adapters.adapters.map((a) => ({ id: a.id, name: a.name }));
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Loads the saved prompt-builder templates. */
  async loadBuilderTemplates(): Promise<void> {
    try {
      const all = await this.api.sampling.listTemplates({});
      this.builderTemplates = all.map((t) => ({ id: t.id, name: t.name, spec: t.spec }));
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Parses a file and shows its preview; nothing is stored yet. */
  async previewFile(fileName: string, text: string): Promise<void> {
    this.importMessage = "";
    try {
      this.pending = { fileName, text, preview: await this.api.evaluation.previewDataset({ text, fileName }) };
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Imports the previewed file; `acceptRejected` is the user's consent to drop the bad rows. */
  async confirmImport(acceptRejected: boolean): Promise<void> {
    const p = this.pending;
    if (!p) return;
    try {
      const out = await this.api.evaluation.importDataset({ text: p.text, fileName: p.fileName, acceptRejected });
      this.importMessage = out.created ? `Imported ${out.dataset.itemCount} items as "${out.dataset.name}".` : `Same content as "${out.dataset.name}"; nothing new stored.`;
      this.pending = null;
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  cancelImport(): void {
    this.pending = null;
  }

  /** Runs a suite; progress updates as items finish. */
  /** Creates or updates a suite; returns it, or null when the service refused (error shown). */
  async saveSuite(input: SuiteInput): Promise<Suite | null> {
    try {
      const suite = await this.api.evaluation.saveSuite(input);
      await this.refresh();
      return suite;
    } catch (err) {
      this.error = errorText(err);
      return null;
    }
  }

  async run(input: { suiteId: string; modelId: string; adapterId: string | null; scale: number; limit: number | null; label: string; prompt?: PromptTemplate }): Promise<void> {
    this.error = "";
    this.controller = new AbortController();
    this.progress = { done: 0, total: 0, etaMs: null, label: "Starting" };
    try {
      const stream = this.api.evaluation.run(
        {
          suiteId: input.suiteId,
          modelId: input.modelId,
          adapters: input.adapterId ? [{ adapterId: input.adapterId, scale: input.scale }] : [],
          ...(input.limit ? { limit: input.limit } : {}),
          ...(input.prompt ? { prompt: input.prompt } : {}),
          label: input.label,
        },
        { signal: this.controller.signal },
      );
      await this.follow(stream);
    } finally {
      this.controller = null;
      this.progress = null;
      await this.refresh();
    }
  }

  /** Continues a paused or cancelled run. */
  async resume(runId: string): Promise<void> {
    this.controller = new AbortController();
    this.progress = { done: 0, total: 0, etaMs: null, label: "Resuming" };
    try {
      await this.follow(this.api.evaluation.resume({ runId }, { signal: this.controller.signal }));
    } finally {
      this.controller = null;
      this.progress = null;
      await this.refresh();
    }
  }

  private async follow(stream: AsyncIterable<EvalRunPacket>): Promise<void> {
    try {
      for await (const p of stream) {
        if (p.type === "progress") this.progress = { done: p.done, total: p.total, etaMs: p.etaMs, label: p.label };
      }
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  async compare(a: string, b: string): Promise<void> {
    try {
      this.comparison = await this.api.evaluation.compare({ a, b });
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async open(runId: string): Promise<void> {
    try {
      this.detail = await this.api.evaluation.getRun({ id: runId });
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async exportRun(runId: string, format: "csv" | "json"): Promise<{ fileName: string; text: string } | null> {
    try {
      return await this.api.evaluation.exportRun({ id: runId, format });
    } catch (err) {
      this.error = errorText(err);
      return null;
    }
  }
}
