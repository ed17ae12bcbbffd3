// Reads next-token distributions straight from llama.cpp's logits through Lathe's native
// entry points (engine/native/LatheExtensions.cpp), which only a local build made by
// "Build the engine for this machine" has. Without them node-llama-cpp 3.21.1 gives the
// log-probability of a token that is not the top one only as the whole vocabulary,
// built element by element through N-API (~36 ms a position on the bench model); with
// them a position costs a pass over the logits in C++. The logits are valid only until
// the next decode, so the reader is handed to a callback inside node-llama-cpp's own
// logit-data mapper (the hook controlledEvaluate uses), under the sequence's evaluate lock.
// Those are node-llama-cpp internals: the version is pinned exactly (package.json), and
// everything here checks for them and falls back to the public path when they are absent.
// LATHE_NATIVE_LOGITS=0 turns the native path off (benchmarks compare both).
import { acquireLock } from "lifecycle-utils";
import type { Llama, LlamaContextSequence, Token } from "node-llama-cpp";

/** The oldest version of the entry points (LatheExtensions.cpp's kLatheExtensionsVersion) with the logits readers. */
export const nativeLogitsVersion = 1;

/** The addon functions LatheExtensions.cpp adds. */
interface LatheBindings {
  latheTokenScore: (ctx: object, batchLogitIndex: number, token: number) => [number, number, number];
  latheCopyLogits: (ctx: object, batchLogitIndex: number, out: Float32Array) => number;
}

/** The parts of LlamaContextSequence (node-llama-cpp 3.21.1) this module uses. */
interface SequenceInternals {
  _lock: object;
  _tokenMeter: unknown;
  _contextShift: { size: unknown; strategy: unknown };
  _takeIntervalCheckpointIfNeededAfterBatch: (n: number) => unknown;
  _decodeTokens: (
    tokens: Token[],
    logits: boolean[],
    evaluationPriority: undefined,
    tokenMeter: unknown,
    contextShift: { size: unknown; strategy: unknown },
    logitDataMapper: (batchLogitIndex: number, tokenIndex: number) => unknown,
    afterBatchAction: (n: number) => unknown,
  ) => Promise<unknown[]>;
  context: { _ctx?: object };
  model: { llama: unknown };
}

/** One position's next-token distribution; valid only inside the callback that receives it. */
export interface PositionDist {
  /** Natural log of the token's probability. */
  logprob(token: Token): number;
  /** The most likely token. */
  argmax(): Token;
  /** 1 + the number of tokens strictly more likely than `token`. */
  rank(token: Token): number;
  /** The `n` most likely tokens, most likely first. */
  top(n: number): { id: Token; prob: number }[];
  /** Writes the probability of every token id into `out` (at least the vocabulary long). */
  dense(out: Float32Array): void;
}

/** A reader of native logits for one sequence. */
export interface NativeLogits {
  /** Positions to evaluate per call: llama.cpp keeps a vocabulary of logits for each, so at most 32 MiB of them. */
  readonly positionsPerCall: number;
  /**
   * Evaluates `tokens` after the sequence's state and calls `onDist(i, dist)` for each i
   * with `wanted(i)`, synchronously while that position's logits are valid.
   */
  evaluate(tokens: Token[], wanted: (i: number) => boolean, onDist: (i: number, dist: PositionDist) => void): Promise<void>;
}

/**
 * The running addon's bindings when they carry Lathe's entry points of at least
 * `minVersion` and each named function, else null. Shared with nativeGeneration.ts.
 */
export function latheBindings<B extends object>(llama: unknown, minVersion: number, functions: readonly string[]): B | null {
  const b = (llama as { _bindings?: Record<string, unknown> } | undefined)?._bindings;
  const version = b?.latheExtensionsVersion;
  if (!b || typeof version !== "function" || functions.some((f) => typeof b[f] !== "function")) return null;
  try {
    return (version as () => number)() >= minVersion ? (b as B) : null;
  } catch {
    return null;
  }
}

function bindingsOf(llama: unknown): LatheBindings | null {
  return latheBindings<LatheBindings>(llama, nativeLogitsVersion, ["latheTokenScore", "latheCopyLogits"]);
}

