// Domain types of constitutional self-critique and preference data: constitutions and
// their versions, prompt sets, critique runs with their steps, batches, comparisons of
// responses, human rankings and human/AI preferences. db/critique.ts returns these from
// its queries; core/critique's pipeline, core/services and the renderer use them. Every
// field is JSON-safe. Zod schemas of the inputs people type live beside the types.
import { z } from "zod";
import type { Provenance } from "../history/types.ts";

// ---------------------------------------------------------------- constitutions

/** Principle ids are short slugs, so runs and exports can name them. */
export const principleIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "use lowercase letters, digits and dashes (e.g. \"be-honest\")");

/** One principle: what to look for (critique) and how to fix it (revision). */
export const principleSchema = z.object({
  /** Stable slug within the constitution. */
  id: principleIdSchema,
  /** Short name shown in the UI ("Honest"). */
  name: z.string().trim().min(1).max(100),
  /** Asked after the answer: what to point out. */
  critiqueRequest: z.string().trim().min(1).max(4000),
  /** Asked after the critique: how to rewrite the answer. */
  revisionRequest: z.string().trim().min(1).max(4000),
});
export type Principle = z.output<typeof principleSchema>;

/** What a constitution says: a name, a description and 1-50 principles with unique ids. */
export const constitutionContentSchema = z
  .object({
    /** Name shown in lists. */
    name: z.string().trim().min(1).max(100),
    /** What it is for. Default "". */
    description: z.string().max(2000).default(""),
    /** The principles, in order (round-robin follows this order). */
    principles: z.array(principleSchema).min(1).max(50),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.principles.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: "custom", path: ["principles", i, "id"], message: `duplicate principle id "${p.id}"` });
      seen.add(p.id);
    });
  });
export type ConstitutionContent = z.output<typeof constitutionContentSchema>;
export type ConstitutionContentInput = z.input<typeof constitutionContentSchema>;

/** One version of a constitution. Versions never change once written; a save that changes the content adds one. */
export interface Constitution extends ConstitutionContent {
  /** Stable id (all versions share it). */
  id: string;
  /** 1, 2, ...: which version this is. */
  version: number;
  /** The newest version number of this constitution. */
  latestVersion: number;
  /** Shipped with Lathe: people save changes as a copy. */
  builtin: boolean;
  /** Hidden from lists (runs keep pointing at its versions). */
  archived: boolean;
  /** When this version was written (ms since epoch). */
  createdAt: number;
}

/** A constitution in a list: its newest version. */
export interface ConstitutionSummary {
  id: string;
  name: string;
  description: string;
  /** Newest version. */
  version: number;
  /** Principles in the newest version. */
  principleCount: number;
  builtin: boolean;
  archived: boolean;
  /** When the newest version was written. */
  updatedAt: number;
}

/** One entry of a constitution's version history. */
export interface ConstitutionVersionInfo {
  version: number;
  name: string;
  principleCount: number;
  /** Critique runs that used this version. */
  runs: number;
  createdAt: number;
}

/** What saveConstitution needs: a new constitution, or new content for an existing id. */
export interface ConstitutionInput extends ConstitutionContent {
  /** Id to update, or of the new constitution. Default: a new UUID. */
  id?: string;
  /** Shipped with Lathe. Default false. */
  builtin?: boolean;
}

// ---------------------------------------------------------------- prompt sets

/** A list of prompts to critique in a batch (red-team prompts, usually). */
export interface PromptSet {
  id: string;
  name: string;
  prompts: string[];
  /** Shipped with Lathe (cannot be deleted). */
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A prompt set in a list. */
export interface PromptSetSummary {
  id: string;
  name: string;
  /** How many prompts it holds. */
  count: number;
  builtin: boolean;
  updatedAt: number;
}

/** What savePromptSet needs. */
export interface PromptSetInput {
  /** Id to update, or of the new set. Default: a new UUID. */
  id?: string;
  /** Unique name. */
  name: string;
  /** The prompts (1..10,000). */
  prompts: string[];
  /** Shipped with Lathe. Default false. */
  builtin?: boolean;
}

// ---------------------------------------------------------------- run settings

/** How principles are picked per round. */
export const principleChoiceSchema = z.enum(["all", "roundRobin", "random"]);
/**
 * - all: every round critiques under all principles at once;
 * - roundRobin: round r uses principle (r-1) mod n, in the constitution's order;
 * - random: one principle per round, drawn with a PRNG seeded by the run's seed.
 */
export type PrincipleChoice = z.output<typeof principleChoiceSchema>;

/**
 * When a critique counts as "nothing to fix" (the run then stops early, without a
 * revision in that round).
 */
export const stopCheckSchema = z.discriminatedUnion("kind", [
  /** Never stop early: always run every round. */
  z.object({ kind: z.literal("never") }),
  z.object({
    kind: z.literal("phrases"),
    /** Phrases meaning "no issues" (case and surrounding punctuation ignored). */
    phrases: z.array(z.string().trim().min(1).max(200)).min(1).max(50),
    /** "start": the critique must begin with a phrase; "anywhere": contain one. Default "start". */
    match: z.enum(["start", "anywhere"]).default("start"),
  }),
  z.object({
    kind: z.literal("regex"),
    /** A JavaScript regular expression tested against the critique. */
    pattern: z
      .string()
      .min(1)
      .max(500)
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, "not a valid regular expression"),
    /** Regex flags from "imsu". Default "i". */
    flags: z.string().regex(/^[imsu]*$/, "flags may only be i, m, s, u").default("i"),
  }),
]);
export type StopCheck = z.output<typeof stopCheckSchema>;
export type StopCheckInput = z.input<typeof stopCheckSchema>;

