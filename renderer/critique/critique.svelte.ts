// The Critique panel's shared store (models, presets, constitutions, prompt sets and the
// run settings every view uses) and the run store: one critique run streamed step by
// step (text appended once per animation frame), the finished run with its diff, and
// the recent runs to reopen. CritiquePanel makes both; the views call their methods.
import type { CritiquePacket, CritiqueSettingsInput } from "../../core/api/critique.ts";
import type { ModelEntry } from "../../core/api/models.ts";
import { DEFAULT_CONSTITUTION_ID } from "../../core/critique/constitution.ts";
import { diffStats, diffWords, type DiffPart } from "../../core/critique/diff.ts";
import { defaultStopCheck } from "../../core/critique/stopCheck.ts";
import type { ConstitutionSummary, CritiquePhase, CritiqueRun, CritiqueRunDetail, PrincipleChoice, PromptSetSummary, StopCheckInput } from "../../core/critique/types.ts";
import type { Preset } from "../../core/history/types.ts";
import type { Api } from "../api/connect.ts";
import { errorText, isCancelled } from "../ui/errors.ts";

/** Schedules a callback before the next paint (requestAnimationFrame in browsers). */
export type FrameScheduler = (cb: () => void) => void;

export const defaultFrame: FrameScheduler = (cb) => (typeof requestAnimationFrame === "function" ? void requestAnimationFrame(() => cb()) : queueMicrotask(cb));

/** The run settings as the form holds them. */
export interface SettingsDraft {
  /** Catalog model id; null until one exists. */
  modelId: string | null;
  constitutionId: string;
  /** null = the newest version. */
  constitutionVersion: number | null;
  rounds: number;
  principleChoice: PrincipleChoice;
  /** Early-stop check kind. */
  stopKind: StopCheckInput["kind"];
  /** "no issues" phrases, one per line (stopKind "phrases"). */
  phrases: string;
  /** Regex (stopKind "regex"). */
  pattern: string;
  /** Sampling preset id. */
  presetId: string;
  /** Tokens per generation. */
  maxTokens: number;
  /** Run seed; null = random. */
  seed: number | null;
  systemPrompt: string;
}

/** Models, presets, constitutions, prompt sets and the settings shared by the views. */
export class CritiqueShared {
  models = $state.raw<ModelEntry[]>([]);
  presets = $state.raw<Preset[]>([]);
  constitutions = $state.raw<ConstitutionSummary[]>([]);
  promptSets = $state.raw<PromptSetSummary[]>([]);
  settings = $state<SettingsDraft>({
    modelId: null,
    constitutionId: DEFAULT_CONSTITUTION_ID,
    constitutionVersion: null,
    rounds: 2,
    principleChoice: "roundRobin",
    stopKind: "phrases",
    phrases: defaultStopCheck.kind === "phrases" ? defaultStopCheck.phrases.join("\n") : "",
    pattern: "",
    presetId: "builtin-balanced",
    maxTokens: 256,
    seed: null,
    systemPrompt: "",
  });
  /** Why the last call failed, for people; null when it worked. */
  error = $state<string | null>(null);

  constructor(readonly api: Api) {}

