// The ranking view's store: comparisons (k responses generated with seeds or presets,
// or a critique run's initial vs final answer), a person's ranking as tiers (drag and
// drop, ties allowed) saved as pairwise preferences, AI judging in both orders, and the
// human-vs-AI agreement. The annotator's name is remembered in localStorage.
import type { ComparisonPacket } from "../../core/api/feedback.ts";
import type { AgreementReport } from "../../core/critique/agreement.ts";
import { initialTiers, moveInRanking, rankingPairCount, type RankingDrop } from "../../core/critique/ranking.ts";
import type { Comparison, ComparisonSummary, Preference } from "../../core/critique/types.ts";
import { errorText, isCancelled } from "../ui/errors.ts";
import type { CritiqueShared } from "./critique.svelte.ts";

const annotatorKey = "lathe.critique.annotator";

function storedAnnotator(): string {
  try {
    return localStorage.getItem(annotatorKey) ?? "";
  } catch {
    return "";
  }
}

export class FeedbackStore {
  comparisons = $state.raw<ComparisonSummary[]>([]);
  /** The comparison being ranked. */
  current = $state.raw<Comparison | null>(null);
  /** The ranking being edited: tiers of response indices, best first. */
  tiers = $state<number[][]>([]);
  annotator = $state(storedAnnotator());
  guideline = $state("Rank by how helpful, honest and harmless each answer is.");
  /** Generation form. */
  prompt = $state("");
  k = $state(4);
  variation = $state<"seeds" | "presets">("seeds");
  firstSeed = $state(1);
  /** Presets for "presets" variation. */
  presetIds = $state<string[]>(["builtin-precise", "builtin-balanced", "builtin-creative"]);
  /** Streaming text per response index while generating. */
  streaming = $state<string[]>([]);
  generating = $state(false);
  judging = $state(false);
  /** Judge progress label. */
  judgeLabel = $state<string | null>(null);
  /** Preferences of the current comparison (human and AI). */
  preferences = $state.raw<Preference[]>([]);
  agreement = $state.raw<AgreementReport | null>(null);
  /** Agreement over every comparison. */
  overall = $state.raw<AgreementReport | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  /** Pairs the ranking being edited yields. */
  readonly pairCount = $derived(rankingPairCount(this.tiers));

  private abort: AbortController | null = null;

  constructor(private readonly shared: CritiqueShared) {}

  async refresh(): Promise<void> {
    try {
      const api = this.shared.api;
      [this.comparisons, this.overall] = await Promise.all([api.feedback.listComparisons({}), api.feedback.agreement({})]);
      if (this.current) await this.loadPreferences();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private async loadPreferences(): Promise<void> {
    const c = this.current;
    if (!c) return;
    const api = this.shared.api;
    [this.preferences, this.agreement] = await Promise.all([api.feedback.preferences({ comparisonId: c.id }), api.feedback.agreement({ comparisonId: c.id })]);
  }

  /** Shows a comparison with this annotator's saved ranking (or one tier per response). */
  async open(id: string): Promise<void> {
    try {
      const api = this.shared.api;
      const c = await api.feedback.getComparison({ id });
      this.current = c;
      const mine = (await api.feedback.rankings({ comparisonId: id })).find((r) => r.annotator === this.annotator.trim());
      this.tiers = mine ? mine.tiers.map((t) => [...t]) : initialTiers(c.responses.length);
      await this.loadPreferences();
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Moves a response (drag and drop, or the keyboard buttons). */
  move(response: number, drop: RankingDrop): void {
    this.tiers = moveInRanking(this.tiers, response, drop);
  }

  /** Generates k responses to the prompt with the shared model. */
  async generate(): Promise<void> {
    const modelId = this.shared.settings.modelId;
    const prompt = this.prompt.trim();
    if (!modelId || !prompt) {
      this.error = !modelId ? "Choose a model first." : "Type a prompt first.";
      return;
    }
    this.abort = new AbortController();
    this.generating = true;
    this.streaming = [];
    this.error = null;
    try {
      const input =
        this.variation === "seeds"
          ? { modelId, prompt, variation: "seeds" as const, k: this.k, firstSeed: this.firstSeed, presetId: this.shared.settings.presetId, maxTokens: this.shared.settings.maxTokens }
          : { modelId, prompt, variation: "presets" as const, presetIds: this.presetIds, maxTokens: this.shared.settings.maxTokens };
      for await (const p of this.shared.api.feedback.generate(input, { signal: this.abort.signal }) as AsyncIterable<ComparisonPacket>) {
        if (p.type === "start") this.streaming[p.index] = "";
        else if (p.type === "fragment") this.streaming[p.index] = (this.streaming[p.index] ?? "") + p.text;
        else if (p.type === "error") this.error = `Response ${Number(p.item) + 1}: ${p.message}`;
        else if (p.type === "done") {
          await this.refresh();
          await this.open(p.comparison.id);
          const texts = p.comparison.responses.map((r) => r.text);
          // Greedy sampling gives every seed the same answer: nothing to rank.
          this.notice = texts.some((t, i) => texts.indexOf(t) !== i) ? "Some responses are identical: choose a sampling preset with a temperature above 0 to get different ones." : null;
        }
      }
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    } finally {
      this.generating = false;
      this.abort = null;
    }
  }

  /** A comparison of a finished critique run's initial and final answers. */
  async fromRun(runId: string): Promise<void> {
    try {
      const c = await this.shared.api.feedback.fromRun({ runId });
      await this.refresh();
      await this.open(c.id);
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Saves the ranking as this annotator's. */
  async saveRanking(): Promise<void> {
    const c = this.current;
    const annotator = this.annotator.trim();
    if (!c) return;
    if (!annotator) {
      this.error = "Enter your name (annotator) first.";
      return;
    }
    try {
      localStorage.setItem(annotatorKey, annotator);
    } catch {
      /* private mode: the name is simply not remembered */
    }
    try {
      const r = await this.shared.api.feedback.rank({ comparisonId: c.id, annotator, guideline: this.guideline, tiers: $state.snapshot(this.tiers) });
      this.notice = `Saved: ${r.preferences.length} preference pair${r.preferences.length === 1 ? "" : "s"}.`;
      this.error = null;
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Has the shared model judge every pair of the comparison in both orders. */
  async judge(): Promise<void> {
    const c = this.current;
    const modelId = this.shared.settings.modelId;
    if (!c || !modelId) return;
    this.abort = new AbortController();
    this.judging = true;
    this.error = null;
    try {
      const s = this.shared.settings;
      for await (const p of this.shared.api.feedback.judge(
        { comparisonId: c.id, modelId, constitutionId: s.constitutionId, ...(s.constitutionVersion ? { constitutionVersion: s.constitutionVersion } : {}) },
        { signal: this.abort.signal },
      )) {
        if (p.type === "progress") this.judgeLabel = p.label;
        else if (p.type === "done") {
          this.agreement = p.agreement;
          this.notice = `Judged ${p.preferences.length} pair${p.preferences.length === 1 ? "" : "s"}; ${p.preferences.filter((x) => x.agreement).length} consistent in both orders.`;
        }
      }
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    } finally {
      this.judging = false;
      this.judgeLabel = null;
      this.abort = null;
      await this.refresh();
    }
  }

  stop(): void {
    this.abort?.abort();
  }
}
