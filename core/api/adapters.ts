// The `adapters` domain: the LoRA adapter lab. The library (GGUF adapters with their
// metadata, a compatibility badge per catalog model, tags and notes, the watched adapters
// folder), the swap of a conversation's adapter set (timed, without reloading the base),
// and three experiments: base-vs-set comparison, scale sweeps and the drift meter.
// Served by core/services/adapters.ts; the renderer's Adapters panel calls it.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { ItemErrorPacket, ProgressPacket } from "./packets.ts";
import { typedPromptSchema } from "./sampling.ts";
import type { GenerationTimings, StopReason } from "../engine/types.ts";
import type { AdapterRecord, AdapterUse } from "../history/types.ts";
import { samplingConfigSchema, type SamplingConfig } from "../sampling/config.ts";
import type { ForgettingReport, ForgettingSuiteResult } from "../evaluation/forgetting.ts";

const id = z.string().min(1).max(200);

/** Where to find the conversion guide for PEFT (safetensors) adapters, relative to the repository. */
export const LORA_CONVERSION_GUIDE = "docs/lora-conversion.md";

/** Whether an adapter fits one catalog model (architecture and every LoRA pair's tensor shapes). */
export interface AdapterCompatibility {
  /** Catalog model id. */
  modelId: string;
  /** Its display name. */
  modelName: string;
  /** The adapter can be applied to this model. */
  compatible: boolean;
  /** Why not, with llama.cpp's own wording where it has one; null when compatible. */
  reason: string | null;
}

/** A library adapter with what is known about it right now. */
export interface AdapterEntry extends AdapterRecord {
  /** The file still exists where the catalog says. */
  available: boolean;
  /** File size in bytes; null when the file is missing. */
  sizeBytes: number | null;
  /** One badge per catalog model, in catalog order. */
  compatibility: AdapterCompatibility[];
}

/** Why a file was not added to the library. */
export type AdapterRefusal =
  /** A PEFT adapter (safetensors / adapter_config.json): convert it to GGUF first. */
  | "safetensors"
  /** Not a GGUF file at all. */
  | "not_gguf"
  /** A GGUF file that fails the header checks (truncated, damaged). */
  | "corrupt"
  /** A full model, not a LoRA adapter. */
  | "not_adapter"
  /** Fits none of the catalog models (built for another base). */
  | "wrong_base"
  /** The file does not exist or cannot be read. */
  | "missing";

/** `details` of the invalid_input error that `add` rejects with. */
export interface AdapterRefusalDetails {
  refusal: AdapterRefusal;
  /** For "safetensors": the conversion guide (LORA_CONVERSION_GUIDE). */
  guide?: string;
  /** For "wrong_base": each catalog model's reason. */
  compatibility?: AdapterCompatibility[];
}

/** An adapter of a set as API callers name it: a catalog id or a file path, and a scale. */
export const adapterChoiceSchema = z
  .object({
    /** Catalog id of the adapter. */
    adapterId: id.optional(),
    /** Path of an adapter GGUF (when it is not in the catalog). */
    file: z.string().min(1).max(4096).optional(),
    /** Scale (negative subtracts the adapter). Default 1. */
    scale: z.number().min(-100).max(100).default(1),
  })
  .refine((a) => a.adapterId !== undefined || a.file !== undefined, { message: "give adapterId or file" });
export type AdapterChoice = z.input<typeof adapterChoiceSchema>;

/** An adapter set: adapters stacked with their scales. [] = the base model. */
export const adapterChoicesSchema = z.array(adapterChoiceSchema).max(16).default([]);

/** Sampling shared by the experiments: a preset and/or explicit fields, one seed for every run. */
const experimentSamplingSchema = {
  /** Use this preset's config. Default: greedy decoding (temperature 0), which shows an adapter's effect most plainly. */
  presetId: id.optional(),
  /** Use this config (missing fields take their defaults); wins over presetId. */
  sampling: samplingConfigSchema.optional(),
  /** The seed every run uses (only matters when temperature > 0). Default: random, reported back. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  /** Tokens per run (overrides the config's maxTokens). Default 64. */
  maxTokens: z.number().int().min(1).max(4096).default(64),
};

