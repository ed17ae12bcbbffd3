// The `sampling` domain: the sampling lab. Explains the next-token distribution under a
// config (raw top tokens plus what each chain stage keeps), compares 2-4 configs on one
// prompt side by side (streamed per column, optionally saved as a conversation and
// reopened), shows a message's tokens with probabilities and alternatives, branches a
// message at a token, tokenizes text, counts prompt tokens against the context, moves
// presets in and out as JSON, and keeps prompt-builder templates.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { ChatPacket } from "./chat.ts";
import { adapterUseSchema } from "./history.ts";
import type { ItemErrorPacket, ProgressPacket } from "./packets.ts";
import type { DistributionSummary, GenerationTimings, ResponseTokenProb, StopReason } from "../engine/types.ts";
import type { AdapterUse, Preset, PromptTemplate } from "../history/types.ts";
import { samplingConfigSchema, type SamplingConfig } from "../sampling/config.ts";
import type { DistributionToken, SamplingExplanation } from "../sampling/explain.ts";
import { promptSpecSchema, type PromptSpec } from "../sampling/promptBuilder.ts";

const id = z.string().min(1).max(200);

/** A typed prompt: plain text, sent raw or as one user message through the chat template. */
export const typedPromptSchema = z.object({
  /** The prompt text. */
  text: z.string().max(1_000_000),
  /** true: a user message in the model's chat template; false: raw completion of the text. Default true. */
  chat: z.boolean().default(true),
  /** System prompt for chat prompts. Default none. */
  systemPrompt: z.string().max(100_000).optional(),
});
export type TypedPrompt = z.input<typeof typedPromptSchema>;

/** What the explained distribution is conditioned on. */
export const explainContextSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("conversation"),
    conversationId: id,
    /** Branch leaf to explain after; default the conversation's current leaf. An assistant leaf is continued. */
    leafId: id.optional(),
  }),
  z.object({ kind: z.literal("prompt"), prompt: typedPromptSchema }),
]);

/** The explainer's result: enough for the renderer to re-run the math locally as sliders move. */
export interface ExplainResult {
  /** Catalog id of the model used. */
  modelId: string;
  /** Its display name. */
  modelName: string;
  /** Tokens the distribution is conditioned on. */
  contextTokens: number;
  /** Vocabulary size of the model. */
  vocabSize: number;
  /** The model's top tokens (up to topN), most likely first. */
  distribution: DistributionToken[];
  /** Entropy of the model's whole distribution (nats), from the engine. */
  rawEntropy: number;
  /** Response tokens so far (what the repeat penalty looks at). */
  recentTokens: number[];
  /** Newline token id (the repeat penalty skips it unless told). */
  newlineToken: number | null;
  /** The config's token bias with text entries tokenized. */
  tokenBias: { id: number; logit: number | "never" }[];
  /** End-of-generation tokens (token bias does not apply to them). */
  eogTokens: number[];
  /** The config, every default filled in. */
  config: SamplingConfig;
  /** The stage-by-stage explanation of that config (core/sampling/explain.ts). */
  explanation: SamplingExplanation;
  /** llama.cpp's own distribution after the chain, as a cross-check (null when not asked or greedy). */
  engine: DistributionSummary | null;
}

/** One column of a comparison. */
export const compareColumnSchema = z.object({
  /** Heading of the column. Default: the preset's name, or "Custom". */
  label: z.string().min(1).max(100).optional(),
  /** Start from this preset. */
  presetId: id.optional(),
  /** Config to use instead of the preset's (missing fields take their defaults). */
  config: samplingConfigSchema.optional(),
  /** Adapter set for this column. Default [] (the base model). */
  adapters: z.array(adapterUseSchema).max(16).default([]),
});
export type CompareColumnInput = z.input<typeof compareColumnSchema>;

/** Packets of a comparison; `column` indexes the input columns. */
export type ComparePacket =
  /** The model is being loaded first. */
  | (ProgressPacket & { label: string })
  /** A column started, with its resolved config (seed included). */
  | { type: "start"; column: number; label: string; config: SamplingConfig; adapters: AdapterUse[] }
  /** More text of a column. */
  | { type: "fragment"; column: number; text: string; tokens: number[] }
  /** A column finished. */
  | {
      type: "done";
      column: number;
      text: string;
      tokens: number[];
      seed: number;
      stopReason: StopReason;
      timings: GenerationTimings;
    }
  /** Per-token probabilities of a finished column (raw model probabilities, with alternatives). */
  | { type: "tokens"; column: number; tokens: ResponseTokenProb[] }
  /** A column failed (the others go on); `item` is the column index. */
  | ItemErrorPacket
  /** The comparison was saved as a conversation: one user message, one assistant sibling per column. */
  | { type: "saved"; conversationId: string; messageIds: (string | null)[] };

/** A saved comparison, reopened. */
export interface SavedComparison {
  conversationId: string;
  /** Catalog model id (null when removed). */
  modelId: string | null;
  prompt: { text: string; chat: boolean; systemPrompt: string };
  columns: {
    messageId: string;
    label: string;
    config: SamplingConfig;
    adapters: AdapterUse[];
    text: string;
    seed: number | null;
    tokensPerSecond: number | null;
  }[];
}

