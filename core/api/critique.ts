// The `critique` domain: constitutions (versioned, import/export as JSON), prompt sets
// (JSONL, CSV or lines, plus the builtin red-team set), critique runs streamed step by
// step, batches over a prompt set with progress, cancel (abort the stream) and resume,
// the initial-vs-final diff, and training-data export (SFT and preference JSONL) with
// counts before writing. Preferences themselves belong to the `feedback` domain.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { ItemErrorPacket, ProgressPacket } from "./packets.ts";
import { DEFAULT_CONSTITUTION_ID } from "../critique/constitution.ts";
import type { DiffPart } from "../critique/diff.ts";
import { promptListFormats } from "../critique/promptSets.ts";
import { defaultStopCheck } from "../critique/stopCheck.ts";
import {
  constitutionContentSchema,
  principleChoiceSchema,
  stopCheckSchema,
  type Constitution,
  type ConstitutionSummary,
  type ConstitutionVersionInfo,
  type CritiqueBatch,
  type CritiquePhase,
  type CritiqueRun,
  type CritiqueRunDetail,
  type CritiqueStep,
  type PromptSet,
  type PromptSetSummary,
} from "../critique/types.ts";
import { samplingConfigSchema } from "../sampling/config.ts";

const id = z.string().min(1).max(200);

/** How a run (or every run of a batch) is made. */
export const critiqueSettingsSchema = z.object({
  /** Catalog id of the model that answers, critiques and revises. */
  modelId: id,
  /** Constitution to critique by. Default the builtin one. */
  constitutionId: id.default(DEFAULT_CONSTITUTION_ID),
  /** Its version. Default the newest. */
  constitutionVersion: z.number().int().min(1).optional(),
  /** Critique/revision rounds (0-10). Default 2. */
  rounds: z.number().int().min(0).max(10).default(2),
  /** How each round's principles are picked. Default "roundRobin". */
  principleChoice: principleChoiceSchema.default("roundRobin"),
  /** Run seed (principle draws, sampling seeds). Default random, recorded with the run. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  /** When a critique means "nothing to fix" (early stop). Default: it opens with "No issues" or a similar phrase. */
  stopCheck: stopCheckSchema.default(defaultStopCheck),
  /** Sampling preset. Default none (the sampling defaults, or `sampling`). */
  presetId: id.optional(),
  /** A full sampling config; overrides the preset. */
  sampling: samplingConfigSchema.optional(),
  /** Tokens per generation; overrides the preset's or config's maxTokens. */
  maxTokens: z.number().int().min(1).max(32_768).optional(),
  /** System prompt every generation sees. Default "". */
  systemPrompt: z.string().max(100_000).default(""),
});
export type CritiqueSettingsInput = z.input<typeof critiqueSettingsSchema>;

/** Input of `run`. */
export const critiqueRunInputSchema = critiqueSettingsSchema.extend({
  /** The request to answer and critique (1 to 100k characters). */
  prompt: z.string().trim().min(1).max(100_000),
  /** Critique this answer instead of generating the first one. */
  initial: z.string().min(1).max(1_000_000).optional(),
});
export type CritiqueRunInput = z.input<typeof critiqueRunInputSchema>;

/** Packets of a critique run, in order: [loading*] run (phase fragment* step)* done. */
export type CritiquePacket =
  /** The model is being loaded first. */
  | (ProgressPacket & { label: string })
  /** The run was stored (status running). */
  | { type: "run"; run: CritiqueRun }
  /** A generation starts: step 0 "response", then per round "critique" and "revision". */
  | { type: "phase"; step: number; phase: CritiquePhase; principleIds: string[] }
  /** More text of the running generation. */
  | { type: "fragment"; step: number; phase: CritiquePhase; text: string }
  /** A step is finished and stored. */
  | { type: "step"; step: CritiqueStep }
  /** The run ended (complete, stopped when cancelled, or error with the engine's reason). */
  | { type: "done"; run: CritiqueRunDetail };

/** Input of `startBatch`: prompts from a stored set or given inline, plus the run settings. */
export const critiqueBatchInputSchema = critiqueSettingsSchema
  .extend({
    /** Name of the batch. Default: the prompt set's name, or "Batch". */
    name: z.string().trim().min(1).max(200).optional(),
    /** A stored prompt set. */
    promptSetId: id.optional(),
    /** Prompts given inline (1-10,000). */
    prompts: z.array(z.string().trim().min(1).max(100_000)).min(1).max(10_000).optional(),
  })
  .refine((b) => (b.promptSetId === undefined) !== (b.prompts === undefined), {
    message: "give exactly one of promptSetId and prompts",
    path: ["prompts"],
  });

/** Packets of a batch: batch, then per prompt item phase* itemDone, with progress; done at the end. */
export type BatchPacket =
  /** Prompts finished so far of the total; also model loading. */
  | (ProgressPacket & { label: string })
  /** The batch as stored (status running). */
  | { type: "batch"; batch: CritiqueBatch }
  /** A prompt's run starts. */
  | { type: "item"; index: number; prompt: string; runId: string }
  /** A generation of the current prompt starts. */
  | { type: "phase"; index: number; step: number; phase: CritiquePhase }
  /** A prompt's run ended. */
  | { type: "itemDone"; index: number; run: CritiqueRun }
  /** A prompt's run failed (the batch goes on). */
  | ItemErrorPacket
  /** Every prompt has a finished run (or failed). */
  | { type: "done"; batch: CritiqueBatch };