/** True when `llama` (a started Llama) has Lathe's native entry points and LATHE_NATIVE_LOGITS is not 0. */
export function nativeLogitsEnabled(llama: Llama): boolean {
  return process.env.LATHE_NATIVE_LOGITS !== "0" && bindingsOf(llama) !== null;
}

class NativeDist implements PositionDist {
  private scored: { token: number; result: [number, number, number] } | null = null;

  constructor(
    private readonly b: LatheBindings,
    private readonly ctx: object,
    private readonly index: number,
    private readonly scratch: () => Float32Array,
  ) {}

  private score(token: number): [number, number, number] {
    if (this.scored?.token !== token) this.scored = { token, result: this.b.latheTokenScore(this.ctx, this.index, token) };
    return this.scored.result;
  }
  logprob(token: Token): number {
    return this.score(token)[0];
  }
  argmax(): Token {
    return this.score(this.scored?.token ?? 0)[1] as Token;
  }
  rank(token: Token): number {
    return this.score(token)[2];
  }
  top(n: number): { id: Token; prob: number }[] {
    if (n <= 0) return [];
    const logits = this.scratch();
    const lse = this.b.latheCopyLogits(this.ctx, this.index, logits);
    // Keep the n largest in a small array sorted high to low.
    const ids: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i]!;
      if (ids.length === n && v <= vals[n - 1]!) continue;
      let j = Math.min(ids.length, n - 1);
      if (ids.length < n) {
        ids.push(0);
        vals.push(0);
        j = ids.length - 1;
      }
      while (j > 0 && vals[j - 1]! < v) {
        ids[j] = ids[j - 1]!;
        vals[j] = vals[j - 1]!;
        j--;
      }
      ids[j] = i;
      vals[j] = v;
    }
    return ids.map((id, k) => ({ id: id as Token, prob: Math.exp(vals[k]! - lse) }));
  }
  dense(out: Float32Array): void {
    const lse = this.b.latheCopyLogits(this.ctx, this.index, out);
    for (let i = 0; i < out.length; i++) out[i] = Math.exp(out[i]! - lse);
  }
}

const vocabSizes = new WeakMap<object, number>();
/** Number of token ids of the sequence's model (counted once per model). */
function vocabSizeOf(seq: LlamaContextSequence): number {
  let n = vocabSizes.get(seq.model);
  if (n === undefined) {
    n = 0;
    for (const _ of seq.model.iterateAllTokens()) n++;
    vocabSizes.set(seq.model, n);
  }
  return n;
}

/** The native reader for `seq`, or null when the library lacks it (or LATHE_NATIVE_LOGITS=0). */
export function nativeLogitsFor(seq: LlamaContextSequence): NativeLogits | null {
  if (process.env.LATHE_NATIVE_LOGITS === "0") return null;
  const s = seq as unknown as SequenceInternals;
  const b = bindingsOf(s.model?.llama);
  const ctx = s.context?._ctx;
  if (!b || !ctx || typeof s._decodeTokens !== "function" || !s._lock || !s._contextShift) return null;
  let scratch: Float32Array | null = null;
  const getScratch = () => (scratch ??= new Float32Array(vocabSizeOf(seq)));
  return {
    positionsPerCall: Math.max(16, Math.min(256, Math.floor((32 << 20) / (4 * vocabSizeOf(seq))))),
    async evaluate(tokens, wanted, onDist) {
      if (tokens.length === 0) return;
      const logits = tokens.map((_, i) => wanted(i));
      let failure: unknown = null;
      const lock = await acquireLock([s._lock, "evaluate"] as const);
      try {
        await s._decodeTokens(
          tokens,
          logits,
          undefined,
          s._tokenMeter,
          { size: s._contextShift.size, strategy: s._contextShift.strategy },
          (batchLogitIndex, tokenIndex) => {
            if (failure !== null || !logits[tokenIndex]) return undefined;
            try {
              onDist(tokenIndex, new NativeDist(b, ctx, batchLogitIndex, getScratch));
            } catch (err) {
              failure = err;
            }
            return undefined;
          },
          s._takeIntervalCheckpointIfNeededAfterBatch,
        );
      } finally {
        lock.dispose();
      }
      if (failure !== null) throw failure;
    },
  };
}
