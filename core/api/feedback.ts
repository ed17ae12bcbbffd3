// The `feedback` domain: comparisons (k responses to one prompt, generated with
// different seeds or presets, typed in, or taken from a critique run), human rankings
// with ties turned into pairwise preferences, AI judging in both orders (RLAIF), the
// stored preferences, and the agreement between human and AI judges (percent, kappa).
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { ItemErrorPacket, ProgressPacket } from "./packets.ts";
import type { AgreementReport } from "../critique/agreement.ts";
import { DEFAULT_CONSTITUTION_ID } from "../critique/constitution.ts";
import { principleIdSchema, type Comparison, type ComparisonResponse, type ComparisonSummary, type JudgeOrder, type Preference, type Ranking } from "../critique/types.ts";
import { samplingConfigSchema } from "../sampling/config.ts";

const id = z.string().min(1).max(200);

/** Input of `generate`: k responses to one prompt. */
export const generateComparisonSchema = z
  .object({
    /** Catalog id of the model. */
    modelId: id,
    /** The request (1 to 100k characters). */
    prompt: z.string().trim().min(1).max(100_000),
    /** System prompt. Default "". */
    systemPrompt: z.string().max(100_000).default(""),
    /**
     * "seeds": k responses with one sampling config (the preset, default Balanced) and
     * different seeds; "presets": one response per preset in `presetIds`.
     */
    variation: z.enum(["seeds", "presets"]).default("seeds"),
    /** Responses to generate with "seeds" (2-8). Default 4. */
    k: z.number().int().min(2).max(8).default(4),
    /** The preset for "seeds". Default "builtin-balanced". */
    presetId: id.default("builtin-balanced"),
    /** The seeds for "seeds" (k of them). Default: `firstSeed`, +1, +2, ... */
    seeds: z.array(z.number().int().min(0).max(0xffff_ffff)).min(2).max(8).optional(),
    /** First seed when `seeds` is not given. Default 1. */
    firstSeed: z.number().int().min(0).max(0xffff_ffff - 8).default(1),
    /** The presets for "presets" (2-8). */
    presetIds: z.array(id).min(2).max(8).optional(),
    /** Tokens per response; overrides the preset's maxTokens. */
    maxTokens: z.number().int().min(1).max(32_768).optional(),
  })
  .refine((g) => g.variation !== "presets" || g.presetIds !== undefined, { message: "presetIds is required with variation \"presets\"", path: ["presetIds"] })
  .refine((g) => g.seeds === undefined || g.seeds.length === g.k, { message: "give k seeds", path: ["seeds"] });
export type GenerateComparisonInput = z.input<typeof generateComparisonSchema>;

/** Packets of `generate`: [loading*] comparison (start fragment* response)* done. */
export type ComparisonPacket =
  | (ProgressPacket & { label: string })
  /** The comparison was stored (no responses yet). */
  | { type: "comparison"; comparison: Comparison }
  /** Response `index` starts. */
  | { type: "start"; index: number; label: string }
  | { type: "fragment"; index: number; text: string }
  /** Response `index` is finished and stored. */
  | { type: "response"; response: ComparisonResponse }
  | ItemErrorPacket
  | { type: "done"; comparison: Comparison };

/** Input of `judge`. */
export const judgeInputSchema = z.object({
  comparisonId: id,
  /** Catalog id of the judge model. */
  modelId: id,
  /** Constitution the judge applies. Default the builtin one. */
  constitutionId: id.default(DEFAULT_CONSTITUTION_ID),
  /** Its version. Default the newest. */
  constitutionVersion: z.number().int().min(1).optional(),
  /** Principles to judge by. Default all of the constitution's. */
  principleIds: z.array(principleIdSchema).min(1).max(50).optional(),
  /** Pairs of response indices to judge. Default every pair. */
  pairs: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).min(1).max(200).optional(),
  /** Sampling preset. Default greedy. */
  presetId: id.default("builtin-greedy"),
  /** A full sampling config; overrides the preset. */
  sampling: samplingConfigSchema.optional(),
  /** Only "A" or "B" may be answered (a grammar). Default true. */
  constrain: z.boolean().default(true),
  /** System prompt. Default "". */
  systemPrompt: z.string().max(100_000).default(""),
});
export type JudgeInput = z.input<typeof judgeInputSchema>;

/** Packets of `judge`: per pair judging/verdict for both orders, then the stored preference; done with agreement. */
export type JudgePacket =
  | (ProgressPacket & { label: string })
  /** The judge reads pair (a, b) in this order. */
  | { type: "judging"; a: number; b: number; order: "ab" | "ba" }
  | { type: "verdict"; a: number; b: number; order: JudgeOrder }
  /** The pair's AI preference was stored (winner null when the orders disagreed). */
  | { type: "preference"; preference: Preference }
  | { type: "done"; preferences: Preference[]; agreement: AgreementReport };

/** Filters of preferences and agreement. */
export const preferenceFilterSchema = z.object({
  comparisonId: id.optional(),
  source: z.enum(["human", "ai"]).optional(),
  annotator: z.string().min(1).max(200).optional(),
  constitutionId: id.optional(),
});

export const feedbackApi = {
  /** Generates k responses to a prompt (seeds or presets) into a new comparison. */
  generate: stream(generateComparisonSchema).yields<ComparisonPacket>(),
  /** A comparison of responses people give. */
  addComparison: unary(
    z.object({
      prompt: z.string().trim().min(1).max(100_000),
      systemPrompt: z.string().max(100_000).default(""),
      /** 2-16 responses. */
      responses: z
        .array(z.object({ text: z.string().min(1).max(1_000_000), label: z.string().max(200).default("") }))
        .min(2)
        .max(16),
    }),
  ).returns<Comparison>(),
  /** A comparison of a critique run's initial and final answers (index 0 and 1). */
  fromRun: unary(z.object({ runId: id })).returns<Comparison>(),
  listComparisons: unary(
    z.object({ limit: z.number().int().min(1).max(1000).default(100), offset: z.number().int().min(0).default(0) }),
  ).returns<ComparisonSummary[]>(),
  getComparison: unary(z.object({ id })).returns<Comparison>(),
  deleteComparison: unary(z.object({ id })).returns<{ deleted: boolean }>(),

  /**
   * Saves a person's ranking (tiers, best first; a tier holds responses that tie) and
   * its pairwise preferences: n(n-1)/2 minus tied pairs. Replaces the annotator's earlier ranking.
   */
  rank: unary(
    z.object({
      comparisonId: id,
      /** Who ranked. */
      annotator: z.string().trim().min(1).max(200),
      /** The guideline they followed. Default "". */
      guideline: z.string().max(10_000).default(""),
      /** Tiers of response indices, best first. */
      tiers: z.array(z.array(z.number().int().min(0)).min(1)).min(1).max(16),
    }),
  ).returns<{ ranking: Ranking; preferences: Preference[] }>(),
  rankings: unary(z.object({ comparisonId: id })).returns<Ranking[]>(),

  /** The model judges pairs under a constitution, each in both orders; stores one AI preference per pair. */
  judge: stream(judgeInputSchema).yields<JudgePacket>(),
  /** Stored preferences, oldest first. */
  preferences: unary(preferenceFilterSchema).returns<Preference[]>(),
  /** Human vs AI agreement over the pairs both judged (percent and Cohen's kappa). */
  agreement: unary(preferenceFilterSchema.omit({ source: true })).returns<AgreementReport>(),
};
