// The downloads store: model downloads with progress, speed, time left and cancel; the
// URIs cancelled with their partial file kept (a new download of the same URI resumes);
// the curated starter list; deleting a model's file. DownloadView and ModelsPanel call it.
import { SvelteMap, SvelteSet } from "svelte/reactivity";
import type { CuratedModel } from "../../core/api/models.ts";
import type { Api } from "../api/connect.ts";
import { errorText, isCancelled } from "../ui/errors.ts";

/** A download in flight. */
export interface DownloadJob {
  /** Bytes so far. */
  done: number;
  /** Bytes in all; undefined when the server did not say. */
  total: number | undefined;
  /** Bytes per second lately. */
  bytesPerSecond: number;
  /** Seconds left; null when unknown. */
  etaSeconds: number | null;
  /** Bytes reused from a cancelled download (0 when fresh). */
  resumedFrom: number;
  /** Cancels it; the partial file stays. */
  cancel: () => void;
}

export class DownloadsStore {
  /** The curated starter models (empty until loaded). */
  curated = $state.raw<CuratedModel[]>([]);
  /** Downloads in flight, by URI. */
  readonly running = new SvelteMap<string, DownloadJob>();
  /** URIs cancelled with their partial file kept: downloading them again resumes. */
  readonly paused = new SvelteSet<string>();
  /** Why the last call failed, for people; null when it worked. */
  error = $state<string | null>(null);
  /** What the last finished download added, for people; null before any. */
  lastAdded = $state<string | null>(null);

  /**
   * @param api The API client.
   * @param onCatalogChanged Called after a download or delete changed the catalog (refreshes the models list).
   */
  constructor(
    private readonly api: Api,
    private readonly onCatalogChanged: () => Promise<void>,
  ) {}

  /** Fetches the curated list. */
  async loadCurated(): Promise<void> {
    try {
      this.curated = (await this.api.models.curated({})).models;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Downloads (or resumes) a URI into the models folder; returns whether it finished and joined the catalog. */
  async download(uri: string): Promise<boolean> {
    const key = uri.trim();
    if (!key || this.running.has(key)) return false;
    const controller = new AbortController();
    const cancel = () => controller.abort("cancelled by the user");
    const job: DownloadJob = { done: 0, total: undefined, bytesPerSecond: 0, etaSeconds: null, resumedFrom: 0, cancel };
    this.running.set(key, job);
    this.paused.delete(key);
    this.error = null;
    let first = true;
    try {
      for await (const p of this.api.models.download({ uri: key }, { signal: controller.signal })) {
        if (p.type === "progress") {
          // The first report is what was already on disk: a resumed part.
          const resumedFrom = first ? p.done : (this.running.get(key)?.resumedFrom ?? 0);
          first = false;
          this.running.set(key, { done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds, resumedFrom, cancel });
        } else {
          const name = p.kind === "model" ? p.model.name : p.adapter.name;
          this.lastAdded = `${name} added to the ${p.kind === "model" ? "models" : "adapters"}${p.sha256Verified ? " (SHA-256 verified)" : ""}.`;
        }
      }
      return true;
    } catch (err) {
      if (isCancelled(err) || controller.signal.aborted) this.paused.add(key);
      else this.error = errorText(err);
      return false;
    } finally {
      this.running.delete(key);
      await this.onCatalogChanged();
    }
  }

  /** Forgets a cancelled download in the list (its partial file stays in the models folder until downloaded again). */
  dismiss(uri: string): void {
    this.paused.delete(uri);
  }

  /** Deletes a catalog model's file from disk (after the user confirmed); returns whether it worked. */
  async deleteFile(id: string): Promise<boolean> {
    try {
      await this.api.models.deleteFile({ id, confirmed: true });
      this.error = null;
      return true;
    } catch (err) {
      this.error = errorText(err);
      return false;
    } finally {
      await this.onCatalogChanged();
    }
  }
}
