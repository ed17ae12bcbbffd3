// The Sampling panel's shared store: the models to work with, the presets (builtin and
// the user's: create, rename, duplicate, delete, import/export as JSON) and the config
// being edited, validated field by field on every change. The explainer, compare and
// prompt-builder stores read the chosen model and config from here.
import type { ModelEntry } from "../../core/api/models.ts";
import type { Preset } from "../../core/history/types.ts";
import { resolveSamplingConfig, type SamplingConfig, type SamplingConfigInput } from "../../core/sampling/config.ts";
import { setField, validateSamplingConfig } from "../../core/sampling/fields.ts";
import { builtinPresets, type BuiltinPreset } from "../../core/sampling/presets.ts";
import type { Api } from "../api/connect.ts";
import { errorText } from "../ui/errors.ts";

export class SamplingStore {
  /** Catalog models (available ones can be used). */
  models = $state.raw<ModelEntry[]>([]);
  /** The model every view works with; null until one exists. */
  modelId = $state<string | null>(null);
  /** Presets, builtin first. */
  presets = $state.raw<Preset[]>([]);
  /** The preset the editor started from; null = a new custom config. */
  presetId = $state<string | null>(null);
  /** The config being edited (any subset; missing fields take their defaults). */
  draft = $state<SamplingConfigInput>({});
  /** Why the last call failed, for people; null when it worked. */
  error = $state<string | null>(null);
  /** A short confirmation of the last preset action ("Saved “x”."). */
  notice = $state<string | null>(null);

  /** Field path → what is wrong with it, for the draft. */
  readonly validation = $derived(validateSamplingConfig(this.draft));
  #lastValid: SamplingConfig = resolveSamplingConfig({});
  /** The draft with defaults filled in, or the last valid one while a field is invalid. */
  readonly config = $derived.by(() => {
    const v = this.validation;
    if (v.ok) this.#lastValid = v.config;
    return this.#lastValid;
  });

  constructor(readonly api: Api) {}

  /** The chosen preset, if any. */
  get preset(): Preset | undefined {
    return this.presets.find((p) => p.id === this.presetId);
  }
  /** Reasons for a builtin preset's values. */
  get builtin(): BuiltinPreset | undefined {
    return builtinPresets.find((b) => b.id === this.presetId);
  }
  /** Errors by field path (empty when valid). */
  get errors(): Record<string, string> {
    return this.validation.ok ? {} : this.validation.errors;
  }

  async refresh(): Promise<void> {
    try {
      const [{ models }, presets] = await Promise.all([this.api.models.list({}), this.api.presets.list({})]);
      this.models = models;
      this.presets = presets;
      if (!this.modelId || !models.some((m) => m.id === this.modelId)) this.modelId = models.find((m) => m.available)?.id ?? null;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Starts editing from a preset (null = defaults). */
  choosePreset(id: string | null): void {
    this.presetId = id;
    const p = this.presets.find((x) => x.id === id);
    this.draft = p ? structuredClone(p.config as SamplingConfigInput) : {};
    this.notice = null;
  }

  /** Sets one field of the draft (undefined clears it back to its default). */
  set(path: string, value: unknown): void {
    this.draft = setField($state.snapshot(this.draft) as SamplingConfigInput, path, value);
  }

  private async run(action: () => Promise<string | null>): Promise<boolean> {
    try {
      const notice = await action();
      this.presets = await this.api.presets.list({});
      this.error = null;
      this.notice = notice;
      return true;
    } catch (err) {
      this.error = errorText(err);
      this.notice = null;
      return false;
    }
  }

  /** Saves the draft over the chosen user preset. */
  save(): Promise<boolean> {
    const p = this.preset;
    if (!p || p.builtin || !this.validation.ok) return Promise.resolve(false);
    const config = this.validation.config;
    return this.run(async () => {
      await this.api.presets.save({ id: p.id, name: p.name, config });
      return `Saved “${p.name}”.`;
    });
  }

  /** Saves the draft as a new preset (also how a preset is duplicated). */
  saveAs(name: string): Promise<boolean> {
    if (!this.validation.ok) return Promise.resolve(false);
    const config = this.validation.config;
    return this.run(async () => {
      const saved = await this.api.presets.save({ name, config });
      this.presetId = saved.id;
      return `Saved “${name}”.`;
    });
  }

  /** Renames the chosen user preset. */
  rename(name: string): Promise<boolean> {
    const p = this.preset;
    if (!p || p.builtin) return Promise.resolve(false);
    return this.run(async () => {
      await this.api.presets.save({ id: p.id, name, config: p.config as SamplingConfigInput });
      return `Renamed to “${name}”.`;
    });
  }

  /** Deletes the chosen user preset. */
  remove(): Promise<boolean> {
    const p = this.preset;
    if (!p || p.builtin) return Promise.resolve(false);
    return this.run(async () => {
      await this.api.presets.delete({ id: p.id });
      this.presetId = null;
      return `Deleted “${p.name}”.`;
    });
  }

  /** The user's presets (or the chosen one) as a JSON file's text. */
  async exportJson(onlyChosen: boolean): Promise<string | null> {
    try {
      const r = await this.api.sampling.exportPresets(onlyChosen && this.presetId ? { ids: [this.presetId] } : {});
      this.error = null;
      this.notice = `Exported ${r.count} preset${r.count === 1 ? "" : "s"}.`;
      return r.json;
    } catch (err) {
      this.error = errorText(err);
      return null;
    }
  }

  /** Imports presets from a JSON file's text; clashing names get " (2)". */
  importJson(json: string): Promise<boolean> {
    return this.run(async () => {
      const r = await this.api.sampling.importPresets({ json, onConflict: "rename" });
      return `Imported ${r.imported.map((p) => `“${p.name}”`).join(", ") || "nothing"}.`;
    });
  }
}
