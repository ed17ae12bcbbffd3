// The sampling configuration every generation, preset and explainer shares: the type,
// its zod schema with ranges and defaults, and the order in which llama.cpp applies it.
// The engine host maps it onto node-llama-cpp (engine/host/sampling.ts); presets, the
// sampling lab and the API validate against `samplingConfigSchema`.
//
// Sampler chain order (what llama.cpp v0.4.0 does through node-llama-cpp 3.21.1):
//
//   token bias -> repetition penalties -> DRY -> top-k -> top-p -> min-p -> XTC
//   -> temperature -> dist(seed)
//
// - temperature 0 is greedy: the chain becomes token bias -> penalties -> DRY -> XTC ->
//   argmax; top-k, top-p, min-p and the seed have no effect.
// - Probabilities shown "after sampling" are the softmax of the logits left after the
//   chain (truncated tokens are gone, temperature applied), i.e. what dist() draws from.
// - The repetition penalty looks at the last `repeatPenalty.lastTokens` generated tokens;
//   DRY looks at the tokens generated in this response.
import { z } from "zod";

/** One token bias entry: a token (id, or text whose tokens are all biased) and a logit offset or "never". */
export const tokenBiasEntrySchema = z.object({
  /** Token id, or a text: every token the text tokenizes to gets the bias. */
  token: z.union([z.number().int().nonnegative(), z.string().min(1).max(200)]),
  /** Added to the token's logit (-100..100), or "never" to ban it (EOS/EOT cannot be banned). */
  logit: z.union([z.number().min(-100).max(100), z.literal("never")]),
});
export type TokenBiasEntry = z.infer<typeof tokenBiasEntrySchema>;

/** Repetition penalty (llama.cpp `penalties` sampler). Off when penalty is 1 and both extra penalties are 0. */
export const repeatPenaltySchema = z.object({
  /** Divides positive logits (multiplies negative ones) of recent tokens; 1 = off. Default 1. */
  penalty: z.number().min(0).max(10).default(1),
  /** Subtracted once per occurrence of a recent token (-2..2). Default 0. */
  frequencyPenalty: z.number().min(-2).max(2).default(0),
  /** Subtracted once from every recent token (-2..2). Default 0. */
  presencePenalty: z.number().min(-2).max(2).default(0),
  /** How many of the last generated tokens count as "recent" (0 = penalties off). Default 64. */
  lastTokens: z.number().int().min(0).max(8192).default(64),
  /** Whether the newline token may be penalised. Default false. */
  penalizeNewLine: z.boolean().default(false),
});
export type RepeatPenaltyConfig = z.infer<typeof repeatPenaltySchema>;

/** DRY ("don't repeat yourself") penalty. Off when multiplier is 0. */
export const drySchema = z.object({
  /** Strength of the penalty; 0 = off, 0.8 is the usual choice. Default 0. */
  multiplier: z.number().min(0).max(5).default(0),
  /** Base of the exponential penalty growth. Default 1.75. */
  base: z.number().min(1).max(4).default(1.75),
  /** Repeats up to this many tokens long go unpunished. Default 2. */
  allowedLength: z.number().int().min(1).max(64).default(2),
  /** How many recent tokens to search for repeats; null = the whole context window. Default null. */
  lastTokens: z.number().int().min(0).max(65_536).nullable().default(null),
  /** Texts that break a repeated sequence. Default ["\n", ":", "\"", "*"]. */
  sequenceBreakers: z.array(z.string().min(1).max(40)).max(32).default(["\n", ":", '"', "*"]),
});
export type DryConfig = z.infer<typeof drySchema>;

/** XTC ("exclude top choices"). Off when probability is 0. */
export const xtcSchema = z.object({
  /** Chance per token that the top choices are removed (0..1). Default 0 (off). */
  probability: z.number().min(0).max(1).default(0),
  /** Tokens at or above this probability count as top choices (0..1; above 0.5 never triggers). Default 0.1. */
  threshold: z.number().min(0).max(1).default(0.1),
});
export type XtcConfig = z.infer<typeof xtcSchema>;

/**
 * The full sampling configuration. Parse a partial object to get every default filled in:
 * `samplingConfigSchema.parse({ temperature: 0 })`.
 */
export const samplingConfigSchema = z
  .object({
    /** Softmax temperature; 0 = greedy (argmax). Default 0.8. */
    temperature: z.number().min(0).max(10).default(0.8),
    /** Keep only the k most likely tokens; 0 = whole vocabulary. Default 40. */
    topK: z.number().int().min(0).max(1_000_000).default(40),
    /** Keep the smallest set of tokens whose probabilities sum to p; 1 = off. Default 0.95. */
    topP: z.number().min(0).max(1).default(0.95),
    /** Drop tokens below minP x the top token's probability; 0 = off. Default 0.05. */
    minP: z.number().min(0).max(1).default(0.05),
    /** Seed for dist(); absent = the engine picks one and reports it with the result. */
    seed: z.number().int().min(0).max(0xffff_ffff).optional(),
    /** Repetition penalties; set explicitly, never left to library defaults. */
    repeatPenalty: repeatPenaltySchema.default(() => repeatPenaltySchema.parse({})),
    /** DRY penalty (applies to chat and raw completion alike). */
    dry: drySchema.default(() => drySchema.parse({})),
    /** Exclude-top-choices sampler. */
    xtc: xtcSchema.default(() => xtcSchema.parse({})),
    /** Logit offsets per token, applied first in the chain. Default []. */
    tokenBias: z.array(tokenBiasEntrySchema).max(1000).default([]),
    /** A GBNF grammar the output must follow (exclusive with jsonSchema). */
    grammar: z.string().min(1).max(200_000).optional(),
    /** A JSON schema the output must follow, compiled to a grammar (exclusive with grammar). */
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    /** Stop after this many generated tokens. Default 512. */
    maxTokens: z.number().int().min(1).max(1_000_000).default(512),
    /** Generation ends when the output contains one of these; the stop string is not part of the output. Default []. */
    stopStrings: z.array(z.string().min(1).max(200)).max(16).default([]),
  })
  .refine((c) => !(c.grammar !== undefined && c.jsonSchema !== undefined), {
    message: "grammar and jsonSchema are mutually exclusive",
    path: ["jsonSchema"],
  });

/** A complete sampling configuration (every default filled in). */
export type SamplingConfig = z.output<typeof samplingConfigSchema>;
/** What callers may pass: any subset; missing fields take the defaults above. */
export type SamplingConfigInput = z.input<typeof samplingConfigSchema>;

/** The defaults as a complete config. */
export const defaultSamplingConfig: SamplingConfig = samplingConfigSchema.parse({});

/** Greedy decoding with nothing else switched on: what evaluation and tests use. */
export const greedySamplingConfig: SamplingConfig = samplingConfigSchema.parse({ temperature: 0 });

/** Fills in defaults and checks ranges; throws a ZodError naming the field at fault. */
export function resolveSamplingConfig(input: SamplingConfigInput = {}): SamplingConfig {
  return samplingConfigSchema.parse(input);
}

/** The sampler stages in the order llama.cpp applies them (for the sampling explainer). */
export const samplerChainOrder = [
  "tokenBias",
  "repeatPenalty",
  "dry",
  "topK",
  "topP",
  "minP",
  "xtc",
  "temperature",
  "dist",
] as const;
export type SamplerStage = (typeof samplerChainOrder)[number];