/** A tokenized text for the tokenizer view. */
export interface TokenizeResult {
  tokens: {
    id: number;
    piece: string;
    special: boolean;
    /** UTF-8 bytes of the piece; null when the token is part of a character split across tokens (0 for special tokens). */
    bytes: number | null;
  }[];
  /** Token count. */
  count: number;
  /** Characters (code points) of the text. */
  characters: number;
  /** UTF-8 bytes of the text. */
  bytes: number;
  /** bytes / count (0 for no tokens). */
  bytesPerToken: number;
  /** Special tokens among them. */
  specialCount: number;
}

/** A message's tokens with probabilities, for the token view. */
export interface MessageTokens {
  messageId: string;
  /** Catalog model id scored with. */
  modelId: string;
  tokens: ResponseTokenProb[];
  sumLogprob: number;
}

export const samplingApi = {
  /** Next-token distribution of a conversation or typed prompt, and what a config does to it stage by stage. */
  explain: unary(
    z.object({
      /** Catalog model; default the conversation's model (required for a typed prompt). */
      modelId: id.optional(),
      context: explainContextSchema,
      /** Response generated so far (appended after the context, seen by the repeat penalty). Default none. */
      response: z.string().max(1_000_000).optional(),
      /** The config to explain; missing fields take their defaults. */
      config: samplingConfigSchema.default(() => samplingConfigSchema.parse({})),
      /** Top tokens to return (the explainer's math runs over these). Default 1000. */
      topN: z.number().int().min(1).max(1000).default(1000),
      /** Also ask llama.cpp for its own distribution after the chain. Default true. */
      engineCheck: z.boolean().default(true),
    }),
  ).returns<ExplainResult>(),
  /**
   * One prompt, 1-4 configs at once (the UI offers 2-4; one column is a single run with the
   * same settings): packets per column, then per-token probabilities; optionally saved.
   */
  compare: stream(
    z.object({
      modelId: id,
      prompt: typedPromptSchema,
      columns: z.array(compareColumnSchema).min(1).max(4),
      /** Every column uses the same seed (so only the config differs). Default true. */
      sameSeed: z.boolean().default(true),
      /**
       * With sameSeed: the seed of every column. Otherwise: the first column's seed unless its
       * config has one (other columns use their config's seed or a random one). Default random.
       */
      seed: z.number().int().min(0).max(0xffff_ffff).optional(),
      /** Overrides every column's maxTokens. */
      maxTokens: z.number().int().min(1).max(100_000).optional(),
      /** Send per-token probabilities after each column. Default true. */
      probabilities: z.boolean().default(true),
      /** Save the comparison to history (a conversation tagged "comparison"). Default false. */
      save: z.boolean().default(false),
    }),
  ).yields<ComparePacket>(),
  /** A saved comparison's prompt and columns. */
  openComparison: unary(z.object({ conversationId: id })).returns<SavedComparison>(),
  /** Tokens of a stored assistant message with their probabilities and top alternatives. */
  messageTokens: unary(
    z.object({
      messageId: id,
      /** Alternatives per token. Default 5. */
      topN: z.number().int().min(0).max(20).default(5),
    }),
  ).returns<MessageTokens>(),
  /**
   * Branches an assistant message at a token: a sibling that keeps the tokens before
   * `tokenIndex`, puts `tokenId` there, and continues generating from it.
   */
  branch: stream(
    z.object({
      messageId: id,
      /** Index of the replaced token in the message (as messageTokens numbers them). */
      tokenIndex: z.number().int().min(0),
      /** The alternative token to put there. */
      tokenId: z.number().int().min(0),
      /** Overrides the preset's maxTokens for the continuation. */
      maxTokens: z.number().int().min(1).max(100_000).optional(),
    }),
  ).yields<ChatPacket>(),
  /** Pieces, ids, special flags and bytes of a text. */
  tokenize: unary(
    z.object({
      modelId: id,
      text: z.string().max(1_000_000),
      /** Parse special-token texts ("<|im_end|>") as special tokens. Default true. */
      specialTokens: z.boolean().default(true),
    }),
  ).returns<TokenizeResult>(),
  /** Tokens a prompt takes (raw text or chat turns) against the model's context size. */
  countTokens: unary(
    z.object({
      modelId: id,
      /** Raw text (counted as completion input). */
      text: z.string().max(2_000_000).optional(),
      /** Chat turns (counted through the chat template). */
      messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(1_000_000) })).max(1000).optional(),
    }),
  ).returns<{ tokens: number; contextSize: number }>(),
  /** Presets as a JSON file (all user presets, or the given ids). */
  exportPresets: unary(z.object({ ids: z.array(id).max(1000).optional() })).returns<{ json: string; count: number }>(),
  /** Adds presets from a JSON file; a name that exists is renamed, skipped or replaced. All or nothing. */
  importPresets: unary(
    z.object({
      json: z.string().min(1).max(10_000_000),
      /** What to do when a name exists. Default "rename" ("Name (2)"). Builtin presets are never replaced. */
      onConflict: z.enum(["rename", "skip", "replace"]).default("rename"),
    }),
  ).returns<{ imported: Preset[]; skipped: string[] }>(),
  /** Saved prompt templates, by name. */
  listTemplates: unary(z.object({})).returns<(PromptTemplate & { spec: PromptSpec })[]>(),
  /** Creates or updates a prompt template. */
  saveTemplate: unary(z.object({ id: id.optional(), name: z.string().trim().min(1).max(100), spec: promptSpecSchema })).returns<
    PromptTemplate & { spec: PromptSpec }
  >(),
  deleteTemplate: unary(z.object({ id })).returns<{ deleted: boolean }>(),
};
