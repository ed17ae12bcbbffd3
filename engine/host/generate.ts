// The generation loop: evaluates a rendered prompt on a leased sequence (reusing the
// cached prefix), samples with the mapped config, streams text fragments (holding back
// incomplete UTF-8 and possible stop-string starts), and ends with one done packet
// carrying the stop reason, seed and timings. One loop for chat and raw completion, so
// every sampling option (DRY included) works in both. Called by HostRuntime.generate.
import { LlamaGrammarEvaluationState, LlamaText, type Llama, type LlamaGrammar, type LlamaModel, type Token } from "node-llama-cpp";
import { EngineError } from "../../core/engine/errors.ts";
import type { DonePacket, FragmentPacket, StopReason } from "../../core/engine/types.ts";
import type { SamplingConfig } from "../../core/sampling/config.ts";
import type { Lease } from "./ModelSlot.ts";
import type { RenderedPrompt } from "./prompt.ts";
import { nativeGeneration } from "./nativeGeneration.ts";
import { mapSampling, randomSeed } from "./sampling.ts";

/** Inputs of one generation. */
export interface GenerationJob {
  model: LlamaModel;
  lease: Lease;
  prompt: RenderedPrompt;
  sampling: SamplingConfig;
  maxTokens: number;
  stopStrings: string[];
  grammar: LlamaGrammar | null;
  signal: AbortSignal | undefined;
  /** performance.now() when the host received the request (TTFT starts here). */
  startedAt: number;
  /** Called when the generation runs on Lathe's native loop rather than node-llama-cpp's. */
  onNative?: () => void;
}

const REPLACEMENT = "\uFFFD";