/** What an export selects and how it is written. */
export const exportRequestSchema = z.object({
  /** "sft": finished runs as chat transcripts; "preferences": chosen/rejected pairs. */
  kind: z.enum(["sft", "preferences"]),
  /** Preference record shape. Default "plain". */
  form: z.enum(["plain", "conversational"]).default("plain"),
  /** Only runs (SFT) or AI judgements and critique comparisons (preferences) of this constitution. */
  constitutionId: id.optional(),
  /** Only this constitution version (SFT). */
  constitutionVersion: z.number().int().min(1).optional(),
  /** Only runs of this batch (SFT). */
  batchId: id.optional(),
  /** Preferences from people, the AI judge, or both. Default "all". */
  source: z.enum(["all", "human", "ai"]).default("all"),
  /** Only this annotator's preferences. */
  annotator: z.string().min(1).max(200).optional(),
  /** "humanAndAi": only human preferences the AI judge agreed with. Default "any". */
  agreement: z.enum(["any", "humanAndAi"]).default("any"),
  /** Also write the file here (an absolute path on the shell's machine). Default: only return the text. */
  path: z.string().min(1).max(4096).optional(),
});
export type ExportRequest = z.input<typeof exportRequestSchema>;

/** What an export would write, shown before writing. */
export interface ExportPreview {
  kind: "sft" | "preferences";
  /** Lines the file would have. */
  count: number;
  /** Candidates left out, by reason ("unfinished runs", "identical texts", "AI undecided", "disagreement"). */
  excluded: Record<string, number>;
  /** The first line, for a look at the shape; null when empty. */
  sample: string | null;
  /** Suggested file name. */
  fileName: string;
}

/** A written export. */
export interface ExportResult extends ExportPreview {
  /** The JSONL text (the browser shell downloads it as a file). */
  text: string;
  /** Where it was written, when a path was given. */
  path: string | null;
}

export const critiqueApi = {
  /** Constitutions (newest version of each). */
  listConstitutions: unary(z.object({ includeArchived: z.boolean().default(false) })).returns<ConstitutionSummary[]>(),
  /** One version of a constitution (default the newest). */
  getConstitution: unary(z.object({ id, version: z.number().int().min(1).optional() })).returns<Constitution>(),
  /** A constitution's versions, newest first, with how many runs used each. */
  constitutionVersions: unary(z.object({ id })).returns<ConstitutionVersionInfo[]>(),
  /** Creates a constitution, or a new version of `id` when the content changed. */
  saveConstitution: unary(constitutionContentSchema.safeExtend({ id: id.optional() })).returns<Constitution>(),
  /** Hides a constitution from the list (runs keep their versions). */
  archiveConstitution: unary(z.object({ id })).returns<{ archived: boolean }>(),
  /** Reads a constitution file (JSON) into a new constitution, or a new version of `id`. */
  importConstitution: unary(z.object({ text: z.string().min(1).max(1_000_000), id: id.optional() })).returns<Constitution>(),
  /** A constitution version as a JSON file. */
  exportConstitution: unary(z.object({ id, version: z.number().int().min(1).optional() })).returns<{ text: string; fileName: string }>(),

  /** Prompt sets, builtin first. */
  listPromptSets: unary(z.object({})).returns<PromptSetSummary[]>(),
  getPromptSet: unary(z.object({ id })).returns<PromptSet>(),
  /** Reads a prompt list (JSONL, CSV with a prompt column, or one prompt per line) into a new set. */
  importPromptSet: unary(
    z.object({
      /** Unique name of the set. */
      name: z.string().trim().min(1).max(200),
      /** The file's text (up to 20 MB). */
      text: z.string().min(1).max(20_000_000),
      /** How to read it. Default "auto". */
      format: z.enum(promptListFormats).default("auto"),
    }),
  ).returns<PromptSet>(),
  deletePromptSet: unary(z.object({ id })).returns<{ deleted: boolean }>(),

  /** Runs the critique loop on one prompt, streaming every generation and storing each step. */
  run: stream(critiqueRunInputSchema).yields<CritiquePacket>(),
  /** Runs, newest first (batch runs by index). */
  listRuns: unary(
    z.object({
      batchId: id.optional(),
      constitutionId: id.optional(),
      status: z.enum(["running", "complete", "stopped", "error", "interrupted"]).optional(),
      limit: z.number().int().min(1).max(10_000).default(100),
      offset: z.number().int().min(0).default(0),
    }),
  ).returns<CritiqueRun[]>(),
  getRun: unary(z.object({ id })).returns<CritiqueRunDetail>(),
  deleteRun: unary(z.object({ id })).returns<{ deleted: boolean }>(),
  /** Word diff between two steps of a run. Default: the initial answer against the final one. */
  diff: unary(
    z.object({ runId: id, from: z.number().int().min(0).optional(), to: z.number().int().min(0).optional() }),
  ).returns<{ parts: DiffPart[]; added: number; removed: number }>(),

  /** Starts a batch and runs it; aborting pauses it (the current prompt's run is kept as stopped). */
  startBatch: stream(critiqueBatchInputSchema).yields<BatchPacket>(),
  /** Continues a paused batch with the prompts that have no complete run. */
  resumeBatch: stream(z.object({ batchId: id })).yields<BatchPacket>(),
  listBatches: unary(z.object({})).returns<CritiqueBatch[]>(),
  getBatch: unary(z.object({ id })).returns<CritiqueBatch>(),

  /** What an export would write: counts, exclusions, a sample line. */
  exportPreview: unary(exportRequestSchema).returns<ExportPreview>(),
  /** Writes an export: returns the JSONL text, and writes it to `path` when given. */
  export: unary(exportRequestSchema).returns<ExportResult>(),
};