/** The settings a run was made with (stored with it, so it can be repeated). */
export interface CritiqueSettings {
  /** Critique/revision rounds asked for. */
  rounds: number;
  principleChoice: PrincipleChoice;
  /** Seed of the run: random principle choice and the per-generation sampling seeds derive from it. */
  seed: number;
  stopCheck: StopCheck;
  /** The full sampling config every generation started from (core/sampling's SamplingConfig). */
  sampling: Record<string, unknown>;
  /** Preset the sampling came from, if any. */
  presetId: string | null;
}

// ---------------------------------------------------------------- runs and steps

/** Where a run stands. `interrupted`: Lathe exited mid-run (set when the database is next opened). */
export type CritiqueRunStatus = "running" | "complete" | "stopped" | "error" | "interrupted";
/** Why a finished run ended: all rounds ran, or a critique found nothing to fix. */
export type CritiqueStopReason = "rounds" | "noIssues";
/** Which generation of a step is running. */
export type CritiquePhase = "response" | "critique" | "revision";

/** One stored step. Step 0 is the initial answer; step r (r >= 1) is round r. */
export interface CritiqueStep {
  runId: string;
  /** 0 = initial answer, r = round r. */
  index: number;
  kind: "initial" | "round";
  /** Principles this round critiqued under ([] for the initial answer). */
  principleIds: string[];
  /** The critique text (null for the initial answer). */
  critique: string | null;
  /** How the critique was generated (null for the initial answer). */
  critiqueProvenance: Provenance | null;
  /** The critique passed the stop check: no revision was made in this round. */
  noIssues: boolean;
  /** The answer after this step: the initial answer, the revision, or the unchanged answer when noIssues. */
  text: string;
  /** How `text` was generated; null when it was given (an initial answer people wrote) or unchanged. */
  provenance: Provenance | null;
  createdAt: number;
}

