// Probabilities and scores from llama.cpp: next-token distributions (raw and after a
// sampling chain), per-token probabilities of a response, log-likelihood of continuations
// (shared prefix evaluated once per sequence, sequences run in parallel, never truncated),
// sliding-window perplexity and per-token KL divergence between adapter sets. All read
// distributions position by position (entry i predicts token i+1): from llama.cpp's logits
// through Lathe's native entry points when the local build has them (nativeLogits.ts),
// else as node-llama-cpp's full probability maps through controlledEvaluate.
// Called by HostRuntime.
import type { ControlledEvaluateInputItem, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { EngineError } from "../../core/engine/errors.ts";
import type { ContinuationScore, DistributionSummary, TokenProb } from "../../core/engine/types.ts";
import type { SamplingConfig } from "../../core/sampling/config.ts";
import { nativeLogitsFor, type PositionDist } from "./nativeLogits.ts";
import { mapSampling, randomSeed } from "./sampling.ts";

/** Positions evaluated with full distributions per controlledEvaluate call (bounds memory on big vocabularies). */
const CHUNK = 32;

/** Text of a single token. */
export function pieceOf(model: LlamaModel, token: Token): string {
  return model.detokenize([token], true);
}

function tokenProb(model: LlamaModel, id: number, prob: number): TokenProb {
  return { id, piece: pieceOf(model, id as Token), prob, logprob: Math.log(prob) };
}

/** Top-N, entropy (nats) and candidate count of a probability map (sorted high to low). */
export function summarize(model: LlamaModel, probs: Map<Token, number>, topN: number): DistributionSummary {
  const top: TokenProb[] = [];
  let entropy = 0;
  let candidates = 0;
  for (const [id, p] of probs) {
    if (top.length < topN) top.push(tokenProb(model, id, p));
    if (p > 0) {
      entropy -= p * Math.log(p);
      candidates++;
    }
  }
  return { top, entropy, candidates };
}

/** Fails fast when `tokens` cannot fit in one sequence (nothing is ever truncated). */
export function assertFits(seq: LlamaContextSequence, tokens: number, what: string): void {
  if (tokens > seq.contextSize - 1) {
    throw new EngineError("prompt_too_long", `prompt does not fit: ${what} is ${tokens} tokens, the context holds ${seq.contextSize - 1}`);
  }
}

/**
 * Makes `seq` hold exactly `prefix` (reusing what it already holds) and returns how many
 * tokens had to be evaluated for that.
 */
async function loadPrefix(seq: LlamaContextSequence, prefix: Token[]): Promise<number> {
  await seq.adaptStateToTokens(prefix, false);
  const rest = prefix.slice(seq.nextTokenIndex);
  if (rest.length) await seq.evaluateWithoutGeneratingNewTokens(rest);
  return rest.length;
}

/** A PositionDist over one of node-llama-cpp's probability maps (sorted high to low). */
export function mapDist(probs: Map<Token, number>): PositionDist {
  return {
    logprob: (token) => Math.log(probs.get(token) ?? 0),
    argmax: () => probs.keys().next().value as Token,
    rank(token) {
      const prob = probs.get(token) ?? 0;
      let rank = 1;
      for (const p of probs.values()) {
        if (p > prob) rank++;
        else break;
      }
      return rank;
    },
    top(n) {
      const out: { id: Token; prob: number }[] = [];
      for (const [id, prob] of probs) {
        if (out.length >= n) break;
        out.push({ id, prob });
      }
      return out;
    },
    dense(out) {
      out.fill(0);
      for (const [id, p] of probs) if (id < out.length) out[id] = p;
    },
  };
}

/**
 * Evaluates `tokens` after the sequence's current state and hands the distribution after
 * each flagged position to `onDist(i, dist)` (i indexes `tokens`; `dist` is valid only
 * during the call), chunk by chunk.
 */
async function evaluateWithDistributions(
  seq: LlamaContextSequence,
  tokens: Token[],
  wanted: (i: number) => boolean,
  onDist: (i: number, dist: PositionDist) => void,
  signal?: AbortSignal,
): Promise<void> {
  const native = nativeLogitsFor(seq);
  const chunkSize = native ? native.positionsPerCall : CHUNK;
  for (let start = 0; start < tokens.length; start += chunkSize) {
    if (signal?.aborted) throw new EngineError("cancelled", "cancelled");
    const chunk = tokens.slice(start, start + chunkSize);
    if (native) {
      await native.evaluate(chunk, (j) => wanted(start + j), (j, dist) => onDist(start + j, dist));
      continue;
    }
    const items: ControlledEvaluateInputItem[] = chunk.map((t, j) => (wanted(start + j) ? [t, { generateNext: { probabilities: true } }] : t));
    const out = await seq.controlledEvaluate(items);
    for (let j = 0; j < chunk.length; j++) {
      const probs = out[j]?.next.probabilities;
      if (probs) onDist(start + j, mapDist(probs));
    }
  }
}

/** Next-token distribution after `tokens`, raw and optionally after a sampling chain. */
export async function nextTokenDistribution(
  model: LlamaModel,
  seq: LlamaContextSequence,
  tokens: Token[],
  responseTokens: Token[],
  topN: number,
  sampling: SamplingConfig | undefined,
): Promise<{ raw: DistributionSummary; sampled: DistributionSummary | null }> {
  assertFits(seq, tokens.length, "the context");
  const last = tokens.at(-1)!;
  await loadPrefix(seq, tokens.slice(0, -1));
  const rawOut = await seq.controlledEvaluate([[last, { generateNext: { probabilities: true } }]]);
  const rawProbs = rawOut[0]?.next.probabilities;
  if (!rawProbs) throw new EngineError("internal", "llama.cpp returned no distribution");
  const raw = summarize(model, rawProbs, topN);
  if (!sampling) return { raw, sampled: null };
  // Sampling again needs fresh logits: drop the last token and evaluate it once more.
  await seq.eraseContextTokenRanges([{ start: tokens.length - 1, end: seq.nextTokenIndex }]);
  const mapped = mapSampling(model, sampling, sampling.seed ?? randomSeed(), () => responseTokens, seq.contextSize);
  const sampledOut = await seq.controlledEvaluate([[last, { generateNext: { probabilities: true, options: mapped } }]]);
  const sampledProbs = sampledOut[0]?.next.probabilities;
  if (!sampledProbs) throw new EngineError("internal", "llama.cpp returned no distribution");
  return { raw, sampled: summarize(model, sampledProbs, topN) };
}

/** Raw probability of every token from `start` on, with the top-N alternatives at each position. */
export async function responseProbabilities(
  model: LlamaModel,
  seq: LlamaContextSequence,
  tokens: Token[],
  start: number,
  topN: number,
  signal?: AbortSignal,
): Promise<{ id: number; prob: number; rank: number; alternatives: TokenProb[] }[]> {
  assertFits(seq, tokens.length, "prompt + response");
  if (start < 1) throw new EngineError("invalid_input", "the prompt must have at least one token before the response");
  await loadPrefix(seq, tokens.slice(0, start - 1));
  const tail = tokens.slice(start - 1);
  const out: { id: number; prob: number; rank: number; alternatives: TokenProb[] }[] = [];
  await evaluateWithDistributions(
    seq,
    tail,
    (i) => i < tail.length - 1,
    (i, dist) => {
      const target = tail[i + 1]!;
      const prob = Math.exp(dist.logprob(target));
      const alternatives = dist.top(topN).map((a) => tokenProb(model, a.id, a.prob));
      out.push({ id: target, prob, rank: dist.rank(target), alternatives });
    },
    signal,
  );
  return out;
}

/** One continuation prepared for scoring. */
export interface ScoringItem {
  /** Context + continuation tokens. */
  whole: Token[];
  /** Index of the first continuation token in `whole`. */
  start: number;
}

/** Scores one continuation whose prefix `whole[0, from)` is already in `seq`. */
async function scoreFrom(seq: LlamaContextSequence, item: ScoringItem, from: number, signal?: AbortSignal): Promise<ContinuationScore> {
  const input = item.whole.slice(from);
  let logprob = 0;
  let isGreedy = true;
  // input[i] sits at whole[from + i]; its distribution predicts whole[from + i + 1].
  await evaluateWithDistributions(
    seq,
    input,
    (i) => from + i + 1 >= item.start && from + i + 1 < item.whole.length,
    (i, dist) => {
      const target = item.whole[from + i + 1]!;
      logprob += dist.logprob(target);
      if (isGreedy && dist.argmax() !== target) isGreedy = false;
    },
    signal,
  );
  return { logprob, tokens: item.whole.length - item.start, isGreedy };
}

/** Length of the prefix every item shares, leaving at least the token before each continuation to evaluate. */
export function sharedPrefixLength(items: ScoringItem[]): number {
  let shared = Math.min(...items.map((it) => it.start - 1));
  const first = items[0]!.whole;
  for (const it of items) {
    let i = 0;
    while (i < shared && it.whole[i] === first[i]) i++;
    shared = i;
  }
  return Math.max(0, shared);
}

/**
 * How many sequences one scoring call should use. Each extra lane evaluates the shared
 * prefix again (llama.cpp's KV copy between sequences is not exposed), so a lane is added
 * only when the continuations outweigh the prefix it costs; parallel calls (other items)
 * take the remaining sequences and are batched with this one.
 */
export function scoringLanes(items: ScoringItem[], maxLanes: number): number {
  const shared = sharedPrefixLength(items);
  const rest = items.reduce((a, it) => a + it.whole.length - shared, 0);
  return Math.max(1, Math.min(maxLanes, items.length, Math.floor(rest / Math.max(1, shared))));
}

/**
 * Log-likelihood of each item. "sharedPrefix": each sequence used evaluates the common
 * prefix once (or reuses it from its cache) and scores its share of the items from there,
 * erasing back after each; sequences run concurrently, so node-llama-cpp batches them
 * into the same decodes. "naive": every item is evaluated from scratch on one sequence.
 * Returns scores and the number of tokens evaluated.
 */
export async function scoreContinuations(
  seqs: LlamaContextSequence[],
  items: ScoringItem[],
  strategy: "sharedPrefix" | "naive",
  signal?: AbortSignal,
): Promise<{ scores: ContinuationScore[]; evaluatedTokens: number }> {
  for (const it of items) assertFits(seqs[0]!, it.whole.length, "context + continuation");
  const scores: ContinuationScore[] = new Array(items.length);
  let evaluatedTokens = 0;
  if (strategy === "naive") {
    const seq = seqs[0]!;
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      await seq.clearHistory();
      evaluatedTokens += item.whole.length;
      scores[k] = await scoreFrom(seq, item, 0, signal);
    }
    return { scores, evaluatedTokens };
  }
  const shared = sharedPrefixLength(items);
  const prefix = items[0]!.whole.slice(0, shared);
  const lanes = seqs.slice(0, Math.min(seqs.length, items.length));
  await Promise.all(
    lanes.map(async (seq, lane) => {
      const loaded = await loadPrefix(seq, prefix); // (not `x += await`: lanes run concurrently)
      evaluatedTokens += loaded;
      for (let k = lane; k < items.length; k += lanes.length) {
        const item = items[k]!;
        evaluatedTokens += item.whole.length - shared;
        scores[k] = await scoreFrom(seq, item, shared, signal);
        await seq.eraseContextTokenRanges([{ start: shared, end: seq.nextTokenIndex }]);
      }
    }),
  );
  return { scores, evaluatedTokens };
}

