// Maps core's SamplingConfig onto node-llama-cpp's sequence-level sampling options, avoiding
// the library's traps: token bias only as {logit} or "never" (numeric TokenBias.set turns
// probabilities into NaN), the repeat penalty always given explicitly (an unset penalty
// means none), DRY passed on the sequence level (LlamaCompletion drops it) and always with
// an explicit window (node-llama-cpp sends -1 for "whole context", which llama.cpp v0.4.0
// clamps to 0 = DRY off). Used by generate.ts and scoring.ts.
import { TokenBias, type LlamaContextSequenceDryRepeatPenalty, type LlamaContextSequenceRepeatPenalty, type LlamaModel, type Token } from "node-llama-cpp";
import type { SamplingConfig } from "../../core/sampling/config.ts";

/** The sampling fields of node-llama-cpp's evaluate/controlledEvaluate options. */
export interface MappedSampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed: number;
  xtc?: { probability: number; threshold: number };
  repeatPenalty?: LlamaContextSequenceRepeatPenalty;
  dryRepeatPenalty?: LlamaContextSequenceDryRepeatPenalty;
  tokenBias?: TokenBias;
}

/** A fresh random seed for dist() (reported back so the generation can be repeated). */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** Builds a TokenBias from config entries; numbers are token ids, strings bias every token they tokenize to. */
export function buildTokenBias(model: LlamaModel, entries: SamplingConfig["tokenBias"]): TokenBias | undefined {
  if (entries.length === 0) return undefined;
  const bias = new TokenBias(model.tokenizer);
  for (const e of entries) {
    const value = e.logit === "never" ? ("never" as const) : { logit: e.logit };
    bias.set(typeof e.token === "number" ? (e.token as Token) : e.token, value);
  }
  return bias;
}

/**
 * The sampling options for one evaluation. `recentTokens` returns the tokens the repeat
 * penalty looks at (the generated ones, newest last); it is called once per sampled token.
 * `contextSize` is DRY's window when the config says "whole response" (lastTokens null).
 */
export function mapSampling(
  model: LlamaModel,
  config: SamplingConfig,
  seed: number,
  recentTokens: () => readonly Token[],
  contextSize: number,
): MappedSampling {
  const out: MappedSampling = {
    temperature: config.temperature,
    topK: config.topK,
    topP: config.topP,
    minP: config.minP,
    seed,
  };
  if (config.xtc.probability > 0) out.xtc = { probability: config.xtc.probability, threshold: config.xtc.threshold };
  const rp = config.repeatPenalty;
  const penaltyOn = rp.lastTokens > 0 && (rp.penalty !== 1 || rp.frequencyPenalty !== 0 || rp.presencePenalty !== 0);
  if (penaltyOn) {
    const nl = model.tokens.nl;
    out.repeatPenalty = {
      punishTokens: () => {
        const recent = recentTokens().slice(-rp.lastTokens);
        return rp.penalizeNewLine || nl == null ? [...recent] : recent.filter((t) => t !== nl);
      },
      maxPunishTokens: rp.lastTokens,
      penalty: rp.penalty,
      frequencyPenalty: rp.frequencyPenalty,
      presencePenalty: rp.presencePenalty,
    };
  }
  if (config.dry.multiplier > 0) {
    out.dryRepeatPenalty = {
      strength: config.dry.multiplier,
      base: config.dry.base,
      allowedLength: config.dry.allowedLength,
      sequenceBreakers: config.dry.sequenceBreakers,
      lastTokens: config.dry.lastTokens ?? contextSize,
    };
  }
  const bias = buildTokenBias(model, config.tokenBias);
  if (bias) out.tokenBias = bias;
  return out;
}