/** Length of the longest suffix of `text` that is a proper prefix of one of `stops`. */
function heldBackLength(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(s.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

function endsWithSeq(tokens: readonly Token[], seq: readonly Token[]): boolean {
  if (seq.length === 0 || tokens.length < seq.length) return false;
  for (let i = 1; i <= seq.length; i++) if (tokens[tokens.length - i] !== seq[seq.length - i]) return false;
  return true;
}

/** Streams fragments; returns the done packet. */
export async function* runGeneration(job: GenerationJob): AsyncGenerator<FragmentPacket, DonePacket, void> {
  const { model, prompt, sampling, signal } = job;
  const seq = job.lease.sequences[0]!;
  const contextSize = seq.contextSize;
  const promptTokens = prompt.tokens;
  if (promptTokens.length === 0) throw new EngineError("invalid_input", "the prompt is empty (no tokens)");
  if (promptTokens.length >= contextSize - 1) {
    throw new EngineError("prompt_too_long", `prompt does not fit: ${promptTokens.length} tokens, context holds ${contextSize - 1}`);
  }

  // Reuse whatever prefix the sequence already holds (multi-turn chats, repeated prompts);
  // at least the last prompt token is evaluated so there are logits to sample from.
  await seq.adaptStateToTokens(promptTokens.slice(0, -1), false);
  const cachedPromptTokens = seq.nextTokenIndex;
  const input = promptTokens.slice(cachedPromptTokens);

  const seed = sampling.seed ?? randomSeed();
  const generated: Token[] = [];
  const options = mapSampling(model, sampling, seed, () => generated, contextSize);
  const grammarEvaluationState = job.grammar ? new LlamaGrammarEvaluationState({ model, grammar: job.grammar }) : undefined;

  const userStops = job.stopStrings;
  // A grammar that is complete may still allow trailing whitespace forever (JSON schema
  // grammars do); node-llama-cpp's own generators stop on the grammar's triggers and trim.
  const grammarStops = (job.grammar?.stopGenerationTriggers ?? [])
    .map((t) => (typeof t === "string" ? t : LlamaText(t as never).toString()))
    .filter((t) => t.length > 0);
  const trimWhitespace = job.grammar?.trimWhitespaceSuffix ?? false;
  const allTextStops = [...userStops, ...prompt.stopTexts, ...grammarStops];
  const maxStopLen = allTextStops.reduce((m, s) => Math.max(m, s.length), 0);
  let output = ""; // all decoded text (emitted + held back)
  let emitted = 0; // chars of `output` already sent
  let pendingTokens: Token[] = []; // tokens not yet decoded to complete text
  let unsentTokens: Token[] = []; // tokens decoded but whose fragment is not sent yet
  let detokHistory: Token[] = promptTokens.slice(-8);
  let stopReason: StopReason = "eos";
  let stopString: string | undefined;
  let finalLength: number | null = null;
  let tFirst = 0;
  let tLast = 0;

  // Lathe's native loop when the library has it (a local build), else node-llama-cpp's.
  const native = nativeGeneration(seq, input, {
    sampling: options,
    grammarEvaluationState,
    penaltySkipsNewline: !sampling.repeatPenalty.penalizeNewLine,
    maxTokens: job.maxTokens,
  });
  if (native) job.onNative?.();
  const iterator =
    native ??
    seq.evaluate(input, {
      ...options,
      grammarEvaluationState,
      yieldEogToken: false,
    });
  try {
    for await (const token of iterator) {
      const now = performance.now();
      if (generated.length === 0) tFirst = now;
      tLast = now;
      generated.push(token);
      pendingTokens.push(token);

      // Template stop tokens (e.g. <|im_end|> when it is not an EOG token); the flush below
      // reports them (their text is empty).
      if (prompt.stopTokenSequences.some((s) => endsWithSeq(generated, s))) {
        stopReason = "eos";
        break;
      }

      const piece = model.detokenize(pendingTokens, false, detokHistory);
      // A multi-byte character split across tokens waits for the rest (up to 4 bytes).
      if (!piece.endsWith(REPLACEMENT) || pendingTokens.length >= 4) {
        detokHistory = [...detokHistory, ...pendingTokens].slice(-8);
        unsentTokens.push(...pendingTokens);
        pendingTokens = [];
        const searchFrom = Math.max(0, output.length - maxStopLen);
        output += piece;

        let hit = -1;
        let which = "";
        for (const s of allTextStops) {
          const i = output.indexOf(s, searchFrom);
          if (i >= 0 && (hit < 0 || i < hit)) {
            hit = i;
            which = s;
          }
        }
        if (hit >= 0) {
          finalLength = hit;
          if (userStops.includes(which)) {
            stopReason = "stopString";
            stopString = which;
          } else stopReason = "eos";
          break;
        }

        // One fragment per decoded token, even when its text is empty (control tokens) or
        // held back, so consumers see every token as it is made.
        const hold = Math.max(heldBackLength(output, allTextStops), trimWhitespace ? output.length - output.trimEnd().length : 0);
        const releasable = Math.max(emitted, output.length - hold);
        yield { type: "fragment", text: output.slice(emitted, releasable), tokens: unsentTokens };
        emitted = releasable;
        unsentTokens = [];
      }

      if (signal?.aborted) {
        stopReason = "abort";
        break;
      }
      if (generated.length >= job.maxTokens) {
        stopReason = "maxTokens";
        break;
      }
      // The next step would evaluate past the context (whose shift strategy throws): stop here.
      // (The sequence then holds the prompt and all generated tokens but the last.)
      if (cachedPromptTokens + input.length + generated.length - 1 >= contextSize - 1) {
        stopReason = "contextFull";
        break;
      }
    }
  } finally {
    await iterator.return();
  }

  // Flush: tokens still waiting for UTF-8 completion, then any held-back text.
  if (pendingTokens.length) {
    output += model.detokenize(pendingTokens, false, detokHistory);
    unsentTokens.push(...pendingTokens);
  }
  let text = finalLength === null ? output : output.slice(0, finalLength);
  if (trimWhitespace) text = text.trimEnd();
  if (text.length > emitted || unsentTokens.length) {
    yield { type: "fragment", text: text.slice(Math.min(emitted, text.length)), tokens: unsentTokens };
  }

  const totalMs = performance.now() - job.startedAt;
  const ttftMs = generated.length ? tFirst - job.startedAt : totalMs;
  const evaluated = promptTokens.length - cachedPromptTokens;
  return {
    type: "done",
    text,
    stopReason,
    ...(stopString !== undefined ? { stopString } : {}),
    seed,
    tokens: generated,
    timings: {
      ttftMs,
      promptTokens: promptTokens.length,
      cachedPromptTokens,
      promptTokensPerS: ttftMs > 0 ? (evaluated / ttftMs) * 1000 : 0,
      completionTokens: generated.length,
      tokensPerS: generated.length > 1 && tLast > tFirst ? ((generated.length - 1) / (tLast - tFirst)) * 1000 : 0,
      totalMs,
    },
  };
}

/** Compiles sampling.grammar / sampling.jsonSchema (cached per text). */
export class GrammarCache {
  private readonly cache = new Map<string, Promise<LlamaGrammar>>();
  constructor(private readonly llama: Llama) {}

  get(sampling: SamplingConfig): Promise<LlamaGrammar> | null {
    if (sampling.grammar === undefined && sampling.jsonSchema === undefined) return null;
    const key = sampling.grammar !== undefined ? `g:${sampling.grammar}` : `j:${JSON.stringify(sampling.jsonSchema)}`;
    let g = this.cache.get(key);
    if (!g) {
      g = (
        sampling.grammar !== undefined
          ? this.llama.createGrammar({ grammar: sampling.grammar })
          : this.llama.createGrammarForJsonSchema(sampling.jsonSchema as never)
      ).catch((err: unknown) => {
        this.cache.delete(key);
        throw new EngineError("invalid_input", `grammar does not compile: ${err instanceof Error ? err.message : String(err)}`);
      });
      if (this.cache.size >= 32) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, g);
    }
    return g;
  }
}