/** Sliding-window perplexity (the Hugging Face recipe: each window scores only tokens the previous one did not). */
export async function slidingPerplexity(
  seq: LlamaContextSequence,
  tokens: Token[],
  windowSize: number,
  stride: number,
  signal?: AbortSignal,
): Promise<{ nll: number; scored: number; windows: number }> {
  if (tokens.length < 2) throw new EngineError("invalid_input", "perplexity needs a text of at least 2 tokens");
  let nll = 0;
  let scored = 0;
  let windows = 0;
  let prevEnd = 0;
  for (let begin = 0; begin < tokens.length; begin += stride) {
    const end = Math.min(begin + windowSize, tokens.length);
    // Score tokens [max(prevEnd, begin + 1), end) of this window.
    const scoreFromIdx = Math.max(prevEnd, begin + 1);
    const window = tokens.slice(begin, end);
    await seq.clearHistory();
    await evaluateWithDistributions(
      seq,
      window,
      (i) => begin + i + 1 >= scoreFromIdx && begin + i + 1 < end,
      (i, dist) => {
        nll -= dist.logprob(window[i + 1]!);
        scored++;
      },
      signal,
    );
    windows++;
    prevEnd = end;
    if (end === tokens.length) break;
  }
  return { nll, scored, windows };
}

/**
 * Dense next-token distributions for positions [from, to) of `tokens` (position i predicts
 * token i+1), evaluated on `seq` after loading tokens [0, from).
 */
export async function denseDistributions(
  seq: LlamaContextSequence,
  tokens: Token[],
  from: number,
  to: number,
  vocabSize: number,
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  await loadPrefix(seq, tokens.slice(0, from));
  const part = tokens.slice(from, to);
  const out: Float32Array[] = [];
  await evaluateWithDistributions(
    seq,
    part,
    () => true,
    (i, dist) => {
      const dense = new Float32Array(vocabSize);
      dist.dense(dense);
      out[i] = dense;
    },
    signal,
  );
  return out;
}

/** KL(P || Q) in nats; Q's zeros are floored so the result stays finite. */
export function klDivergence(p: Float32Array, q: Float32Array): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi <= 0) continue;
    kl += pi * (Math.log(pi) - Math.log(Math.max(q[i]!, 1e-30)));
  }
  return Math.max(0, kl);
}
