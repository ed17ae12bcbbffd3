// The presets Lathe ships with, each value with the reason it was chosen. They are
// written into the store at start-up (marked builtin, so they cannot be deleted) and
// are what a new conversation picks from.
import type { SamplingConfigInput } from "./config.ts";

export interface BuiltinPreset {
  /** Stable id (also used in exports). */
  id: string;
  name: string;
  /** One line: what it is for. */
  summary: string;
  config: SamplingConfigInput;
  /** Why each value, field by field. */
  reasons: Record<string, string>;
}

export const builtinPresets: readonly BuiltinPreset[] = [
  {
    id: "builtin-greedy",
    name: "Greedy",
    summary: "Always the most likely token: deterministic, for tests, evaluation and reproducible answers.",
    config: { temperature: 0, topK: 0, topP: 1, minP: 0 },
    reasons: {
      temperature: "0 means argmax: the same prompt always gives the same answer.",
      topK: "Truncation does nothing under argmax, so it is switched off to make that plain.",
      topP: "1 (off) for the same reason: argmax never looks past the top token.",
      minP: "0 (off): nothing to cut when only the top token can win.",
    },
  },
  {
    id: "builtin-precise",
    name: "Precise",
    summary: "Little randomness: factual answers and code.",
    config: { temperature: 0.3, topK: 20, topP: 0.9, minP: 0.1 },
    reasons: {
      temperature: "0.3 sharpens the distribution, so the top choices dominate without being forced.",
      topK: "20 removes the long tail that low temperature would still sample now and then.",
      topP: "0.9 keeps only the tokens that make up nine tenths of the probability.",
      minP: "0.1 drops tokens under a tenth of the best one's probability.",
    },
  },
  {
    id: "builtin-balanced",
    name: "Balanced",
    summary: "llama.cpp's usual settings: natural chat.",
    config: { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 },
    reasons: {
      temperature: "0.8 keeps variety while favouring likely tokens.",
      topK: "40 and top-p 0.95 cut the implausible tail.",
      topP: "0.95 drops the last 5% of the probability mass, where the nonsense lives.",
      minP: "0.05 removes tokens far below the best one, whatever the shape of the distribution.",
    },
  },
  {
    id: "builtin-creative",
    name: "Creative",
    summary: "More surprise: brainstorming and stories.",
    config: { temperature: 1.2, topK: 0, topP: 1, minP: 0.05, repeatPenalty: { penalty: 1.1, lastTokens: 128 } },
    reasons: {
      temperature: "1.2 flattens the distribution, giving less likely tokens a real chance.",
      topK: "0 (off): a fixed count would cut options exactly where the model is most unsure.",
      topP: "1 (off): min-p alone decides what is implausible.",
      minP: "0.05 is the only truncation left: it scales with the top token, so it keeps more options when the model is unsure.",
      repeatPenalty: "1.1 over the last 128 tokens discourages loops that high temperature can fall into.",
    },
  },
];
