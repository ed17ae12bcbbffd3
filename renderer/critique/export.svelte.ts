// The export dialog's store: what to export (SFT or preferences, plain or
// conversational) under which filters, the counts the shell reports before anything
// is written, and the download of the JSONL the shell returns.
import type { ExportPreview, ExportRequest } from "../../core/api/critique.ts";
import { errorText } from "../ui/errors.ts";
import type { CritiqueShared } from "./critique.svelte.ts";
import { downloadText } from "./download.ts";

/** The export form. */
export interface ExportDraft {
  kind: "sft" | "preferences";
  form: "plain" | "conversational";
  /** "" = every constitution. */
  constitutionId: string;
  source: "all" | "human" | "ai";
  /** "" = every annotator. */
  annotator: string;
  agreement: "any" | "humanAndAi";
}

export class ExportStore {
  open = $state(false);
  draft = $state<ExportDraft>({ kind: "sft", form: "plain", constitutionId: "", source: "all", annotator: "", agreement: "any" });
  preview = $state.raw<ExportPreview | null>(null);
  busy = $state(false);
  error = $state<string | null>(null);
  /** What the last download wrote. */
  notice = $state<string | null>(null);

  constructor(private readonly shared: CritiqueShared) {}

  /** The API request of the form. */
  request(): ExportRequest {
    const d = this.draft;
    return {
      kind: d.kind,
      form: d.form,
      ...(d.constitutionId ? { constitutionId: d.constitutionId } : {}),
      ...(d.kind === "preferences" ? { source: d.source, agreement: d.agreement, ...(d.annotator.trim() ? { annotator: d.annotator.trim() } : {}) } : {}),
    };
  }

  /** Opens the dialog with fresh counts. */
  async show(kind: ExportDraft["kind"] = this.draft.kind): Promise<void> {
    this.draft.kind = kind;
    this.open = true;
    this.notice = null;
    await this.refresh();
  }

  /** Asks the shell what the export would write. */
  async refresh(): Promise<void> {
    this.notice = null;
    try {
      this.preview = await this.shared.api.critique.exportPreview(this.request());
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
      this.preview = null;
    }
  }

  /** Exports and downloads the file. */
  async download(): Promise<void> {
    this.busy = true;
    try {
      const result = await this.shared.api.critique.export(this.request());
      downloadText(result.fileName, result.text);
      this.notice = `Downloaded ${result.fileName} (${result.count} line${result.count === 1 ? "" : "s"}).`;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }
}
