// The prompt builder's store: an instruction, examples and an input become a zero-, one-
// or few-shot prompt (core/sampling/promptBuilder.ts); its tokens are counted by the
// model against the context size for the budget bar; specs are saved as templates.
import type { PromptTemplate } from "../../core/history/types.ts";
import { buildPrompt, fitPromptToBudget, promptSpecSchema, type BuiltPrompt, type PromptSpec } from "../../core/sampling/promptBuilder.ts";
import { errorText } from "../ui/errors.ts";
import type { SamplingStore } from "./sampling.svelte.ts";

export class BuilderStore {
  /** The spec being edited. */
  spec = $state<PromptSpec>(
    promptSpecSchema.parse({
      instruction: "Answer with one word.",
      examples: [{ input: "What turns on a lathe?", output: "wood" }],
      input: "What sharpens a gouge?",
    }),
  );
  /** Count as chat turns (true) or as raw text (false). */
  chat = $state(false);
  /** Tokens of the built prompt, when counted. */
  tokens = $state<number | null>(null);
  /** The model's context size, when known. */
  contextSize = $state<number | null>(null);
  /** Examples the last fit dropped. */
  dropped = $state(0);
  templates = $state.raw<(PromptTemplate & { spec: PromptSpec })[]>([]);
  templateId = $state<string | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly shared: SamplingStore) {}

  readonly built: BuiltPrompt = $derived(buildPrompt(this.spec));

  private async count(p: BuiltPrompt): Promise<number> {
    const modelId = this.shared.modelId;
    if (!modelId) throw new Error("Choose a model first.");
    const r = await this.shared.api.sampling.countTokens(this.chat ? { modelId, messages: p.messages } : { modelId, text: p.text });
    this.contextSize = r.contextSize;
    return r.tokens;
  }

  /** Counts the built prompt's tokens against the context. */
  async measure(): Promise<void> {
    try {
      this.tokens = await this.count(this.built);
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Drops examples from the end until the prompt fits `budget` tokens (default: the context size). */
  async fit(budget?: number): Promise<void> {
    try {
      if (this.contextSize === null) await this.measure();
      const limit = budget ?? this.contextSize;
      if (limit === null) return;
      const f = await fitPromptToBudget(this.spec, limit, (p) => this.count(p));
      this.spec = { ...this.spec, mode: f.mode === "zero" ? "zero" : this.spec.mode, shots: f.shots > 0 ? f.shots : this.spec.shots };
      this.tokens = f.tokens;
      this.dropped = f.dropped;
      this.error = f.fits ? null : "Even the zero-shot prompt is longer than the budget.";
    } catch (err) {
      this.error = errorText(err);
    }
  }

  addExample(): void {
    this.spec.examples.push({ input: "", output: "" });
  }
  removeExample(i: number): void {
    this.spec.examples.splice(i, 1);
  }

  async loadTemplates(): Promise<void> {
    try {
      this.templates = await this.shared.api.sampling.listTemplates({});
    } catch (err) {
      this.error = errorText(err);
    }
  }
  useTemplate(id: string): void {
    const t = this.templates.find((x) => x.id === id);
    if (!t) return;
    this.templateId = id;
    this.spec = structuredClone(t.spec);
  }
  async saveTemplate(name: string): Promise<void> {
    try {
      // Same name as the open template: update it; another name: a new template.
      const open = this.templates.find((x) => x.id === this.templateId);
      const t = await this.shared.api.sampling.saveTemplate({ ...(open && open.name === name ? { id: open.id } : {}), name, spec: $state.snapshot(this.spec) });
      this.templateId = t.id;
      await this.loadTemplates();
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }
  async deleteTemplate(): Promise<void> {
    if (!this.templateId) return;
    try {
      await this.shared.api.sampling.deleteTemplate({ id: this.templateId });
      this.templateId = null;
      await this.loadTemplates();
    } catch (err) {
      this.error = errorText(err);
    }
  }
}
