// LoRA adapter sets on one loaded model: swapping rules without reloading the base, scales,
// concurrent sets, LRU eviction of contexts, KL divergence between sets, and adapter
// errors with llama.cpp's reason (from the validator, and from llama.cpp itself when the
// validator is switched off).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import type { AdapterRef, ModelInfo } from "../../core/engine/types.ts";
import { EngineError } from "../../core/engine/errors.ts";
import { altNext, mixedNext, plus2Next, successorNext } from "../../core/fixtures/successor.ts";
import { fixture } from "../helpers/fixtures.ts";
import { expectedText, generateAll, testEngine } from "./engineTestUtils.ts";

let engine: EngineClient;
let base: ModelInfo;
const plus2: AdapterRef[] = [{ path: fixture.successorPlus2, scale: 1 }];
const alt: AdapterRef[] = [{ path: fixture.successorAlt, scale: 1 }];

async function complete(adapters: AdapterRef[], prompt = "abc", maxTokens = 12, modelId = base.id): Promise<string> {
  return (await generateAll(engine, { modelId, adapters, prompt: { kind: "raw", text: prompt }, sampling: { temperature: 0, maxTokens } })).done.text;
}

beforeAll(async () => {
  engine = testEngine({ maxContextsPerModel: 3 });
  base = await engine.loadModel({ path: fixture.successor, contextSize: 256 });
});
afterAll(async () => {
  await engine?.dispose();
});

describe("adapter sets", () => {
  it("swaps +1 -> +2 -> +1 on one loaded model without reloading the base", async () => {
    expect(await complete([])).toBe(expectedText(successorNext, "c", 12));
    expect(await complete(plus2)).toBe(expectedText(plus2Next, "c", 12));
    expect(await complete([])).toBe(expectedText(successorNext, "c", 12));
    expect(await complete(plus2)).toBe(expectedText(plus2Next, "c", 12));
    const s = await engine.status();
    expect(s.counters.modelLoads).toBe(1);
    const contexts = s.models.find((m) => m.id === base.id)!.contexts;
    expect(contexts.map((c) => c.adapters.map((a) => a.path))).toEqual(expect.arrayContaining([[], [fixture.successorPlus2]]));
    expect(s.counters.contextsCreated).toBe(2);
  });

  it("a scale of 0.5 mixes the rules as the fixture defines", async () => {
    expect(await complete([{ path: fixture.successorPlus2, scale: 0.5 }], "a", 20)).toBe(expectedText(mixedNext(plus2Next), "a", 20));
  });

  it("different conversations use different sets at the same time", async () => {
    const [a, b, c] = await Promise.all([complete([], "A", 30), complete(plus2, "A", 30), complete(alt, "A", 30)]);
    expect(a).toBe(expectedText(successorNext, "A", 30));
    expect(b).toBe(expectedText(plus2Next, "A", 30));
    expect(c).toBe(expectedText(altNext, "A", 30));
  });

  it("evicts the least recently used context beyond the per-model limit and recreates it on demand", async () => {
    const before = await engine.status();
    await complete([{ path: fixture.successorAlt, scale: 0.5 }]); // a 4th set with a limit of 3
    const after = await engine.status();
    const contexts = after.models.find((m) => m.id === base.id)!.contexts;
    expect(contexts.length).toBeLessThanOrEqual(3);
    expect(after.counters.contextsEvicted).toBeGreaterThan(before.counters.contextsEvicted);
    // Whatever was evicted still works (a new context is made); the base is never reloaded.
    expect(await complete([])).toBe(expectedText(successorNext, "c", 12));
    expect(await complete(plus2)).toBe(expectedText(plus2Next, "c", 12));
    expect((await engine.status()).counters.modelLoads).toBe(1);
  });

  it("KL divergence is 0 between a set and itself and large between the base and +2", async () => {
    const text = "The quick brown fox jumps";
    const same = await engine.klDivergence({ modelId: base.id, text, adaptersA: [], adaptersB: [] });
    expect(same.tokens).toHaveLength(text.length - 1);
    expect(same.tokens.map((t) => t.piece).join("")).toBe(text.slice(1));
    expect(same.maxKl).toBe(0);
    const diff = await engine.klDivergence({ modelId: base.id, text, adaptersA: [], adaptersB: plus2 });
    // Each position moves ~all mass from the +1 token to the +2 token: KL is several nats.
    expect(diff.meanKl).toBeGreaterThan(5);
    expect(Math.min(...diff.tokens.map((t) => t.kl))).toBeGreaterThan(1);
  });
});

describe("adapter errors", () => {
  it("the validator rejects an adapter built for another base with llama.cpp's reason, before llama.cpp sees it", async () => {
    const err = await complete([{ path: fixture.successorWrongBase, scale: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).reason).toBe("adapter_mismatch");
    expect((err as EngineError).message).toContain("has incorrect shape (hint: maybe wrong base model?)");
    expect((err as EngineError).message).toContain("output.weight");
  });

  it("a full model given as an adapter is rejected as not an adapter", async () => {
    const err = (await complete([{ path: fixture.demo, scale: 1 }]).catch((e: unknown) => e)) as EngineError;
    expect(err.reason).toBe("adapter_mismatch");
    expect(err.message).toMatch(/adapter/i);
  });

  it("with the validator off, llama.cpp's own logger reason is attached to the error", async () => {
    const raw = testEngine({ validateAdapters: false });
    try {
      const m = await raw.loadModel({ path: fixture.successor, contextSize: 256 });
      const err = (await generateAll(raw, { modelId: m.id, adapters: [{ path: fixture.successorWrongBase, scale: 1 }], prompt: { kind: "raw", text: "a" } }).catch(
        (e: unknown) => e,
      )) as EngineError;
      expect(err.reason).toBe("adapter_mismatch");
      expect(err.logs.join("\n")).toContain("tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?)");
      expect(err.message).toContain("has incorrect shape");
      // The model is still usable with a good adapter afterwards.
      const ok = await generateAll(raw, { modelId: m.id, adapters: plus2, prompt: { kind: "raw", text: "a" }, sampling: { temperature: 0, maxTokens: 3 } });
      expect(ok.done.text).toBe(expectedText(plus2Next, "a", 3));
    } finally {
      await raw.dispose();
    }
  });
});
