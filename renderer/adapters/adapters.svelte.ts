// The `adapters` store behind the Adapters panel: the library (add, scan, tags, notes,
// remove), the per-conversation adapter set editor (saved with history.updateConversation,
// then made ready and timed with adapters.prepare), and the three experiments (compare,
// scale sweep, drift) with progress and cancel. AdaptersPanel.svelte creates one per panel.
import type {
  AdapterChoice,
  AdapterCompatibility,
  AdapterEntry,
  AdapterRefusalDetails,
  ComparedToken,
  DriftSummary,
  DriftToken,
  ScanResult,
  SwapResult,
  SweepPoint,
} from "../../core/api/adapters.ts";
import { ApiError } from "../../core/api/errors.ts";
import type { ModelEntry } from "../../core/api/models.ts";
import type { AdapterUse, ConversationSummary, Message } from "../../core/history/types.ts";
import type { Api } from "../api/connect.ts";
import { errorText, isCancelled } from "../ui/errors.ts";
import { describeSet } from "./scales.ts";

/** Progress of a running experiment. */
export interface RunProgress {
  done: number;
  total: number | undefined;
  label: string;
}

/** A refused add, with what the panel offers next. */
export interface AddProblem {
  /** The path that was refused. */
  path: string;
  /** Why, as the shell said it. */
  message: string;
  /** The refusal kind (null when the error was not a refusal). */
  refusal: AdapterRefusalDetails["refusal"] | null;
  /** The conversion guide, for PEFT adapters. */
  guide: string | null;
  /** Each model's reason, for an adapter that fits none of them. */
  compatibility: AdapterCompatibility[] | null;
}

/** One side of a comparison. */
export interface CompareSide {
  label: string;
  text: string;
  /** Generated token ids (complete once done). */
  tokens: number[];
  /** Tokens scored by the other side (after both finished). */
  scored: ComparedToken[] | null;
  /** The side's generation is over. */
  done: boolean;
  /** Why the side failed. */
  error: string | null;
}

/** A comparison's state. */
export interface CompareState {
  sides: [CompareSide, CompareSide];
  /** First differing token index (null: identical or not known yet). */
  firstDifference: number | null;
  /** Both sides finished and the difference is known. */
  finished: boolean;
}

/** A scale sweep's state. */
export interface SweepState {
  points: SweepPoint[];
  errors: { index: number; message: string }[];
  seed: number | null;
  finished: boolean;
}

/** One measured text of the drift meter. */
export interface DriftText {
  index: number;
  tokens: DriftToken[];
  summary: DriftSummary;
}

/** The drift meter's state. */
export interface DriftState {
  texts: DriftText[];
  errors: { index: number; message: string }[];
  summary: DriftSummary | null;
  maxAt: { text: number; position: number } | null;
}

/** Experiment inputs shared by the three forms. */
export interface ExperimentPrompt {
  text: string;
  chat: boolean;
}

const emptySide = (label: string): CompareSide => ({ label, text: "", tokens: [], scored: null, done: false, error: null });

/** A set as the API takes it. */
export function toChoices(set: readonly AdapterUse[]): AdapterChoice[] {
  return set.map((a) => (a.adapterId ? { adapterId: a.adapterId, scale: a.scale } : { file: a.file, scale: a.scale }));
}

export class AdaptersStore {
  /** The library. */
  adapters = $state.raw<AdapterEntry[]>([]);
  /** The watched adapters folder. */
  folder = $state("");
  /** Catalog models (for badges and model pickers). */
  models = $state.raw<ModelEntry[]>([]);
  /** Conversations (for the set editor). */
  conversations = $state.raw<ConversationSummary[]>([]);
  /** The library has been fetched once. */
  loaded = $state(false);
  /** Why the last library call failed. */
  error = $state<string | null>(null);
  /** The last refused add. */
  addProblem = $state.raw<AddProblem | null>(null);
  /** An add is in flight. */
  adding = $state(false);
  /** The last scan's result. */
  lastScan = $state.raw<ScanResult | null>(null);

  /** The conversation whose set is being edited. */
  conversationId = $state<string | null>(null);
  /** The edited set (saved with applySet). */
  draftSet = $state<AdapterUse[]>([]);
  /** The conversation's answers, oldest first, with the sets they were made with. */
  answers = $state.raw<Message[]>([]);
  /** The last swap's timing. */
  lastSwap = $state.raw<SwapResult | null>(null);
  /** Why the last swap failed (llama.cpp's reason for a mismatched adapter). */
  swapError = $state<string | null>(null);
  /** A swap is in flight. */
  swapping = $state(false);

  /** Experiment results. */
  compare = $state<CompareState | null>(null);
  sweep = $state<SweepState | null>(null);
  drift = $state<DriftState | null>(null);
  /** Progress and cancel of the running experiment, by kind. */
  progress = $state<Record<"compare" | "sweep" | "drift", RunProgress | null>>({ compare: null, sweep: null, drift: null });
  /** Why an experiment failed, by kind. */
  runError = $state<Record<"compare" | "sweep" | "drift", string | null>>({ compare: null, sweep: null, drift: null });
  /** The running experiments' cancel handles (not state: nothing renders them). */
  private readonly controllers: Partial<Record<"compare" | "sweep" | "drift", AbortController>> = {};

