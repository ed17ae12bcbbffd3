// Introspection and scoring: next-token distributions (raw and after each sampling stage),
// per-token probabilities of a response, log-likelihood (equal to the sum of per-token
// log-probabilities, shared-prefix = naive, batched across sequences, never truncated) and
// sliding-window perplexity. Expected values come from the fixture's known logits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import { EngineError } from "../../core/engine/errors.ts";
import type { ModelInfo } from "../../core/engine/types.ts";
import { baseMargin } from "../../core/fixtures/successor.ts";
import { BYTE_VOCAB_SIZE } from "../../core/fixtures/tokenizer.ts";
import { fixture } from "../helpers/fixtures.ts";
import { testEngine } from "./engineTestUtils.ts";

let engine: EngineClient;
let successor: ModelInfo;
let demo: ModelInfo;
const raw = (text: string) => ({ kind: "raw" as const, text });

/** The successor's probability of its rule token after token t: one logit `margin` above 258 zeros. */
function ruleProb(t: number): number {
  const e = Math.exp(baseMargin(t));
  return e / (e + BYTE_VOCAB_SIZE - 1);
}

beforeAll(async () => {
  engine = testEngine({ gpu: "cpu" });
  successor = await engine.loadModel({ path: fixture.successor, contextSize: 256, sequences: 2 });
  demo = await engine.loadModel({ path: fixture.demo, contextSize: 256 });
});
afterAll(async () => {
  await engine?.dispose();
});

describe("next-token distribution", () => {
  it("gives the model's softmax with top-N and entropy", async () => {
    const d = await engine.nextTokenDistribution({ modelId: successor.id, prompt: raw("abc"), topN: 3 });
    expect(d.contextTokens).toBe(3);
    expect(d.sampled).toBeNull();
    expect(d.raw.top).toHaveLength(3);
    expect(d.raw.top[0]).toMatchObject({ id: 100, piece: "d" });
    const p = ruleProb(99);
    expect(d.raw.top[0]!.prob).toBeCloseTo(p, 5);
    expect(d.raw.top[1]!.prob).toBeCloseTo((1 - p) / (BYTE_VOCAB_SIZE - 1), 6);
    const q = (1 - p) / (BYTE_VOCAB_SIZE - 1);
    expect(d.raw.entropy).toBeCloseTo(-p * Math.log(p) - (BYTE_VOCAB_SIZE - 1) * q * Math.log(q), 4);
    expect(d.raw.candidates).toBe(BYTE_VOCAB_SIZE);
  });

  it("conditions on a partial response appended after the prompt", async () => {
    const d = await engine.nextTokenDistribution({ modelId: successor.id, prompt: raw("abc"), response: "de", topN: 1 });
    expect(d.contextTokens).toBe(5);
    expect(d.raw.top[0]!.piece).toBe("f");
  });

  it("applies each sampling stage: top-k, top-p, min-p, temperature, XTC, token bias", async () => {
    const d = (sampling: object) => engine.nextTokenDistribution({ modelId: demo.id, prompt: raw("The "), topN: 300, sampling });
    const base = (await d({ temperature: 1, topK: 0, topP: 1, minP: 0 })).sampled!;
    const rawTop = base.top;
    expect(base.candidates).toBe(BYTE_VOCAB_SIZE);

    const k3 = (await d({ temperature: 1, topK: 3, topP: 1, minP: 0 })).sampled!;
    expect(k3.candidates).toBe(3);
    expect(k3.top.map((t) => t.id)).toEqual(rawTop.slice(0, 3).map((t) => t.id));
    expect(k3.top.reduce((a, t) => a + t.prob, 0)).toBeCloseTo(1, 5);

    const p5 = (await d({ temperature: 1, topK: 0, topP: 0.5, minP: 0 })).sampled!;
    const kept = rawTop.slice(0, p5.candidates).reduce((a, t) => a + t.prob, 0);
    const keptButLast = kept - rawTop[p5.candidates - 1]!.prob;
    expect(kept).toBeGreaterThanOrEqual(0.5 - 1e-6);
    expect(keptButLast).toBeLessThan(0.5);

    const m2 = (await d({ temperature: 1, topK: 0, topP: 1, minP: 0.2 })).sampled!;
    const threshold = 0.2 * rawTop[0]!.prob;
    expect(m2.candidates).toBe(rawTop.filter((t) => t.prob >= threshold).length);

    const hot = (await d({ temperature: 2, topK: 0, topP: 1, minP: 0 })).sampled!;
    const cold = (await d({ temperature: 0.5, topK: 0, topP: 1, minP: 0 })).sampled!;
    expect(hot.entropy).toBeGreaterThan(base.entropy);
    expect(cold.entropy).toBeLessThan(base.entropy);

    // XTC (always on, threshold 5%) removes every top choice above the threshold but the least likely one.
    const xtc = (await d({ temperature: 0, xtc: { probability: 1, threshold: 0.05 } })).sampled!;
    const above = rawTop.filter((t) => t.prob >= 0.05);
    expect(above.length).toBeGreaterThan(1);
    expect(xtc.top[0]!.id).toBe(above.at(-1)!.id);

    const banned = (await d({ temperature: 0, tokenBias: [{ token: rawTop[0]!.id, logit: "never" }] })).sampled!;
    expect(banned.top[0]!.id).toBe(rawTop[1]!.id);
    expect(banned.top.find((t) => t.id === rawTop[0]!.id)?.prob ?? 0).toBe(0);
  });
});