/** A critique run: one prompt taken through the critique → revise loop. */
export interface CritiqueRun {
  id: string;
  /** The batch this run belongs to, if any. */
  batchId: string | null;
  /** Position of its prompt in the batch. */
  batchIndex: number | null;
  prompt: string;
  /** System prompt every generation saw. Default "". */
  systemPrompt: string;
  constitutionId: string;
  /** The constitution version the run used. */
  constitutionVersion: number;
  /** That version's name (for lists). */
  constitutionName: string;
  /** Catalog id of the model; null once removed from the catalog. */
  modelId: string | null;
  /** File name of the model (kept when the catalog entry goes). */
  modelFile: string;
  settings: CritiqueSettings;
  status: CritiqueRunStatus;
  /** Why a complete run ended; null otherwise. */
  stopReason: CritiqueStopReason | null;
  /** Rounds that ran (a noIssues round counts). */
  roundsRun: number;
  /** The first answer; null until generated. */
  initial: string | null;
  /** The final answer: the last revision (or the initial answer when nothing was revised); null until the run ends well. */
  final: string | null;
  /** Why it failed, when status is error. */
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

/** A run with its steps, oldest first. */
export interface CritiqueRunDetail extends CritiqueRun {
  steps: CritiqueStep[];
}

/** What createRun needs. */
export interface NewCritiqueRun {
  prompt: string;
  /** Default "". */
  systemPrompt?: string;
  constitutionId: string;
  constitutionVersion: number;
  modelId: string | null;
  modelFile: string;
  settings: CritiqueSettings;
  /** Default null. */
  batchId?: string | null;
  /** Default null. */
  batchIndex?: number | null;
}

/** What addStep needs. */
export type NewCritiqueStep = Omit<CritiqueStep, "createdAt">;

/** How a run ends. */
export interface CritiqueRunEnd {
  status: Exclude<CritiqueRunStatus, "running">;
  /** Default null. */
  stopReason?: CritiqueStopReason | null;
  /** Default: the text of the last stored step. */
  final?: string | null;
  /** Default null. */
  error?: string | null;
}

/** Which runs to list. */
export interface RunFilter {
  batchId?: string;
  constitutionId?: string;
  /** Only this version (with constitutionId). */
  constitutionVersion?: number;
  status?: CritiqueRunStatus;
  /** Default 100. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

// ---------------------------------------------------------------- batches

/** Batch states: `paused` after a cancel or an exit (resume continues), `complete` when every prompt has a finished run. */
export type CritiqueBatchStatus = "running" | "paused" | "complete";

/** What a batch runs every prompt with. */
export interface BatchSettings extends CritiqueSettings {
  constitutionId: string;
  constitutionVersion: number;
  /** Catalog id of the model. */
  modelId: string;
  systemPrompt: string;
}

/** A batch: one set of prompts, each taken through a critique run. */
export interface CritiqueBatch {
  id: string;
  name: string;
  promptSetId: string | null;
  prompts: string[];
  settings: BatchSettings;
  status: CritiqueBatchStatus;
  /** Prompts with a complete run / with a failed (error) run, of `prompts.length`. */
  progress: { total: number; complete: number; failed: number };
  createdAt: number;
  updatedAt: number;
}

/** What createBatch needs. */
export interface NewCritiqueBatch {
  name: string;
  /** Default null. */
  promptSetId?: string | null;
  prompts: string[];
  settings: BatchSettings;
}

// ---------------------------------------------------------------- comparisons, rankings, preferences

/** Where a comparison's responses came from. */
export type ComparisonSource = "generated" | "critique" | "manual";

/** One response of a comparison. */
export interface ComparisonResponse {
  /** Position in the comparison (0-based). */
  index: number;
  text: string;
  /** How it was made, for people ("seed 7", "Creative", "initial", "final"). */
  label: string;
  /** Null for responses people wrote. */
  provenance: Provenance | null;
}

/** A prompt with k responses to rank or judge. */
export interface Comparison {
  id: string;
  prompt: string;
  systemPrompt: string;
  source: ComparisonSource;
  /** The critique run it was made from (source "critique"). */
  runId: string | null;
  responses: ComparisonResponse[];
  createdAt: number;
}

/** A comparison in a list. */
export interface ComparisonSummary {
  id: string;
  prompt: string;
  source: ComparisonSource;
  runId: string | null;
  responseCount: number;
  /** Human rankings saved for it. */
  rankings: number;
  /** AI judgements stored for it. */
  judgements: number;
  createdAt: number;
}

/** What createComparison needs. */
export interface NewComparison {
  prompt: string;
  /** Default "". */
  systemPrompt?: string;
  source: ComparisonSource;
  /** Default null. */
  runId?: string | null;
  /** Responses known up front. Default []. */
  responses?: Omit<ComparisonResponse, "index">[];
}

/**
 * A human ranking: tiers of response indices, best tier first; responses in one tier tie.
 * Every response of the comparison appears exactly once.
 */
export interface Ranking {
  id: string;
  comparisonId: string;
  /** Who ranked (a name or handle). */
  annotator: string;
  /** The guideline they ranked by. */
  guideline: string;
  tiers: number[][];
  createdAt: number;
}

/** What saveRanking needs (a new ranking by the same annotator replaces theirs). */
export interface NewRanking {
  comparisonId: string;
  annotator: string;
  /** Default "". */
  guideline?: string;
  tiers: number[][];
}

/** One order of an AI judgement. */
export interface JudgeOrder {
  /** "ab": response a shown first; "ba": b shown first. */
  order: "ab" | "ba";
  /** What the judge said. */
  text: string;
  /** Its verdict mapped back to the pair ("a" or "b"); null when unreadable. */
  verdict: "a" | "b" | null;
}

/** How an AI preference was judged. */
export interface JudgeRecord {
  /** Both orders, "ab" first. */
  orders: JudgeOrder[];
  /** Model file of the judge. */
  modelFile: string;
  /** Provenance of the first judgement (sampling, versions). */
  provenance: Provenance | null;
}

/**
 * A preference between responses a < b of a comparison. Human ones come from rankings
 * (ties make none); AI ones from judging in both orders: `winner` is set only when the
 * two orders agree.
 */
export interface Preference {
  id: string;
  comparisonId: string;
  source: "human" | "ai";
  /** Lower response index. */
  a: number;
  /** Higher response index. */
  b: number;
  /** Which one is better; null for an AI judgement whose two orders disagreed or were unreadable. */
  winner: "a" | "b" | null;
  /** Human: the annotator. */
  annotator: string | null;
  /** Human: the guideline. */
  guideline: string | null;
  /** Human: the ranking it came from. */
  rankingId: string | null;
  /** AI: the constitution the judge used. */
  constitutionId: string | null;
  constitutionVersion: number | null;
  /** AI: the principles the judge applied. */
  principleIds: string[];
  /** AI: whether both orders gave the same verdict. */
  agreement: boolean | null;
  /** AI: both orders with their texts. */
  judge: JudgeRecord | null;
  createdAt: number;
  /** The comparison's prompt. */
  prompt: string;
  /** The comparison's system prompt. */
  systemPrompt: string;
  /** Text of response a. */
  textA: string;
  /** Text of response b. */
  textB: string;
}

/** What addPreference needs (AI judgements; human ones come from saveRanking). */
export type NewPreference = Omit<Preference, "id" | "createdAt" | "prompt" | "systemPrompt" | "textA" | "textB">;

/** Which preferences to list. */
export interface PreferenceFilter {
  comparisonId?: string;
  source?: "human" | "ai";
  annotator?: string;
  /** AI preferences judged under this constitution (human ones have none). */
  constitutionId?: string;
  /** Default 100,000. */
  limit?: number;
}
