// Generations that decode together on sequences of one context (`parallel`, what compare
// columns ask for): they overlap (every stream's first token arrives before any stream
// ends, where the model's one-sequence context runs them one after another), each equals
// the same request run alone with the same seed, and another adapter set gets a wide
// context of its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import type { AdapterRef, GenerateRequest, ModelInfo } from "../../core/engine/types.ts";
import { plus2Next, successorNext } from "../../core/fixtures/successor.ts";
import { fixture } from "../helpers/fixtures.ts";
import { expectedText, generateAll, testEngine } from "./engineTestUtils.ts";

let engine: EngineClient;
let demo: ModelInfo;
let successor: ModelInfo;
const plus2: AdapterRef[] = [{ path: fixture.successorPlus2, scale: 1 }];

beforeAll(async () => {
  engine = testEngine();
  demo = await engine.loadModel({ path: fixture.demo, contextSize: 256 });
  successor = await engine.loadModel({ path: fixture.successor, contextSize: 256 });
});
afterAll(async () => {
  await engine?.dispose();
});

/** Runs requests at once; returns each one's text and the order of first tokens and ends. */
async function runTogether(requests: GenerateRequest[]): Promise<{ texts: string[]; events: string[] }> {
  const events: string[] = [];
  const texts = await Promise.all(
    requests.map(async (request, i) => {
      let first = true;
      let text = "";
      for await (const p of engine.generate(request)) {
        if (p.type === "fragment") {
          if (first && p.tokens.length) events.push(`first ${i}`);
          if (p.tokens.length) first = false;
          text += p.text;
        } else {
          events.push(`done ${i}`);
          expect(p.text).toBe(text);
        }
      }
      return text;
    }),
  );
  return { texts, events };
}

const firstDone = (events: string[]) => events.findIndex((e) => e.startsWith("done"));
const lastFirst = (events: string[]) => events.findLastIndex((e) => e.startsWith("first"));

describe("parallel generations on sequences of one context", () => {
  const columns = [
    { temperature: 0.9, seed: 7 },
    { temperature: 1.2, seed: 7 },
    { temperature: 1.4, topK: 0, topP: 1, minP: 0.1, seed: 7 },
  ];
  const request = (sampling: (typeof columns)[number], parallel?: number): GenerateRequest => ({
    modelId: demo.id,
    prompt: { kind: "raw", text: "The lathe " },
    sampling: { ...sampling, maxTokens: 24 },
    ...(parallel ? { parallel } : {}),
  });

  it("overlap: each stream's first token comes before any stream ends, and each equals its single run", async () => {
    const together = await runTogether(columns.map((c) => request(c, 3)));
    expect(together.events).toHaveLength(6);
    expect(lastFirst(together.events)).toBeLessThan(firstDone(together.events));
    for (const [i, c] of columns.entries()) {
      const alone = await generateAll(engine, request(c));
      expect(together.texts[i]).toBe(alone.done.text);
    }
    expect(new Set(together.texts).size).toBe(3);
    const contexts = (await engine.status()).models.find((m) => m.id === demo.id)!.contexts;
    expect(contexts.map((c) => c.sequences).sort()).toEqual([1, 3]);
    expect(contexts.every((c) => c.busy === 0)).toBe(true);
  });

  it("without parallel, the model's one-sequence context runs the same requests one after another", async () => {
    const serial = await runTogether(columns.map((c) => request(c)));
    expect(serial.events).toEqual(["first 0", "done 0", "first 1", "done 1", "first 2", "done 2"]);
    // The queued requests were handed their sequence by the one before: each counted busy once, so all is idle now.
    const contexts = (await engine.status()).models.find((m) => m.id === demo.id)!.contexts;
    expect(contexts.map((c) => c.busy)).toEqual(contexts.map(() => 0));
  });

  it("another adapter set decodes on a wide context of its own, by its own rule", async () => {
    const raw = (adapters: AdapterRef[]): GenerateRequest => ({
      modelId: successor.id,
      adapters,
      prompt: { kind: "raw", text: "abc" },
      sampling: { temperature: 0, maxTokens: 16 },
      parallel: 2,
    });
    const r = await runTogether([raw([]), raw(plus2), raw([]), raw(plus2)]);
    expect(r.texts).toEqual([
      expectedText(successorNext, "c", 16),
      expectedText(plus2Next, "c", 16),
      expectedText(successorNext, "c", 16),
      expectedText(plus2Next, "c", 16),
    ]);
    expect(lastFirst(r.events)).toBeLessThan(firstDone(r.events));
    const contexts = (await engine.status()).models.find((m) => m.id === successor.id)!.contexts;
    const wide = contexts.filter((c) => c.sequences === 2).map((c) => c.adapters.map((a) => a.path));
    expect(wide).toEqual(expect.arrayContaining([[], [fixture.successorPlus2]]));
    expect(wide).toHaveLength(2);
  });
});