describe("token probabilities of a response", () => {
  it("gives each token's probability, rank and the alternatives", async () => {
    const r = await engine.tokenProbabilities({ modelId: successor.id, prompt: raw("abc"), response: "dex", topN: 2 });
    expect(r.tokens.map((t) => t.piece)).toEqual(["d", "e", "x"]);
    expect(r.tokens[0]!.prob).toBeCloseTo(ruleProb(99), 5);
    expect(r.tokens[1]!.prob).toBeCloseTo(ruleProb(100), 5);
    expect(r.tokens.map((t) => t.rank)).toEqual([1, 1, 2]);
    expect(r.tokens[2]!.alternatives[0]!.piece).toBe("f");
    expect(r.tokens[2]!.alternatives).toHaveLength(2);
    expect(r.sumLogprob).toBeCloseTo(r.tokens.reduce((a, t) => a + Math.log(t.prob), 0), 9);
  });
});

describe("log-likelihood", () => {
  it("equals the sum of per-token log-probabilities from the distribution API", async () => {
    const context = "The cat";
    const continuation = " sat on";
    const ll = await engine.logLikelihood({ modelId: demo.id, context, continuations: [continuation] });
    let sum = 0;
    for (let i = 0; i < continuation.length; i++) {
      const d = await engine.nextTokenDistribution({ modelId: demo.id, prompt: raw(context + continuation.slice(0, i)), topN: 300 });
      const target = continuation.charCodeAt(i);
      sum += Math.log(d.raw.top.find((t) => t.id === target)!.prob);
    }
    expect(ll.results[0]!.tokens).toBe(continuation.length);
    expect(ll.results[0]!.logprob).toBeCloseTo(sum, 4);
  });

  it("flags greedy continuations and scores the likely one higher", async () => {
    const ll = await engine.logLikelihood({ modelId: successor.id, context: "abc", continuations: ["def", "dex", "zzz"] });
    expect(ll.results.map((r) => r.isGreedy)).toEqual([true, false, false]);
    expect(ll.results[0]!.logprob).toBeCloseTo(Math.log(ruleProb(99)) + Math.log(ruleProb(100)) + Math.log(ruleProb(101)), 4);
    expect(ll.results[0]!.logprob).toBeGreaterThan(ll.results[1]!.logprob);
    expect(ll.results[1]!.logprob).toBeGreaterThan(ll.results[2]!.logprob);
    expect(ll.contextTokens).toBe(3);
  });

  it("shared-prefix scoring matches naive scoring while evaluating the context once", async () => {
    const context = "Question: which letter follows m? Answer:";
    const continuations = [" n", " o", " mnop", " q"];
    const shared = await engine.logLikelihood({ modelId: successor.id, context, continuations });
    const naive = await engine.logLikelihood({ modelId: successor.id, context, continuations, strategy: "naive" });
    for (let i = 0; i < continuations.length; i++) {
      expect(shared.results[i]!.logprob).toBeCloseTo(naive.results[i]!.logprob, 5);
      expect(shared.results[i]!.isGreedy).toBe(naive.results[i]!.isGreedy);
    }
    expect(naive.evaluatedTokens).toBe(continuations.reduce((a, c) => a + context.length + c.length, 0));
    // One pass over the context (all but its last token), then each continuation plus that token.
    expect(shared.evaluatedTokens).toBe(context.length - 1 + continuations.reduce((a, c) => a + c.length + 1, 0));
  });

  it("long continuations are scored on two sequences at once, with the same results", async () => {
    const context = "W:";
    const continuations = ["abcdefghijklmnopqrst", "bcdefghijklmnopqrstu", "zyxwvutsrqponmlkjihg", "abcdefghijklmnopqrsX"];
    const batched = await engine.logLikelihood({ modelId: successor.id, context, continuations });
    const naive = await engine.logLikelihood({ modelId: successor.id, context, continuations, strategy: "naive" });
    for (let i = 0; i < continuations.length; i++) expect(batched.results[i]!.logprob).toBeCloseTo(naive.results[i]!.logprob, 5);
    expect(batched.results.map((r) => r.isGreedy)).toEqual([false, false, false, false]);
    // Each of the 2 lanes evaluated the 1-token shared prefix: 2 x 1 + 4 x 21 tokens.
    expect(batched.evaluatedTokens).toBe(2 + 4 * 21);
  });

  it("rejects a prompt that does not fit instead of truncating it", async () => {
    const err = (await engine.logLikelihood({ modelId: successor.id, context: "x".repeat(300), continuations: ["y"] }).catch((e: unknown) => e)) as EngineError;
    expect(err).toBeInstanceOf(EngineError);
    expect(err.reason).toBe("prompt_too_long");
    expect(err.message).toContain("prompt does not fit");
    // The same guard protects generation.
    const gen = engine.generate({ modelId: successor.id, prompt: raw("x".repeat(300)) });
    await expect(gen[Symbol.asyncIterator]().next()).rejects.toMatchObject({ reason: "prompt_too_long" });
  });
});

describe("perplexity", () => {
  it("sliding windows give the same perplexity as one window on a model that only looks at the last token", async () => {
    const text = "the quick brown fox jumps over the lazy dog and keeps running far away";
    const whole = await engine.perplexity({ modelId: demo.id, text });
    const sliding = await engine.perplexity({ modelId: demo.id, text, windowSize: 16, stride: 8 });
    expect(whole.windows).toBe(1);
    expect(sliding.windows).toBeGreaterThan(4);
    expect(whole.tokens).toBe(text.length - 1);
    expect(sliding.tokens).toBe(whole.tokens);
    expect(sliding.perplexity).toBeCloseTo(whole.perplexity, 4);
    expect(whole.perplexity).toBeCloseTo(Math.exp(whole.meanNll), 9);
  });

  it("is near 1 on text that follows the successor rule", async () => {
    const r = await engine.perplexity({ modelId: successor.id, text: "abcdefghijklmnopqrstuvwxyz" });
    expect(r.perplexity).toBeLessThan(1.03);
  });
});
