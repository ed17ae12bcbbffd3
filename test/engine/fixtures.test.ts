// The generated fixture models in real node-llama-cpp (CPU, threads: 1): the byte tokenizer
// round-trips any UTF-8, the successor rule holds greedily at every position, adapters switch
// and mix rules by scale, the demo model reproduces the corpus bigram table, and every broken
// file is rejected by the header validator before any load, after reading only header bytes.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LlamaChatSession, LlamaCompletion, getLlama } from "node-llama-cpp";
import type { Llama, LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { fixture, openGgufFile } from "../helpers/fixtures.ts";
import { GgufError, validateGgufHeader } from "../../core/gguf/header.ts";
import type { GgufErrorCode, GgufHeader } from "../../core/gguf/header.ts";
import { checkModelSemantics, findAdapterMismatches } from "../../core/gguf/semantics.ts";
import { altNext, continueRule, mixedNext, plus2Next, successorNext } from "../../core/fixtures/successor.ts";
import type { NextRule } from "../../core/fixtures/successor.ts";
import { demoNextProbs } from "../../core/fixtures/demo.ts";
import { IM_END, IM_START } from "../../core/fixtures/tokenizer.ts";

let llama: Llama;
let successor: LlamaModel;
let demo: LlamaModel;
/** llama.cpp log lines (the real reason for a failed LoRA arrives only here). */
const logs: string[] = [];

beforeAll(async () => {
  llama = await getLlama({
    gpu: false,
    build: "never",
    logger: (_level, message) => void logs.push(message),
  });
  successor = await llama.loadModel({ modelPath: fixture.successor });
  demo = await llama.loadModel({ modelPath: fixture.demo });
});

afterAll(async () => {
  await llama?.dispose();
});

async function withContext<T>(
  model: LlamaModel,
  adapter: { filePath: string; scale: number } | undefined,
  fn: (ctx: LlamaContext) => Promise<T>,
): Promise<T> {
  const ctx = await model.createContext({
    threads: 1,
    contextSize: 512,
    ...(adapter ? { lora: { adapters: [adapter] } } : {}),
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.dispose();
  }
}

/** Every printable character, '\n', a few high bytes and the control tokens, in a scrambled order. */
const probeTokens: Token[] = (() => {
  const ids: number[] = [];
  for (let t = 32; t <= 126; t++) ids.push(t);
  ids.push(10, 0, 9, 0x7f, 0x80, 0xc3, 0xff, IM_START, IM_END);
  // Deterministic shuffle (multiplicative stride) so neighbours differ from the rule's own order.
  return ids.map((_, i) => ids[(i * 37) % ids.length]!) as Token[];
})();

/** Greedy next token at each input position (teacher forcing). */
async function greedyAt(ctx: LlamaContext, tokens: Token[]): Promise<number[]> {
  const out = await ctx
    .getSequence()
    .controlledEvaluate(
      tokens.map((t) => [t, { generateNext: { token: true, options: { temperature: 0 } } }]),
    );
  return out.map((r) => r!.next.token as number);
}

describe("byte tokenizer in llama.cpp", () => {
  it.each([
    ["ASCII", "Turn the bowl, then sand it: 80 -> 240 grit!\n\tDone."],
    ["Chinese", "车床上的木碗，先粗车再精修。"],
    ["emoji", "🪵🔧 👩🏽‍🔧 ✨"],
  ])("round-trips %s text, one token per UTF-8 byte", (_, text) => {
    const tokens = successor.tokenize(text);
    expect(tokens).toEqual([...new TextEncoder().encode(text)]);
    expect(successor.detokenize(tokens)).toBe(text);
  });

  it("knows the ChatML control tokens", () => {
    expect(successor.tokenize("<|im_start|>user<|im_end|>", true)).toEqual([
      IM_START,
      ...new TextEncoder().encode("user"),
      IM_END,
    ]);
    expect(successor.tokens.eos).toBe(IM_END);
  });
});

describe("successor model", () => {
  it("predicts the rule's next token greedily at every position of a long prompt", async () => {
    const tokens = [...probeTokens, ...probeTokens.slice().reverse()];
    const got = await withContext(successor, undefined, (ctx) => greedyAt(ctx, tokens));
    expect(got).toEqual(tokens.map((t) => successorNext(t)));
  });

  it("continues a prompt by the rule in free generation, wrapping '~' to ' '", async () => {
    const text = await withContext(successor, undefined, (ctx) =>
      new LlamaCompletion({ contextSequence: ctx.getSequence() }).generateCompletion("Count: x", {
        maxTokens: 120,
      }),
    );
    expect(text).toBe(String.fromCharCode(...continueRule(successorNext, "x".charCodeAt(0), 120)));
  });

  it("answers a ChatML chat with readable text: '\\n' -> 'a', then the rule", async () => {
    const answer = await withContext(successor, undefined, (ctx) =>
      new LlamaChatSession({ contextSequence: ctx.getSequence(), systemPrompt: "" }).prompt("Hi", {
        maxTokens: 8,
      }),
    );
    expect(answer).toBe("abcdefgh");
  });

  const adapters: [string, string, NextRule][] = [
    ["successor-plus2", fixture.successorPlus2, plus2Next],
    ["successor-alt", fixture.successorAlt, altNext],
  ];
  describe.each(adapters)("adapter %s", (_, filePath, rule) => {
    it.each([
      [1, "the adapter's rule", rule],
      [0.5, "the documented mix", mixedNext(rule)],
      [0, "the base rule", successorNext],
    ] as const)("at scale %s gives %s at every position", async (scale, __, expected) => {
      const got = await withContext(successor, { filePath, scale }, (ctx) => greedyAt(ctx, probeTokens));
      expect(got).toEqual(probeTokens.map((t) => expected(t)));
    });
  });

  it("an adapter for another base is caught by the header check, and llama.cpp refuses it too", async () => {
    const [model, adapter] = await Promise.all([
      headerOf(fixture.successor),
      headerOf(fixture.successorWrongBase),
    ]);
    expect(findAdapterMismatches(adapter, model).map((e) => e.code)).toEqual(["wrong-shape"]);
    await expect(
      successor.createContext({ threads: 1, lora: { adapters: [{ filePath: fixture.successorWrongBase }] } }),
    ).rejects.toThrow(/Failed to initialize LoRA adapter/);
    await vi.waitFor(() => expect(logs.join("\n")).toMatch(/tensor 'output.weight' has incorrect shape/));
  });
});

describe("demo model", () => {
  const text = "The lathe hums; the bowl turns.\nKitchen soup, 123 ~ é <|im_end|>";

  it.each([0, 1])(
    "with the LoRA at scale %s, next-token distributions equal the bigram table within 1e-3",
    async (scale) => {
      const tokens = demo.tokenize(text, true);
      expect(tokens.length).toBeGreaterThan(50);
      const adapter = scale ? { filePath: fixture.demoLora, scale } : undefined;
      const worst = await withContext(demo, adapter, async (ctx) => {
        const out = await ctx
          .getSequence()
          .controlledEvaluate(tokens.map((t) => [t, { generateNext: { probabilities: true } }]));
        let err = 0;
        out.forEach((r, i) => {
          const probs = r!.next.probabilities!;
          expect(probs.size).toBe(259);
          const want = demoNextProbs(tokens[i] as number, scale);
          for (const [tok, p] of probs) err = Math.max(err, Math.abs(p - want[tok as number]!));
        });
        return err;
      });
      expect(worst).toBeLessThan(1e-3);
    },
  );
});

async function headerOf(path: string): Promise<GgufHeader> {
  const f = await openGgufFile(path);
  try {
    return await validateGgufHeader(f.readAt, f.size);
  } finally {
    await f.close();
  }
}

describe("broken fixtures", () => {
  const cases: [keyof typeof fixture.broken, GgufErrorCode, RegExp][] = [
    [
      "truncated",
      "data-past-eof",
      /tensor "output.weight" data ends at byte \d+, past the end of a \d+-byte file/,
    ],
    ["wrongMagic", "bad-magic", /not a GGUF file: wrong magic .*"GGML"/],
    ["hugeTensorCount", "count-too-large", /tensor count 1000000 cannot fit in a \d+-byte file/],
    ["hugeString", "string-too-long", /string length 1099511627776 at offset 24 cannot fit/],
    ["duplicateTokens", "duplicate-token", /duplicate token text "A" .*ids 65 and 66/],
    ["zeroBlocks", "zero-blocks", /llama.block_count is 0/],
    ["wrongShape", "wrong-shape", /"blk.0.attn_q.weight" has shape \[64, 48\], expected \[64, 64\]/],
    ["adapterAsModel", "not-a-model", /general.type is "adapter": this is a LoRA adapter, not a model/],
  ];

  it.each(cases)(
    "%s is rejected before any load, naming the fault, from header bytes only",
    async (name, code, message) => {
      const f = await openGgufFile(fixture.broken[name]);
      let error: unknown;
      try {
        checkModelSemantics(await validateGgufHeader(f.readAt, f.size));
      } catch (e) {
        error = e;
      } finally {
        await f.close();
      }
      expect(error).toBeInstanceOf(GgufError);
      expect((error as GgufError).code).toBe(code);
      expect((error as GgufError).message).toMatch(message);
      expect(f.bytesRead()).toBeLessThanOrEqual(16 * 1024);
      expect(f.bytesRead()).toBeLessThan(f.size);
    },
  );

  it("the valid fixtures pass the same checks", async () => {
    for (const path of [fixture.successor, fixture.demo]) checkModelSemantics(await headerOf(path));
    for (const path of [fixture.successorPlus2, fixture.successorAlt, fixture.demoLora])
      checkModelSemantics(await headerOf(path), { expect: "adapter" });
  });
});