/** How long making an adapter set current took, and what it cost. */
export interface SwapResult {
  /** Catalog model id. */
  modelId: string;
  /** The set now ready, as stored on conversations. */
  adapters: AdapterUse[];
  /** Milliseconds from asking for the set until it answered one token (new context + LoRA, or a cached one). */
  swapMs: number;
  /** A new llama.cpp context was made for the set (false: one was cached). */
  contextCreated: boolean;
  /** The model had to be loaded first (not counted in swapMs). */
  modelLoaded: boolean;
  /** The engine's model-load counter after the swap (a swap never adds to it). */
  modelLoads: number;
}

/** One token of a compared output with the probability the other side gave it. */
export interface ComparedToken {
  id: number;
  piece: string;
  /** The other side's probability of this token at this position (given this side's text so far). */
  otherProb: number;
  /** Natural log of otherProb (floored at log 1e-30 where float32 underflows to 0). */
  otherLogprob: number;
  /** 1-based rank of this token in the other side's distribution. */
  otherRank: number;
}

/** Packets of `compare`; `side` 0 is A (left), 1 is B (right). */
export type AdapterComparePacket =
  /** The model is being loaded first. */
  | (ProgressPacket & { label: string })
  /** A side started, with its resolved set and config (seed included). */
  | { type: "start"; side: 0 | 1; label: string; adapters: AdapterUse[]; config: SamplingConfig }
  /** More text of a side. */
  | { type: "fragment"; side: 0 | 1; text: string; tokens: number[] }
  /** A side finished generating. */
  | { type: "done"; side: 0 | 1; text: string; tokens: number[]; stopReason: StopReason; timings: GenerationTimings }
  /** A side's tokens scored by the other side. */
  | { type: "tokens"; side: 0 | 1; tokens: ComparedToken[] }
  /** Both sides finished: where they part. */
  | {
      type: "difference";
      /** Index of the first token that differs (in both sides' token lists); null when identical. */
      firstDifference: number | null;
      /** Tokens both outputs share from the start. */
      commonPrefix: number;
    }
  /** A side failed (the other goes on); `item` is the side. */
  | ItemErrorPacket;

/** Metrics of one sweep point, all against the reference (the set without the swept adapter). */
export interface SweepMetrics {
  /** Mean natural-log probability per output token under the reference. */
  meanLogprobRef: number;
  /** exp(-meanLogprobRef): how surprising the output is to the reference. */
  perplexityRef: number;
  /** Fraction of output tokens that were the reference's most likely choice (1 = reads like the reference). */
  refAgreement: number;
  /** Output tokens scored. */
  tokens: number;
}

/** One point of a scale sweep. */
export interface SweepPoint {
  /** Position in the requested scale list. */
  index: number;
  /** Scale of the swept adapter. */
  scale: number;
  /** The output at that scale. */
  text: string;
  /** Its token ids. */
  tokenIds: number[];
  stopReason: StopReason;
  /** Scores under the reference; null when the output is empty. */
  metrics: SweepMetrics | null;
}

/** Packets of `scaleSweep`. */
export type ScaleSweepPacket =
  | (ProgressPacket & { label: string })
  /** One scale done. */
  | { type: "point"; point: SweepPoint }
  /** A scale failed (the sweep goes on); `item` is its index. */
  | ItemErrorPacket
  /** Every scale done, in scale-list order; the seed all of them used. */
  | { type: "done"; points: SweepPoint[]; seed: number; adapter: AdapterUse; others: AdapterUse[] };

/** One position of the drift meter: the distribution predicting `piece`. */
export interface DriftToken {
  /** The text's token this position predicts. */
  id: number;
  piece: string;
  /** KL(set ‖ base) of the next-token distributions, nats. */
  kl: number;
  /** log P(token) under the base (floored at log 1e-30). */
  logprobBase: number;
  /** log P(token) under the set (floored at log 1e-30). */
  logprobSet: number;
}

/** Drift summary over one text or the whole dataset. */
export interface DriftSummary {
  /** Positions measured. */
  tokens: number;
  meanKl: number;
  maxKl: number;
  /** Perplexity of the text(s) under the base. */
  perplexityBase: number;
  /** Perplexity of the text(s) under the set. */
  perplexitySet: number;
}

