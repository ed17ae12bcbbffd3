// Generation through Lathe's native loop (engine/native/LatheExtensions.cpp, version 2, in a
// local build made by "Build the engine for this machine"): llama.cpp decodes, samples with
// node-llama-cpp's own sampler object and decodes again without coming back to JavaScript
// between tokens, which node-llama-cpp's evaluate() does twice per token (about 1 ms on a
// 2-core machine, 15-20 % of a small model's token time). Tokens arrive as they are made.
// Same sampler, same chain, same seed: the output equals evaluate()'s token for token
// (tested). Used by generate.ts when nativeGeneration() gives a stream; it gives null, and
// evaluate() is used, when the library lacks the loop, LATHE_NATIVE_GENERATION=0, the
// context has more than one sequence (node-llama-cpp batches those together), the libuv
// pool has more than one thread, a token predictor is loaded, the model needs context
// checkpoints (recurrent, hybrid and SWA models), or the repeat penalty's window skips
// newlines (node-llama-cpp then rebuilds its penalty state every token, which the native
// loop does not). node-llama-cpp internals (pinned version): the sequence's lock, id,
// token bookkeeping and sampler config.
import { acquireLock } from "lifecycle-utils";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { AsyncQueue } from "../../core/util/AsyncQueue.ts";
import { FRAGMENT_WINDOW_MS } from "./coalesce.ts";
import { latheBindings } from "./nativeLogits.ts";
import type { MappedSampling } from "./sampling.ts";

/** Tokens per pool-thread turn: other queued work (another model's decode) waits at most this long. */
const CHUNK_TOKENS = 16;
/** After the first token, sampled tokens reach JavaScript at most this often (the host's fragment window). */
const DELIVER_MS = FRAGMENT_WINDOW_MS;

interface AddonSamplerLike {
  applyConfig(config: object): void;
  dispose(): void;
}

interface GenerationBindings {
  latheGenerate: (
    ctx: object,
    sampler: AddonSamplerLike,
    sequenceId: number,
    firstPosition: number,
    input: Uint32Array,
    maxTokens: number,
    maxPosition: number,
    chunkTokens: number,
    deliverMs: number,
    onEvent: (tokens: number[] | null, done?: { decoded: number; eog: boolean; error?: string }) => void,
  ) => () => void;
  AddonSampler: new (model: object) => AddonSamplerLike;
}

interface SequenceInternals {
  _lock: object;
  _sequenceId: number;
  _nextTokenIndex: number;
  _contextTokens: Token[];
  _loadedTokenPredictions: unknown[];
  _tokenPredictor?: unknown;
  _resolveSamplerConfig(options: object): object;
  needsCheckpoints?: boolean;
  context: { _ctx?: object; totalSequences: number };
  model: LlamaModel & { _model?: object; _llama?: unknown };
}

/** What a native generation needs beyond the tokens. */
export interface NativeGenerationOptions {
  /** node-llama-cpp sampling options as generate.ts maps them. */
  sampling: MappedSampling;
  /** The grammar state, when a grammar constrains the output. */
  grammarEvaluationState?: object;
  /** Whether the repeat penalty skips newline tokens (from the sampling config). */
  penaltySkipsNewline: boolean;
  /** Sampled tokens at most. */
  maxTokens: number;
}

function bindingsFor(s: SequenceInternals): GenerationBindings | null {
  return latheBindings<GenerationBindings>(s.model?._llama, 2, ["latheGenerate", "AddonSampler"]);
}

/** Why the native loop cannot generate on `seq`, or null when it can. */
export function nativeGenerationUnavailable(seq: LlamaContextSequence, options: Pick<NativeGenerationOptions, "sampling" | "penaltySkipsNewline">): string | null {
  if (process.env.LATHE_NATIVE_GENERATION === "0") return "LATHE_NATIVE_GENERATION=0";
  const s = seq as unknown as SequenceInternals;
  if (!bindingsFor(s)) return "the library has no native generation loop";
  if (!s.context?._ctx || !s.model?._model || typeof s._resolveSamplerConfig !== "function" || !s._lock || !Array.isArray(s._contextTokens)) return "node-llama-cpp internals differ";
  if (s.context.totalSequences !== 1) return "the context has several sequences";
  // The loop runs on the libuv pool; with one pool thread nothing else (a context's
  // disposal included) can touch llama.cpp while a chunk runs. EngineClient sets 1.
  if (process.env.UV_THREADPOOL_SIZE !== "1") return "UV_THREADPOOL_SIZE is not 1";
  if (s._loadedTokenPredictions?.length || s._tokenPredictor) return "a token predictor is in use";
  if (s.needsCheckpoints) return "the model needs context checkpoints";
  if (options.sampling.repeatPenalty && options.penaltySkipsNewline && s.model.tokens.nl != null) return "the repeat penalty skips newlines";
  return null;
}

/**
 * Generates after the sequence's state: evaluates `input`, then yields each sampled token
 * (end-of-generation tokens are not yielded) until maxTokens, the context's last position,
 * or the consumer stops (return()). Leaves the sequence holding input + the tokens
 * decoded, like evaluate(). Null when nativeGenerationUnavailable says why not.
 */
export function nativeGeneration(seq: LlamaContextSequence, input: Token[], options: NativeGenerationOptions): AsyncGenerator<Token, void, void> | null {
  if (nativeGenerationUnavailable(seq, options) !== null) return null;
  const s = seq as unknown as SequenceInternals;
  const b = bindingsFor(s)!;
  return run();

  async function* run(): AsyncGenerator<Token, void, void> {
    const lock = await acquireLock([s._lock, "evaluate"] as const);
    const sampler = new b.AddonSampler(s.model._model!);
    try {
      sampler.applyConfig(s._resolveSamplerConfig({ ...options.sampling, grammarEvaluationState: options.grammarEvaluationState }));
      type Done = { decoded: number; eog: boolean; error?: string };
      const sampled: Token[] = []; // every token reported, for the bookkeeping
      const tokens = new AsyncQueue<Token>(); // what the consumer pulls
      let finish!: (done: Done) => void;
      const finished = new Promise<Done>((resolve) => (finish = resolve));
      const firstPosition = s._nextTokenIndex;
      const stop = b.latheGenerate(
        s.context._ctx!,
        sampler,
        s._sequenceId,
        firstPosition,
        Uint32Array.from(input),
        options.maxTokens,
        seq.contextSize - 1,
        CHUNK_TOKENS,
        DELIVER_MS,
        (batch, done) => {
          if (batch) {
            for (const t of batch) {
              sampled.push(t as Token);
              tokens.push(t as Token);
            }
            return;
          }
          finish(done ?? { decoded: 0, eog: false, error: "the native loop ended without a result" });
          tokens.close();
        },
      );
      try {
        yield* tokens;
      } finally {
        stop(); // (no effect once the loop has ended)
        const { decoded } = await finished;
        // Bookkeeping as node-llama-cpp's own decodes do it: the sequence now holds these.
        const held = [...input, ...sampled].slice(0, decoded);
        s._contextTokens = s._contextTokens.concat(held);
        s._nextTokenIndex = firstPosition + held.length;
      }
      const { error } = await finished;
      if (error) throw new Error(error);
    } finally {
      sampler.dispose();
      lock.dispose();
    }
  }
}