  constructor(private readonly api: Api) {}

  /** A library adapter by id. */
  byId(id: string | null | undefined): AdapterEntry | undefined {
    return id ? this.adapters.find((a) => a.id === id) : undefined;
  }

  /** A set for people, with library names. */
  label(set: readonly AdapterUse[]): string {
    return describeSet(set, (id) => this.byId(id)?.name);
  }

  /** Fetches the library, the models and the conversations. */
  async refresh(): Promise<void> {
    try {
      const [lib, models, conversations] = await Promise.all([
        this.api.adapters.list({}),
        this.api.models.list({}),
        this.api.history.listConversations({}),
      ]);
      this.adapters = lib.adapters;
      this.folder = lib.folder;
      this.models = models.models;
      this.conversations = conversations.filter((c) => !c.tags.includes("comparison"));
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Adds a file by path; a refusal lands in addProblem. Returns whether it was added. */
  async add(path: string, force = false): Promise<boolean> {
    this.adding = true;
    try {
      await this.api.adapters.add({ path, force });
      this.addProblem = null;
      await this.refresh();
      return true;
    } catch (err) {
      const details = err instanceof ApiError ? (err.details as Partial<AdapterRefusalDetails> | undefined) : undefined;
      this.addProblem = {
        path,
        message: errorText(err),
        refusal: details?.refusal ?? null,
        guide: details?.guide ?? null,
        compatibility: details?.compatibility ?? null,
      };
      return false;
    } finally {
      this.adding = false;
    }
  }

  /** Adds new adapters from the watched folder. */
  async scan(): Promise<void> {
    try {
      this.lastScan = await this.api.adapters.scan({});
      this.error = null;
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Changes tags or notes (or the name). */
  async update(id: string, patch: { tags?: string[]; notes?: string; name?: string }): Promise<void> {
    try {
      const entry = await this.api.adapters.update({ id, ...patch });
      this.adapters = this.adapters.map((a) => (a.id === id ? entry : a));
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Removes an adapter from the library (the file stays). */
  async remove(id: string): Promise<void> {
    try {
      await this.api.adapters.remove({ id });
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  // ------------------------------------------------------------------ set editor

  /** The conversation being edited. */
  get conversation(): ConversationSummary | undefined {
    return this.conversations.find((c) => c.id === this.conversationId);
  }

  /** Opens a conversation's set for editing and lists its answers. */
  async selectConversation(id: string | null): Promise<void> {
    this.conversationId = id;
    this.lastSwap = null;
    this.swapError = null;
    const c = this.conversation;
    this.draftSet = c ? c.adapterSet.map((a) => ({ ...a })) : [];
    await this.loadAnswers();
  }

  private async loadAnswers(): Promise<void> {
    const id = this.conversationId;
    if (!id) {
      this.answers = [];
      return;
    }
    try {
      const path = await this.api.history.getPath({ conversationId: id });
      this.answers = path.nodes.map((n) => n.message).filter((m) => m.role === "assistant");
    } catch (err) {
      this.swapError = errorText(err);
    }
  }

  /** Adds a library adapter to the draft set at scale 1. */
  addToSet(adapterId: string): void {
    const a = this.byId(adapterId);
    if (!a || this.draftSet.some((x) => x.adapterId === adapterId)) return;
    this.draftSet.push({ adapterId: a.id, file: a.filePath, sha256: a.sha256, scale: 1 });
  }

  /** Sets the scale of the draft set's i-th adapter (clamped to -2..2). */
  setScale(i: number, scale: number): void {
    const a = this.draftSet[i];
    if (a && Number.isFinite(scale)) a.scale = Math.max(-2, Math.min(2, scale));
  }

  /** Drops the draft set's i-th adapter. */
  removeFromSet(i: number): void {
    this.draftSet.splice(i, 1);
  }

  /** Saves the draft set on the conversation, then makes it ready on the model and shows the swap time. */
  async applySet(): Promise<boolean> {
    const id = this.conversationId;
    if (!id) return false;
    this.swapping = true;
    this.swapError = null;
    this.lastSwap = null;
    try {
      const set = $state.snapshot(this.draftSet);
      const updated = await this.api.history.updateConversation({ id, patch: { adapterSet: set } });
      this.conversations = this.conversations.map((c) => (c.id === id ? { ...c, ...updated } : c));
      this.lastSwap = await this.api.adapters.prepare({ conversationId: id });
      return true;
    } catch (err) {
      this.swapError = errorText(err);
      return false;
    } finally {
      this.swapping = false;
      await this.loadAnswers();
    }
  }

  // ------------------------------------------------------------------ experiments

  /** Cancels a running experiment. */
  cancel(kind: "compare" | "sweep" | "drift"): void {
    this.controllers[kind]?.abort("cancelled by the user");
  }

  private begin(kind: "compare" | "sweep" | "drift"): AbortController {
    this.controllers[kind]?.abort("replaced by a new run");
    const c = new AbortController();
    this.controllers[kind] = c;
    this.runError[kind] = null;
    this.progress[kind] = { done: 0, total: undefined, label: "Starting" };
    return c;
  }

  private end(kind: "compare" | "sweep" | "drift", c: AbortController, err?: unknown): void {
    if (err !== undefined && !isCancelled(err) && !c.signal.aborted) this.runError[kind] = errorText(err);
    if (this.controllers[kind] === c) {
      delete this.controllers[kind];
      this.progress[kind] = null;
    }
  }

  /** Runs a comparison of two sets on one prompt (same seed). */
  async runCompare(input: { modelId: string; prompt: ExperimentPrompt; setA: AdapterUse[]; setB: AdapterUse[]; maxTokens: number; seed?: number }): Promise<void> {
    const c = this.begin("compare");
    const state: CompareState = { sides: [emptySide(this.label(input.setA)), emptySide(this.label(input.setB))], firstDifference: null, finished: false };
    this.compare = state;
    const live = () => this.compare!;
    try {
      const stream = this.api.adapters.compare(
        {
          modelId: input.modelId,
          prompt: input.prompt,
          setA: toChoices(input.setA),
          setB: toChoices(input.setB),
          maxTokens: input.maxTokens,
          ...(input.seed !== undefined ? { seed: input.seed } : {}),
        },
        { signal: c.signal },
      );
      for await (const p of stream) {
        const s = live();
        switch (p.type) {
          case "progress":
            this.progress.compare = { done: p.done, total: p.total, label: p.label ?? "Loading" };
            break;
          case "start":
            s.sides[p.side].label = p.label;
            this.progress.compare = { done: 0, total: undefined, label: "Generating" };
            break;
          case "fragment":
            s.sides[p.side].text += p.text;
            s.sides[p.side].tokens.push(...p.tokens);
            break;
          case "done":
            Object.assign(s.sides[p.side], { text: p.text, tokens: p.tokens, done: true });
            break;
          case "tokens":
            s.sides[p.side].scored = p.tokens;
            break;
          case "error":
            s.sides[Number(p.item) === 1 ? 1 : 0].error = p.message;
            break;
          case "difference":
            s.firstDifference = p.firstDifference;
            s.finished = true;
            break;
        }
      }
      this.end("compare", c);
    } catch (err) {
      this.end("compare", c, err);
    }
  }

  /** Runs one adapter over a list of scales. */
  async runSweep(input: { modelId: string; prompt: ExperimentPrompt; adapterId: string; others: AdapterUse[]; scales: number[]; maxTokens: number; seed?: number }): Promise<void> {
    const c = this.begin("sweep");
    this.sweep = { points: [], errors: [], seed: null, finished: false };
    try {
      const stream = this.api.adapters.scaleSweep(
        {
          modelId: input.modelId,
          prompt: input.prompt,
          adapter: { adapterId: input.adapterId },
          others: toChoices(input.others),
          scales: input.scales,
          maxTokens: input.maxTokens,
          ...(input.seed !== undefined ? { seed: input.seed } : {}),
        },
        { signal: c.signal },
      );
      for await (const p of stream) {
        const s = this.sweep!;
        if (p.type === "progress") this.progress.sweep = { done: p.done, total: p.total, label: p.label ?? "Sweeping" };
        else if (p.type === "point") s.points.push(p.point);
        else if (p.type === "error") s.errors.push({ index: Number(p.item), message: p.message });
        else if (p.type === "done") {
          s.points = p.points;
          s.seed = p.seed;
          s.finished = true;
        }
      }
      this.end("sweep", c);
    } catch (err) {
      this.end("sweep", c, err);
    }
  }

  /** Measures a set's drift from the base over texts. */
  async runDrift(input: { modelId: string; set: AdapterUse[]; texts: string[] }): Promise<void> {
    const c = this.begin("drift");
    this.drift = { texts: [], errors: [], summary: null, maxAt: null };
    try {
      const stream = this.api.adapters.drift({ modelId: input.modelId, adapters: toChoices(input.set), texts: input.texts }, { signal: c.signal });
      for await (const p of stream) {
        const s = this.drift!;
        if (p.type === "progress") this.progress.drift = { done: p.done, total: p.total, label: p.label ?? "Measuring" };
        else if (p.type === "text") s.texts.push({ index: p.index, tokens: p.tokens, summary: p.summary });
        else if (p.type === "error") s.errors.push({ index: Number(p.item), message: p.message });
        else if (p.type === "done") {
          s.summary = p.summary;
          s.maxAt = p.maxAt;
        }
      }
      this.end("drift", c);
    } catch (err) {
      this.end("drift", c, err);
    }
  }
}