/** Packets of `drift`. */
export type DriftPacket =
  | (ProgressPacket & { label: string })
  /** One text measured. */
  | { type: "text"; index: number; tokens: DriftToken[]; summary: DriftSummary }
  /** A text failed (too long for the context, no tokens...); the others go on. */
  | ItemErrorPacket
  /** All texts measured; `maxAt` says where the largest KL is. */
  | { type: "done"; summary: DriftSummary; maxAt: { text: number; position: number } | null; adapters: AdapterUse[] };

/** What the folder scan did. */
export interface ScanResult {
  /** The folder scanned (the data folder's adapters folder). */
  folder: string;
  /** Adapters added to the library by this scan. */
  added: AdapterEntry[];
  /** Files already in the library. */
  known: number;
  /** Files that were not added, with the reason. */
  refused: { path: string; fileName: string; refusal: AdapterRefusal; reason: string }[];
}

/** Packets of `forgettingCheck` and `forgettingResume`. */
export type ForgettingPacket =
  /** The report was created (or resumed); it is saved before any run starts. */
  | { type: "report"; report: ForgettingReport }
  /** Items done of all items of all suites (both sides), with an ETA; `suite` is 0-based of `suites`. */
  | { type: "progress"; done: number; total: number; etaMs: number | null; label: string; suite: number; suites: number; side: "base" | "adapter" }
  /** A suite compared (or failed: `result` null, `error` set). */
  | { type: "suite"; index: number; suite: ForgettingSuiteResult }
  /** A suite failed (the check goes on); `item` is its index. */
  | ItemErrorPacket
  /** Every suite done; the stored report. */
  | { type: "done"; report: ForgettingReport };

/** Input of `forgettingCheck`. */
export const forgettingCheckInputSchema = z.object({
  modelId: id,
  /** The adapter set checked against the base (at least one adapter). */
  adapters: z.array(adapterChoiceSchema).min(1).max(16),
  /** Suites to run, each marked target (the adapter was meant for it) or guard (default: watched for forgetting). */
  suites: z
    .array(z.object({ suiteId: id, role: z.enum(["target", "guard"]).default("guard") }))
    .min(1)
    .max(50)
    .refine((s) => new Set(s.map((x) => x.suiteId)).size === s.length, { message: "each suite once" }),
  /** Decode with this preset's sampling fields (temperature, top-k...; each suite keeps its maxTokens and stops). Default: each suite's own sampling. */
  presetId: id.optional(),
  /** Sampling seed shared by base and adapter runs (matters when temperature > 0). Default: random, stored in the report. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  /** Flag a guard suite when its whole 95% CI is below -threshold (metric units, >= 0). Default 0 (any significant drop). */
  threshold: z.number().min(0).max(1_000_000).default(0),
  /** Bootstrap resamples. Default 1000. */
  samples: z.number().int().min(10).max(100_000).default(1000),
  /** Bootstrap seed. Default 12345. */
  bootstrapSeed: z.number().int().min(0).max(0xffff_ffff).default(12345),
  /** Evaluate only the first N items of each suite. Default all. */
  limit: z.number().int().min(1).max(1_000_000).optional(),
  /** A label for the report list. Default "". */
  label: z.string().max(200).default(""),
});
export type ForgettingCheckInput = z.input<typeof forgettingCheckInputSchema>;

/** The forgetting check (served by core/services/forgetting.ts, spread into adaptersApi). */
export const forgettingMethods = {
  /**
   * Runs each suite on the base and under the adapter set (ordinary, resumable evaluation
   * runs), then per suite the primary metric's delta with a paired bootstrap CI; guard
   * suites whose CI lies below -threshold are flagged as forgetting. Cancel = abort.
   */
  forgettingCheck: stream(forgettingCheckInputSchema).yields<ForgettingPacket>(),
  /** Continues a cancelled, paused or failed check: finished runs are kept, unfinished ones resume. */
  forgettingResume: stream(z.object({ id })).yields<ForgettingPacket>(),
  /** Stored reports, newest first. */
  forgettingReports: unary(z.object({})).returns<ForgettingReport[]>(),
  /** One stored report. */
  forgettingReport: unary(z.object({ id })).returns<ForgettingReport>(),
  /** Deletes a report (its evaluation runs stay). */
  forgettingDelete: unary(z.object({ id })).returns<{ deleted: boolean }>(),
};

