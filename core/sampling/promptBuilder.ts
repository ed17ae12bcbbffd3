// The prompt builder: zero-, one- and few-shot prompts (in-context learning) from an
// instruction, worked examples and an input, as plain text for raw completion or as chat
// turns, and fitted to a token budget by dropping the examples that do not fit. The
// schema is also the body of a saved prompt template. Used by the sampling service, the
// Sampling panel's builder, and chat/Evaluate wherever they take a built prompt.
import { z } from "zod";

/** One worked example: an input and the output the model should imitate. */
export const promptExampleSchema = z.object({
  /** The example's input. */
  input: z.string().max(100_000),
  /** The answer the model should imitate. */
  output: z.string().max(100_000),
});
export type PromptExample = z.infer<typeof promptExampleSchema>;

/** How many examples go into the prompt. */
export const shotModeSchema = z.enum(["zero", "one", "few"]);
export type ShotMode = z.infer<typeof shotModeSchema>;

/** A prompt specification (also a saved template's body). */
export const promptSpecSchema = z.object({
  /** What the model should do, said once at the top. Default "". */
  instruction: z.string().max(100_000).default(""),
  /** Worked examples, most important first (the budget drops from the end). Default []. */
  examples: z.array(promptExampleSchema).max(200).default([]),
  /** The input to answer. Default "". */
  input: z.string().max(1_000_000).default(""),
  /** zero: no examples; one: the first; few: all (or `shots` of them). Default "few". */
  mode: shotModeSchema.default("few"),
  /** In few-shot mode, at most this many examples; null = all. Default null. */
  shots: z.number().int().min(1).max(200).nullable().default(null),
  /** Label before each input. Default "Input:". */
  inputLabel: z.string().max(100).default("Input:"),
  /** Label before each output. Default "Output:". */
  outputLabel: z.string().max(100).default("Output:"),
  /** Text between blocks (instruction, examples, input). Default a blank line. */
  separator: z.string().max(20).default("\n\n"),
});
export type PromptSpec = z.output<typeof promptSpecSchema>;
export type PromptSpecInput = z.input<typeof promptSpecSchema>;

/** A built prompt, both ways. */
export interface BuiltPrompt {
  /** One text for raw completion: instruction, examples, then the input with the output label open. */
  text: string;
  /** The same as chat turns: instruction as system, each example a user/assistant pair, then the input. */
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  /** Examples used. */
  shots: number;
  /** Which mode it amounts to with that many examples. */
  mode: ShotMode;
}

/** How many examples a spec asks for (before any budget). */
export function requestedShots(spec: PromptSpec): number {
  if (spec.mode === "zero") return 0;
  if (spec.mode === "one") return Math.min(1, spec.examples.length);
  return Math.min(spec.shots ?? spec.examples.length, spec.examples.length);
}

const modeOf = (shots: number): ShotMode => (shots === 0 ? "zero" : shots === 1 ? "one" : "few");

/** Builds the prompt with the first `shots` examples (default: as the spec asks). */
export function buildPrompt(input: PromptSpecInput, shots?: number): BuiltPrompt {
  const spec = promptSpecSchema.parse(input);
  const n = Math.max(0, Math.min(shots ?? requestedShots(spec), spec.examples.length));
  const examples = spec.examples.slice(0, n);
  const block = (i: string, o: string | null) => `${spec.inputLabel} ${i}\n${spec.outputLabel}${o === null ? "" : ` ${o}`}`;
  const parts: string[] = [];
  if (spec.instruction.trim()) parts.push(spec.instruction.trim());
  for (const e of examples) parts.push(block(e.input, e.output));
  parts.push(block(spec.input, null));
  const messages: BuiltPrompt["messages"] = [];
  if (spec.instruction.trim()) messages.push({ role: "system", content: spec.instruction.trim() });
  for (const e of examples) messages.push({ role: "user", content: e.input }, { role: "assistant", content: e.output });
  messages.push({ role: "user", content: spec.input });
  return { text: parts.join(spec.separator), messages, shots: n, mode: modeOf(n) };
}

/** A prompt fitted to a budget. */
export interface FittedPrompt extends BuiltPrompt {
  /** Tokens the prompt takes. */
  tokens: number;
  /** Examples dropped to fit. */
  dropped: number;
  /** Whether it fits (false: even zero-shot exceeds the budget). */
  fits: boolean;
}

/**
 * Builds the prompt with as many of the requested examples as fit in `budget` tokens
 * (dropping from the end), counting with `count` (the model's tokenizer). Binary search,
 * so a long example list costs log2(n) counts.
 */
export async function fitPromptToBudget(
  input: PromptSpecInput,
  budget: number,
  count: (prompt: BuiltPrompt) => Promise<number>,
): Promise<FittedPrompt> {
  const spec = promptSpecSchema.parse(input);
  const want = requestedShots(spec);
  const full = buildPrompt(spec, want);
  const fullTokens = await count(full);
  if (fullTokens <= budget) return { ...full, tokens: fullTokens, dropped: 0, fits: true };
  let lo = 0; // fits (or nothing does)
  let hi = want; // does not fit
  let best: { p: BuiltPrompt; tokens: number } | null = null;
  const zero = buildPrompt(spec, 0);
  const zeroTokens = await count(zero);
  if (zeroTokens > budget) return { ...zero, tokens: zeroTokens, dropped: want, fits: false };
  best = { p: zero, tokens: zeroTokens };
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const p = buildPrompt(spec, mid);
    const t = await count(p);
    if (t <= budget) {
      lo = mid;
      best = { p, tokens: t };
    } else hi = mid;
  }
  return { ...best.p, tokens: best.tokens, dropped: want - lo, fits: true };
}