  async refresh(): Promise<void> {
    try {
      const [{ models }, presets, constitutions, promptSets] = await Promise.all([
        this.api.models.list({}),
        this.api.presets.list({}),
        this.api.critique.listConstitutions({}),
        this.api.critique.listPromptSets({}),
      ]);
      this.models = models;
      this.presets = presets;
      this.constitutions = constitutions;
      this.promptSets = promptSets;
      const s = this.settings;
      if (!s.modelId || !models.some((m) => m.id === s.modelId)) s.modelId = models.find((m) => m.available)?.id ?? null;
      if (!constitutions.some((c) => c.id === s.constitutionId)) s.constitutionId = constitutions[0]?.id ?? DEFAULT_CONSTITUTION_ID;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** The stop check the settings describe. */
  stopCheck(): StopCheckInput {
    const s = this.settings;
    if (s.stopKind === "never") return { kind: "never" };
    if (s.stopKind === "regex") return { kind: "regex", pattern: s.pattern };
    const phrases = s.phrases.split("\n").map((p) => p.trim()).filter(Boolean);
    return { kind: "phrases", phrases, match: "start" };
  }

  /** The settings as API input; null (with `error` set) when no model is chosen. */
  input(): CritiqueSettingsInput | null {
    const s = this.settings;
    if (!s.modelId) {
      this.error = "Choose a model first (create the demo models under Models if there are none).";
      return null;
    }
    return {
      modelId: s.modelId,
      constitutionId: s.constitutionId,
      ...(s.constitutionVersion ? { constitutionVersion: s.constitutionVersion } : {}),
      rounds: s.rounds,
      principleChoice: s.principleChoice,
      stopCheck: this.stopCheck(),
      presetId: s.presetId,
      maxTokens: s.maxTokens,
      ...(s.seed !== null ? { seed: s.seed } : {}),
      systemPrompt: s.systemPrompt,
    };
  }
}

/** A step as it streams in. */
export interface LiveStep {
  index: number;
  /** Principles of the round ([] for the initial answer). */
  principleIds: string[];
  /** The critique so far. */
  critique: string;
  /** The answer (step 0) or revision so far. */
  text: string;
  /** What is being generated now; null when the step is finished. */
  phase: CritiquePhase | null;
  /** The critique found nothing to fix. */
  noIssues: boolean;
}

/** One critique run: start, stream, stop, reopen. */
export class RunStore {
  prompt = $state("");
  steps = $state<LiveStep[]>([]);
  /** The run as stored when it ended (or was reopened). */
  run = $state.raw<CritiqueRunDetail | null>(null);
  running = $state(false);
  /** Model loading label while the model loads. */
  loading = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Recent runs, newest first. */
  recent = $state.raw<CritiqueRun[]>([]);

  /** Diff of the initial against the final answer of the finished run. */
  readonly diff = $derived.by((): { parts: DiffPart[]; added: number; removed: number } | null => {
    const r = this.run;
    if (!r || r.initial === null || r.final === null) return null;
    const parts = diffWords(r.initial, r.final);
    return { parts, ...diffStats(parts) };
  });

  private abort: AbortController | null = null;
  /** Text waiting for the next frame, by "step:phase" (a plain object: not reactive on purpose). */
  private pending: Record<string, string> = {};
  private scheduled = false;

  constructor(
    private readonly shared: CritiqueShared,
    private readonly frame: FrameScheduler = defaultFrame,
  ) {}

  private flush = () => {
    this.scheduled = false;
    for (const [key, text] of Object.entries(this.pending)) {
      const [index, phase] = key.split(":") as [string, CritiquePhase];
      const step = this.steps.find((s) => s.index === Number(index));
      if (!step) continue;
      if (phase === "critique") step.critique += text;
      else step.text += text;
    }
    this.pending = {};
  };

  private append(step: number, phase: CritiquePhase, text: string) {
    const key = `${step}:${phase}`;
    this.pending[key] = (this.pending[key] ?? "") + text;
    if (!this.scheduled) {
      this.scheduled = true;
      this.frame(this.flush);
    }
  }

  private apply(p: CritiquePacket) {
    if (p.type === "progress") this.loading = p.label;
    else if (p.type === "run") this.loading = null;
    else if (p.type === "phase") {
      this.flush();
      let step = this.steps.find((s) => s.index === p.step);
      if (!step) {
        this.steps.push({ index: p.step, principleIds: p.principleIds, critique: "", text: "", phase: p.phase, noIssues: false });
        step = this.steps.at(-1)!;
      }
      step.phase = p.phase;
    } else if (p.type === "fragment") this.append(p.step, p.phase, p.text);
    else if (p.type === "step") {
      this.flush();
      const s = p.step;
      const live: LiveStep = { index: s.index, principleIds: s.principleIds, critique: s.critique ?? "", text: s.text, phase: null, noIssues: s.noIssues };
      const i = this.steps.findIndex((x) => x.index === s.index);
      if (i >= 0) this.steps[i] = live;
      else this.steps.push(live);
    } else if (p.type === "done") {
      this.flush();
      this.run = p.run;
      if (p.run.status === "error") this.error = p.run.error;
    }
  }

  /** Runs the critique loop on the prompt with the shared settings. */
  async start(): Promise<void> {
    const prompt = this.prompt.trim();
    if (!prompt) {
      this.error = "Type a prompt first.";
      return;
    }
    const settings = this.shared.input();
    if (!settings) return;
    this.abort = new AbortController();
    this.running = true;
    this.error = null;
    this.run = null;
    this.steps = [];
    this.pending = {};
    try {
      for await (const p of this.shared.api.critique.run({ ...settings, prompt }, { signal: this.abort.signal })) this.apply(p);
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    } finally {
      this.flush();
      this.running = false;
      this.loading = null;
      this.abort = null;
      for (const s of this.steps) s.phase = null;
      void this.loadRecent();
    }
  }

  /** Cancels the running run (it is kept as stopped). */
  stop(): void {
    this.abort?.abort();
  }

  /** Shows a stored run. */
  async open(id: string): Promise<void> {
    try {
      const run = await this.shared.api.critique.getRun({ id });
      this.run = run;
      this.prompt = run.prompt;
      this.steps = run.steps.map((s) => ({ index: s.index, principleIds: s.principleIds, critique: s.critique ?? "", text: s.text, phase: null, noIssues: s.noIssues }));
      this.error = run.error;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async loadRecent(): Promise<void> {
    try {
      this.recent = await this.shared.api.critique.listRuns({ limit: 20 });
    } catch (err) {
      this.error = errorText(err);
    }
  }
}