export const adaptersApi = {
  /** The library: every adapter with metadata, availability and a compatibility badge per catalog model. */
  list: unary(z.object({})).returns<{ adapters: AdapterEntry[]; folder: string }>(),
  /**
   * Adds an adapter GGUF by path after checking it: a non-adapter, a corrupt file, a PEFT
   * safetensors adapter (with the conversion guide) or an adapter that fits none of the
   * catalog models is refused with the reason (invalid_input, details: AdapterRefusalDetails).
   */
  add: unary(
    z.object({
      /** Absolute path of the file. */
      path: z.string().min(1).max(4096),
      /** Display name. Default: general.name, else the file name. */
      name: z.string().trim().min(1).max(200).optional(),
      /** Tags. Default []. */
      tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
      /** Notes. Default "". */
      notes: z.string().max(20_000).optional(),
      /** Add even when no catalog model fits (the base model comes later). Default false. */
      force: z.boolean().default(false),
    }),
  ).returns<AdapterEntry>(),
  /** Removes an adapter from the library (the file stays; conversations keep its path). */
  remove: unary(z.object({ id })).returns<{ removed: boolean }>(),
  /** Changes name, tags or notes. */
  update: unary(
    z.object({
      id,
      name: z.string().trim().min(1).max(200).optional(),
      tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
      notes: z.string().max(20_000).optional(),
    }),
  ).returns<AdapterEntry>(),
  /** Adds every new adapter GGUF found in the adapters folder; reports what it refused and why. */
  scan: unary(z.object({})).returns<ScanResult>(),
  /**
   * Makes an adapter set ready on its model and times it: a conversation's current set
   * (after history.updateConversation), or a model and set given here. Never reloads the base.
   */
  prepare: unary(
    z
      .object({
        /** Use this conversation's model and adapter set. */
        conversationId: id.optional(),
        /** Or this catalog model ... */
        modelId: id.optional(),
        /** ... with this set. Default []. */
        adapters: adapterChoicesSchema,
      })
      .refine((i) => i.conversationId !== undefined || i.modelId !== undefined, { message: "give conversationId or modelId" }),
  ).returns<SwapResult>(),
  /**
   * Same prompt and seed through two adapter sets (A defaults to the base), streamed side by
   * side; then each side's tokens scored by the other side and the first differing token.
   */
  compare: stream(
    z.object({
      modelId: id,
      prompt: typedPromptSchema,
      /** Set A (left). Default [] (the base model). */
      setA: adapterChoicesSchema,
      /** Set B (right). */
      setB: adapterChoicesSchema,
      ...experimentSamplingSchema,
    }),
  ).yields<AdapterComparePacket>(),
  /**
   * Runs one prompt with one adapter at each scale of a list (same seed), and scores every
   * output under the reference (the set without that adapter). Sweeping an evaluation
   * suite instead of a prompt is served by the evaluation runner (issue 8), not here.
   */
  scaleSweep: stream(
    z.object({
      modelId: id,
      prompt: typedPromptSchema,
      /** The swept adapter (its scale field is ignored). */
      adapter: adapterChoiceSchema,
      /** Other adapters kept at their scales at every point. Default []. */
      others: adapterChoicesSchema,
      /** Scales to run, in order (1-41 of them, each -4..4). */
      scales: z.array(z.number().min(-4).max(4)).min(1).max(41),
      ...experimentSamplingSchema,
    }),
  ).yields<ScaleSweepPacket>(),
  /**
   * The drift meter: over a text or a dataset of texts, per-token KL(set ‖ base) of the
   * next-token distributions and the log-probability of each token under both, with
   * perplexity under each and a mean/max summary. Each text must fit in the context.
   */
  drift: stream(
    z.object({
      modelId: id,
      /** The adapter set measured against the base. */
      adapters: adapterChoicesSchema,
      /** The text, or the dataset's texts (1-1000, each at least 2 tokens). */
      texts: z.array(z.string().min(1).max(1_000_000)).min(1).max(1000),
    }),
  ).yields<DriftPacket>(),
  ...forgettingMethods,
};
