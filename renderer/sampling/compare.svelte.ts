// The comparison's store: 2-4 columns (a preset or the config being edited, optionally
// with an adapter), one prompt, same-seed toggle; runs them as one stream, appends text
// per animation frame, keeps per-token probabilities for shading, and saves/reopens
// comparisons kept in history.
import type { ComparePacket, CompareColumnInput } from "../../core/api/sampling.ts";
import type { ResponseTokenProb } from "../../core/engine/types.ts";
import type { ConversationSummary } from "../../core/history/types.ts";
import { errorText, isCancelled } from "../ui/errors.ts";
import type { SamplingStore } from "./sampling.svelte.ts";

/** Schedules a callback before the next paint (requestAnimationFrame in browsers). */
export type FrameScheduler = (cb: () => void) => void;

/** One column as set up by the user. */
export interface ColumnDraft {
  /** A preset id, or "" for the config being edited in the panel. */
  presetId: string;
  /** Optional adapter file path for this column ("" = base model). */
  adapterPath: string;
  /** Scale of that adapter. */
  adapterScale: number;
}

/** One column's output. */
export interface ColumnOutput {
  label: string;
  text: string;
  /** Token ids generated. */
  tokenIds: number[];
  /** Per-token probabilities once known (for shading). */
  tokens: ResponseTokenProb[] | null;
  tokensPerSecond: number | null;
  seed: number | null;
  stopReason: string | null;
  error: string | null;
  done: boolean;
}

const defaultFrame: FrameScheduler = (cb) => (typeof requestAnimationFrame === "function" ? void requestAnimationFrame(() => cb()) : queueMicrotask(cb));

export class CompareStore {
  prompt = $state("The lathe ");
  /** Through the chat template (true) or raw completion (false). */
  chat = $state(false);
  columns = $state<ColumnDraft[]>([
    { presetId: "builtin-precise", adapterPath: "", adapterScale: 1 },
    { presetId: "builtin-balanced", adapterPath: "", adapterScale: 1 },
    { presetId: "builtin-creative", adapterPath: "", adapterScale: 1 },
  ]);
  /** Every column uses the same seed. */
  sameSeed = $state(true);
  /** The seed (empty = random). */
  seed = $state<number | null>(null);
  /** Tokens per column. */
  maxTokens = $state(64);
  /** Save the comparison to history when it finishes. */
  save = $state(false);
  outputs = $state<ColumnOutput[]>([]);
  running = $state(false);
  error = $state<string | null>(null);
  /** Saved comparisons (conversations tagged "comparison"). */
  saved = $state.raw<ConversationSummary[]>([]);
  /** The conversation the last run was saved to. */
  savedId = $state<string | null>(null);

  private abort: AbortController | null = null;
  /** Text waiting for the next frame, per column (a plain buffer: not reactive on purpose). */
  private pending: string[] = [];
  private scheduled = false;

  constructor(
    private readonly shared: SamplingStore,
    private readonly frame: FrameScheduler = defaultFrame,
  ) {}

  addColumn(): void {
    if (this.columns.length < 4) this.columns.push({ presetId: "", adapterPath: "", adapterScale: 1 });
  }
  removeColumn(i: number): void {
    if (this.columns.length > 2) this.columns.splice(i, 1);
  }

  private flush = () => {
    this.scheduled = false;
    this.pending.forEach((text, i) => {
      const o = this.outputs[i];
      if (o && text) o.text += text;
    });
    this.pending = [];
  };
  private append(i: number, text: string) {
    this.pending[i] = (this.pending[i] ?? "") + text;
    if (!this.scheduled) {
      this.scheduled = true;
      this.frame(this.flush);
    }
  }

  private apply(p: ComparePacket) {
    if (p.type === "start") this.outputs[p.column]!.label = p.label;
    else if (p.type === "fragment") this.append(p.column, p.text);
    else if (p.type === "done") {
      this.flush();
      Object.assign(this.outputs[p.column]!, { text: p.text, tokenIds: p.tokens, tokensPerSecond: p.timings.tokensPerS, seed: p.seed, stopReason: p.stopReason, done: true });
    } else if (p.type === "tokens") this.outputs[p.column]!.tokens = p.tokens;
    else if (p.type === "error") Object.assign(this.outputs[Number(p.item)]!, { error: p.message, done: true });
    else if (p.type === "saved") this.savedId = p.conversationId;
  }

  /** Runs every column at once. */
  async run(): Promise<void> {
    const modelId = this.shared.modelId;
    if (!modelId) {
      this.error = "Choose a model first.";
      return;
    }
    const columns: CompareColumnInput[] = this.columns.map((c) => ({
      ...(c.presetId ? { presetId: c.presetId } : { label: "Edited config", config: this.shared.config }),
      adapters: c.adapterPath.trim() ? [{ adapterId: null, file: c.adapterPath.trim(), sha256: null, scale: c.adapterScale }] : [],
    }));
    this.outputs = columns.map(() => ({ label: "", text: "", tokenIds: [], tokens: null, tokensPerSecond: null, seed: null, stopReason: null, error: null, done: false }));
    this.savedId = null;
    this.error = null;
    this.running = true;
    this.abort = new AbortController();
    try {
      for await (const p of this.shared.api.sampling.compare(
        {
          modelId,
          prompt: { text: this.prompt, chat: this.chat },
          columns,
          sameSeed: this.sameSeed,
          ...(this.seed !== null ? { seed: this.seed } : {}),
          maxTokens: this.maxTokens,
          save: this.save,
        },
        { signal: this.abort.signal },
      )) {
        this.apply(p);
      }
      this.flush();
      if (this.save) await this.loadSaved();
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    } finally {
      this.running = false;
      this.abort = null;
    }
  }

  stop(): void {
    this.abort?.abort();
  }

  async loadSaved(): Promise<void> {
    try {
      this.saved = await this.shared.api.history.listConversations({ tag: "comparison" });
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Shows a saved comparison's columns (text and settings). */
  async reopen(conversationId: string): Promise<void> {
    try {
      const c = await this.shared.api.sampling.openComparison({ conversationId });
      this.prompt = c.prompt.text;
      this.chat = c.prompt.chat;
      if (c.modelId) this.shared.modelId = c.modelId;
      this.outputs = c.columns.map((col) => ({
        label: col.label,
        text: col.text,
        tokenIds: [],
        tokens: null,
        tokensPerSecond: col.tokensPerSecond,
        seed: col.seed,
        stopReason: null,
        error: null,
        done: true,
      }));
      this.savedId = conversationId;
      this.error = null;
      // Shading: the stored answers' token probabilities.
      await Promise.all(
        c.columns.map(async (col, i) => {
          if (!col.text) return;
          const t = await this.shared.api.sampling.messageTokens({ messageId: col.messageId });
          const o = this.outputs[i];
          if (o) o.tokens = t.tokens;
        }),
      );
    } catch (err) {
      this.error = errorText(err);
    }
  }
}
