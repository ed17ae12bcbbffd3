// The `models` store: the model catalog, GGUF files in the models folder, loading and
// unloading with progress and cancel, and creating the offline demo models for a first run.
// The model picker, the empty state of the chat and the Models panel call it.
import { SvelteMap } from "svelte/reactivity";
import type { FolderFile, ModelEntry } from "../../core/api/models.ts";
import type { MemoryFitResult } from "../../core/engine/types.ts";
import type { GgufInspection } from "../../core/gguf/inspect.ts";
import type { Api } from "../api/connect.ts";
import { errorText, isCancelled } from "../ui/errors.ts";

/** Progress of a long job, with the way to cancel it. */
export interface JobProgress {
  /** Units done. */
  done: number;
  /** Units in all; undefined when unknown. */
  total: number | undefined;
  /** What is happening now, for people. */
  label: string;
  /** Cancels the job. */
  cancel: () => void;
}

export class ModelsStore {
  /** Catalog models with availability and load state. */
  models = $state.raw<ModelEntry[]>([]);
  /** The models folder the shell scans. */
  folder = $state("");
  /** The catalog has been fetched at least once. */
  loaded = $state(false);
  /** GGUF files found by the last scan. */
  files = $state.raw<FolderFile[]>([]);
  /** A folder scan is in flight. */
  scanning = $state(false);
  /** Creating the demo models, with progress; null when not running. */
  demo = $state.raw<JobProgress | null>(null);
  /** Models being loaded, by catalog id. */
  readonly loading = new SvelteMap<string, JobProgress>();
  /** Why the last call failed, for people; null when it worked. */
  error = $state<string | null>(null);

  /**
   * @param canBrowse The shell serves the `desktop` domain, so a native file dialog can
   *   pick a model anywhere on disk (the browser mode lists the models folder only).
   */
  constructor(
    /** The API client (the download store shares it). */
    readonly api: Api,
    readonly canBrowse = false,
  ) {}

  /** Picks a GGUF file with the native dialog and adds it; null when cancelled or refused. */
  async browse(): Promise<string | null> {
    try {
      const { path } = await this.api.desktop.openFile({ kind: "model" });
      return path ? await this.add(path) : null;
    } catch (err) {
      this.error = errorText(err);
      return null;
    }
  }

  /** A catalog model by id. */
  byId(id: string | null | undefined): ModelEntry | undefined {
    return id ? this.models.find((m) => m.id === id) : undefined;
  }

  /** Fetches the catalog. */
  async refresh(): Promise<void> {
    try {
      const { models, folder } = await this.api.models.list({});
      this.models = models;
      this.folder = folder;
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Lists the GGUF files in the models folder, header-checked. */
  async scan(): Promise<void> {
    this.scanning = true;
    try {
      const { files } = await this.api.models.scanFolder({});
      this.files = files.filter((f) => f.kind !== "adapter");
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.scanning = false;
    }
  }

  /** Adds a model file to the catalog; returns its id, or null when it was refused (see `error`). */
  async add(path: string): Promise<string | null> {
    try {
      const record = await this.api.models.add({ path });
      this.error = null;
      await Promise.all([this.refresh(), this.scan()]);
      return record.id;
    } catch (err) {
      this.error = errorText(err);
      return null;
    }
  }

  /** Removes a model from the catalog (the file stays). */
  async remove(id: string): Promise<void> {
    try {
      await this.api.models.remove({ id });
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Writes the offline demo models into the data folder and adds them; returns whether it finished. */
  async createDemo(): Promise<boolean> {
    if (this.demo) return false;
    const controller = new AbortController();
    const cancel = () => controller.abort("cancelled by the user");
    this.demo = { done: 0, total: undefined, label: "Starting", cancel };
    this.error = null;
    try {
      for await (const p of this.api.models.createDemo({}, { signal: controller.signal })) {
        if (p.type === "progress") this.demo = { done: p.done, total: p.total, label: p.label ?? "Writing", cancel };
      }
      return true;
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
      return false;
    } finally {
      this.demo = null;
      await this.refresh();
    }
  }

  /** Loads a model in the engine with progress; cancel through `loading.get(id).cancel`. */
  async load(id: string): Promise<void> {
    if (this.loading.has(id)) return;
    const controller = new AbortController();
    const cancel = () => controller.abort("cancelled by the user");
    this.loading.set(id, { done: 0, total: undefined, label: "Starting", cancel });
    this.error = null;
    try {
      for await (const p of this.api.models.load({ id }, { signal: controller.signal })) {
        if (p.type === "progress") this.loading.set(id, { done: p.done, total: p.total, label: p.label ?? "Loading", cancel });
      }
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    } finally {
      this.loading.delete(id);
      await this.refresh();
    }
  }

  /** Unloads a model from the engine. */
  async unload(id: string): Promise<void> {
    try {
      await this.api.models.unload({ id });
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** The last memory-fit estimate per catalog id (shown beside Load once the inspector made one). */
  readonly fit = new SvelteMap<string, MemoryFitResult>();

  /** Reads a model's GGUF header (the inspector); rejects with the API's error. */
  inspect(id: string): Promise<GgufInspection> {
    return this.api.models.inspect({ id });
  }

  /** Estimates RAM/VRAM for a context size and GPU layers, remembering the result in `fit`; rejects with the API's error. */
  async memoryFit(input: { id: string; contextSize?: number; gpuLayers?: "auto" | "max" | number }): Promise<MemoryFitResult> {
    const result = await this.api.models.memoryFit(input);
    this.fit.set(input.id, result);
    return result;
  }
}
