// The batch view's store: import prompt sets (JSONL, CSV or lines), start a batch over a
// set with the shared settings, follow its progress, cancel (the batch pauses) and
// resume, and list batches with the runs of the one selected.
import type { BatchPacket } from "../../core/api/critique.ts";
import type { PromptListFormat } from "../../core/critique/promptSets.ts";
import type { CritiqueBatch, CritiqueRun } from "../../core/critique/types.ts";
import { errorText, isCancelled } from "../ui/errors.ts";
import type { CritiqueShared } from "./critique.svelte.ts";

/** Progress of the running batch. */
export interface BatchProgress {
  done: number;
  total: number | undefined;
  label: string;
}

export class BatchStore {
  /** The prompt set to run. */
  promptSetId = $state<string | null>(null);
  batches = $state.raw<CritiqueBatch[]>([]);
  /** The batch shown (running or picked). */
  selectedId = $state<string | null>(null);
  runs = $state.raw<CritiqueRun[]>([]);
  running = $state(false);
  progress = $state.raw<BatchProgress | null>(null);
  /** Per-prompt failures of the running batch. */
  failures = $state.raw<{ index: number; message: string }[]>([]);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  private abort: AbortController | null = null;

  constructor(private readonly shared: CritiqueShared) {}

  get selected(): CritiqueBatch | undefined {
    return this.batches.find((b) => b.id === this.selectedId);
  }

  async refresh(): Promise<void> {
    try {
      this.batches = await this.shared.api.critique.listBatches({});
      this.promptSetId ??= this.shared.promptSets[0]?.id ?? null;
      if (this.selectedId) this.runs = await this.shared.api.critique.listRuns({ batchId: this.selectedId, limit: 10_000 });
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async select(id: string): Promise<void> {
    this.selectedId = id;
    await this.refresh();
  }

  /** Imports a prompt list under a name and selects it. */
  async importSet(name: string, text: string, format: PromptListFormat): Promise<void> {
    try {
      const set = await this.shared.api.critique.importPromptSet({ name, text, format });
      await this.shared.refresh();
      this.promptSetId = set.id;
      this.notice = `Imported ${set.prompts.length} prompts as “${set.name}”.`;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private async follow(stream: (signal: AbortSignal) => AsyncIterable<BatchPacket>): Promise<void> {
    this.abort = new AbortController();
    this.running = true;
    this.error = null;
    this.failures = [];
    this.progress = { done: 0, total: undefined, label: "Starting…" };
    try {
      for await (const p of stream(this.abort.signal)) {
        if (p.type === "batch") {
          this.selectedId = p.batch.id;
          this.progress = { done: p.batch.progress.complete, total: p.batch.progress.total, label: "Starting…" };
          await this.refresh();
        } else if (p.type === "progress") this.progress = { done: p.done, total: p.total, label: p.label };
        else if (p.type === "item") this.progress = { ...this.progress!, label: `Prompt ${p.index + 1}: ${p.prompt.slice(0, 60)}` };
        else if (p.type === "phase") this.progress = { ...this.progress!, label: `Prompt ${p.index + 1}: ${p.phase}${p.step ? ` (round ${p.step})` : ""}` };
        else if (p.type === "error") this.failures = [...this.failures, { index: Number(p.item), message: p.message }];
        else if (p.type === "itemDone") this.runs = [...this.runs.filter((r) => r.id !== p.run.id), p.run];
      }
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    } finally {
      this.running = false;
      this.abort = null;
      this.progress = null;
      await this.refresh();
    }
  }

  /** Starts a batch over the chosen prompt set. */
  async start(): Promise<void> {
    const settings = this.shared.input();
    if (!settings) return;
    const promptSetId = this.promptSetId;
    if (!promptSetId) {
      this.error = "Choose a prompt set first.";
      return;
    }
    await this.follow((signal) => this.shared.api.critique.startBatch({ ...settings, promptSetId }, { signal }));
  }

  /** Continues a paused batch. */
  async resume(id: string): Promise<void> {
    await this.follow((signal) => this.shared.api.critique.resumeBatch({ batchId: id }, { signal }));
  }

  /** Cancels the running batch: the current prompt's run is kept as stopped and the batch pauses. */
  cancel(): void {
    this.abort?.abort();
  }
}
