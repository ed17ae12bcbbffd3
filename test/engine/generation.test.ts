// Generation through the engine host on the fixture models: the greedy successor rule via
// chat and raw completion, streaming, stop reasons, every sampling option's effect, seeds,
// cancellation, timings and tokenization. One client (one host process) for the file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import type { ModelInfo } from "../../core/engine/types.ts";
import { successorNext } from "../../core/fixtures/successor.ts";
import { IM_START } from "../../core/fixtures/tokenizer.ts";
import { fixture } from "../helpers/fixtures.ts";
import { expectedText, generateAll, testEngine } from "./engineTestUtils.ts";

let engine: EngineClient;
let successor: ModelInfo;
let demo: ModelInfo;
const raw = (text: string) => ({ kind: "raw" as const, text });
const greedy = { temperature: 0 };

beforeAll(async () => {
  engine = testEngine();
  successor = await engine.loadModel({ path: fixture.successor, contextSize: 512 });
  demo = await engine.loadModel({ path: fixture.demo, contextSize: 512 });
});
afterAll(async () => {
  await engine?.dispose();
});

describe("status and model info", () => {
  it("reports llama.cpp, the backend and why, threads and loaded models", async () => {
    const s = await engine.status();
    expect(s.running).toBe(true);
    expect(s.llamaCppRelease).toBe("v0.4.0");
    expect(s.nodeLlamaCppVersion).toBe("3.21.1");
    expect(s.gpuSetting).toBe("auto");
    expect(["cpu", "cuda", "vulkan", "metal"]).toContain(s.backend);
    expect(s.backendReason).toMatch(/^auto: /);
    expect(s.threads).toBe(1);
    expect(s.ram.total).toBeGreaterThan(0);
    expect(s.models.map((m) => m.path).sort()).toEqual([fixture.demo, fixture.successor].sort());
    expect(s.models.find((m) => m.id === successor.id)?.contexts).toHaveLength(1);
  });

  it("describes the loaded model from its GGUF", () => {
    expect(successor.architecture).toBe("llama");
    expect(successor.vocabSize).toBe(259);
    expect(successor.contextSize).toBe(512);
    expect(successor.threads).toBe(1);
    expect(successor.chatTemplate).toContain("<|im_start|>");
    expect(successor.chatWrapper).toBe("ChatML");
    expect(successor.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(successor.parameters).toBeGreaterThan(100_000);
  });
});

describe("greedy generation follows the successor rule", () => {
  it("raw completion continues the byte sequence", async () => {
    const { done } = await generateAll(engine, { modelId: successor.id, prompt: raw("abc"), sampling: { ...greedy, maxTokens: 30 } });
    expect(done.text).toBe(expectedText(successorNext, "c", 30));
    expect(done.stopReason).toBe("maxTokens");
    expect(done.tokens).toHaveLength(30);
  });

  it("chat uses the model's ChatML template: the answer starts after 'assistant\\n'", async () => {
    const { done } = await generateAll(engine, {
      modelId: successor.id,
      prompt: { kind: "chat", messages: [{ role: "user", content: "hello" }] },
      sampling: { ...greedy, maxTokens: 12 },
    });
    expect(done.text).toBe(expectedText(successorNext, "\n", 12)); // "abcdefghijkl"
    expect(done.timings.promptTokens).toBe(
      (await engine.tokenize({ modelId: successor.id, prompt: { kind: "chat", messages: [{ role: "user", content: "hello" }] } })).length,
    );
  });

  it("continues a trailing assistant message instead of opening a new turn", async () => {
    const { done } = await generateAll(engine, {
      modelId: successor.id,
      prompt: { kind: "chat", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "pq" }] },
      sampling: { ...greedy, maxTokens: 3 },
    });
    expect(done.text).toBe("rst");
  });

  it("puts a system prompt first and adds none of its own", async () => {
    const prompt = { kind: "chat" as const, systemPrompt: "Be brief.", messages: [{ role: "user" as const, content: "hi" }] };
    const withSystem = await engine.detokenize({ modelId: successor.id, tokens: (await engine.tokenize({ modelId: successor.id, prompt })).map((t) => t.id), specialTokens: true });
    expect(withSystem).toMatch(/^(<\|endoftext\|>)?<\|im_start\|>system\nBe brief\.<\|im_end\|>\n<\|im_start\|>user\nhi<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    const without = await engine.tokenize({ modelId: successor.id, prompt: { kind: "chat", messages: [{ role: "user", content: "hi" }] } });
    expect(without.map((t) => t.piece).join("")).not.toContain("system");
  });

  it("renders with a Jinja chat template override instead of the model's", async () => {
    const chatTemplate = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";
    const prompt = { kind: "chat" as const, chatTemplate, messages: [{ role: "user" as const, content: "hi" }] };
    const text = (await engine.tokenize({ modelId: successor.id, prompt })).map((t) => t.piece).join("");
    expect(text).toContain("[user]hi");
    expect(text).not.toContain("<|im_start|>");
    const { done } = await generateAll(engine, { modelId: successor.id, prompt, sampling: { ...greedy, maxTokens: 3 } });
    expect(done.text).toBe(expectedText(successorNext, text.at(-1)!, 3));
  });

  it("streams fragments that add up to the final text and tokens", async () => {
    const { fragments, done } = await generateAll(engine, { modelId: successor.id, prompt: raw("k"), sampling: { ...greedy, maxTokens: 20 } });
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.map((f) => f.text).join("")).toBe(done.text);
    expect(fragments.flatMap((f) => f.tokens)).toEqual(done.tokens);
  });

  it("reports timings consistent with the token counts and reuses the cached prompt prefix", async () => {
    const req = { modelId: successor.id, prompt: raw("timing test "), sampling: { ...greedy, maxTokens: 8 } };
    const first = (await generateAll(engine, req)).done;
    const second = (await generateAll(engine, req)).done;
    expect(first.timings.promptTokens).toBe(12);
    expect(first.timings.completionTokens).toBe(8);
    expect(first.timings.ttftMs).toBeGreaterThan(0);
    expect(first.timings.tokensPerS).toBeGreaterThan(0);
    expect(first.timings.totalMs).toBeGreaterThanOrEqual(first.timings.ttftMs);
    expect(second.timings.cachedPromptTokens).toBe(11);
    expect(second.text).toBe(first.text);
  });
});

describe("stop conditions", () => {
  it("maxTokens bounds the output", async () => {
    const { done } = await generateAll(engine, { modelId: successor.id, prompt: raw("a"), sampling: { ...greedy, maxTokens: 50 }, maxTokens: 4 });
    expect(done.text).toBe("bcde");
    expect(done.stopReason).toBe("maxTokens");
  });

  it("a stop string ends the output and is not part of it, even across fragments", async () => {
    const { fragments, done } = await generateAll(engine, {
      modelId: successor.id,
      prompt: raw("abc"),
      sampling: { ...greedy, maxTokens: 40, stopStrings: ["hij"] },
    });
    expect(done.text).toBe("defg");
    expect(done.stopReason).toBe("stopString");
    expect(done.stopString).toBe("hij");
    expect(fragments.map((f) => f.text).join("")).toBe("defg");
  });

  it("stops with contextFull when the context is used up, never shifting it", async () => {
    const prompt = "abcdefghij".repeat(50); // 500 tokens in a 512-token context
    const { done } = await generateAll(engine, { modelId: successor.id, prompt: raw(prompt), sampling: { ...greedy, maxTokens: 1000 } });
    expect(done.stopReason).toBe("contextFull");
    expect(done.timings.promptTokens + done.tokens.length).toBe(successor.contextSize);
    expect(done.text).toBe(expectedText(successorNext, "j", done.tokens.length));
  });

  it("cancelling mid-stream keeps the partial text with stopReason abort", async () => {
    // A long context, so the answer is still growing when the first fragment arrives
    // (fragments come at most one per 16 ms, and this model makes thousands of tokens a second).
    const long = await engine.loadModel({ path: fixture.successor, contextSize: 8192 });
    const controller = new AbortController();
    let text = "";
    let done;
    for await (const p of engine.generate({ modelId: long.id, prompt: raw("a"), sampling: { ...greedy, maxTokens: 100_000 } }, { signal: controller.signal })) {
      if (p.type === "fragment") {
        text += p.text;
        if (text.length >= 1) controller.abort();
      } else done = p;
    }
    await engine.unloadModel(long.id);
    expect(done?.stopReason).toBe("abort");
    expect(done!.text.length).toBeGreaterThanOrEqual(text.length);
    expect(done!.text.length).toBeLessThan(8000);
    expect(done!.text).toBe(expectedText(successorNext, "a", done!.text.length));
  });

  it("a generation cancelled before it starts still ends with an abort done packet", async () => {
    const { fragments, done } = await generateAll(engine, { modelId: successor.id, prompt: raw("a") }, { signal: AbortSignal.abort() });
    expect(fragments).toEqual([]);
    expect(done).toMatchObject({ type: "done", text: "", stopReason: "abort", tokens: [] });
  });

  it("a consumer that stops iterating cancels the generation, and the engine keeps working", async () => {
    for await (const p of engine.generate({ modelId: successor.id, prompt: raw("a"), sampling: { ...greedy, maxTokens: 100_000 } })) {
      if (p.type === "fragment") break;
    }
    const { done } = await generateAll(engine, { modelId: successor.id, prompt: raw("x"), sampling: { ...greedy, maxTokens: 2 } });
    expect(done.text).toBe("yz");
  });
});

describe("sampling options", () => {
  const run = async (modelId: string, prompt: string, sampling: object) =>
    (await generateAll(engine, { modelId, prompt: raw(prompt), sampling: { maxTokens: 40, ...sampling } })).done;

  it("topK 1 is greedy at any temperature and seed", async () => {
    const g = await run(demo.id, "The ", greedy);
    for (const seed of [1, 2, 3]) expect((await run(demo.id, "The ", { temperature: 1.5, topK: 1, seed })).text).toBe(g.text);
  });

  it("the same seed and config give identical output; another seed differs", async () => {
    const a = await run(demo.id, "The ", { temperature: 1, seed: 42 });
    const b = await run(demo.id, "The ", { temperature: 1, seed: 42 });
    expect(b.text).toBe(a.text);
    expect(a.seed).toBe(42);
    const others = await Promise.all([7, 8, 9].map(async (seed) => (await run(demo.id, "The ", { temperature: 1, seed })).text));
    expect(others.some((t) => t !== a.text)).toBe(true);
  });

  it("without a seed the engine picks one and reports it, so the run can be repeated", async () => {
    const a = await run(demo.id, "The ", { temperature: 1 });
    const again = await run(demo.id, "The ", { temperature: 1, seed: a.seed });
    expect(again.text).toBe(a.text);
  });

  it("a token banned by bias never appears", async () => {
    const normal = await run(successor.id, "abc", { ...greedy, maxTokens: 10 });
    expect(normal.text).toContain("h");
    const banned = await run(successor.id, "abc", { ...greedy, maxTokens: 200, tokenBias: [{ token: "h", logit: "never" }] });
    expect(banned.text.startsWith("defg")).toBe(true);
    expect(banned.text).not.toContain("h");
    const byId = await run(successor.id, "abc", { ...greedy, maxTokens: 200, tokenBias: [{ token: "h".charCodeAt(0), logit: "never" }] });
    expect(byId.text).not.toContain("h");
  });

  it("a positive logit bias pushes a token past the rule (logit offsets, not the broken numeric bias)", async () => {
    expect((await run(successor.id, "abc", { ...greedy, maxTokens: 6, tokenBias: [{ token: "z", logit: 30 }] })).text).toBe("zzzzzz");
    // +11 beats the rule's logit 10 after odd tokens but not its 16 after even ones: 'z' after odd 'c', then '{' after even 'z'.
    const weak = await run(successor.id, "abc", { ...greedy, maxTokens: 2, tokenBias: [{ token: "z", logit: 11 }] });
    expect(weak.text).toBe("z{");
  });

  it("the repeat penalty, presence and frequency penalties break a greedy loop", async () => {
    const loop = await run(demo.id, "The ", { ...greedy, maxTokens: 60 });
    expect(loop.text).toMatch(/(the ){5}/);
    for (const repeatPenalty of [{ penalty: 1.5 }, { presencePenalty: 1 }, { frequencyPenalty: 1 }]) {
      const t = (await run(demo.id, "The ", { ...greedy, maxTokens: 60, repeatPenalty })).text;
      expect(t).not.toBe(loop.text);
    }
    // A window of 0 turns the penalty off even with a strong penalty.
    expect((await run(demo.id, "The ", { ...greedy, maxTokens: 60, repeatPenalty: { penalty: 1.5, lastTokens: 0 } })).text).toBe(loop.text);
  });

  it("DRY breaks verbatim repetition in raw completion and chat alike", async () => {
    const loop = await run(demo.id, "The ", { ...greedy, maxTokens: 60 });
    const dry = await run(demo.id, "The ", { ...greedy, maxTokens: 60, dry: { multiplier: 0.8 } });
    expect(dry.text).not.toBe(loop.text);
    expect(dry.text).not.toMatch(/(the ){3}/);
    const chat = { kind: "chat" as const, messages: [{ role: "user" as const, content: "hi" }] };
    const chatLoop = (await generateAll(engine, { modelId: demo.id, prompt: chat, sampling: { ...greedy, maxTokens: 60 } })).done.text;
    const chatDry = (await generateAll(engine, { modelId: demo.id, prompt: chat, sampling: { ...greedy, maxTokens: 60, dry: { multiplier: 0.8 } } })).done.text;
    expect(chatLoop).toMatch(/(the ){5}/);
    expect(chatDry).not.toBe(chatLoop);
  });

  it("a GBNF grammar constrains the output and ends it when complete", async () => {
    const done = await run(successor.id, "abc", { ...greedy, grammar: 'root ::= "xyz"' });
    expect(done.text).toBe("xyz");
    expect(done.stopReason).toBe("eos");
  });

  it("a JSON schema yields parseable JSON with the schema's shape", async () => {
    const done = await run(successor.id, "abc", { ...greedy, maxTokens: 60, jsonSchema: { type: "object", properties: { a: { type: "boolean" } } } });
    expect(JSON.parse(done.text)).toEqual({ a: expect.any(Boolean) });
    expect(done.stopReason).toBe("eos");
  });
});

describe("tokens", () => {
  it("tokenize returns ids, pieces and special flags; detokenize inverts it", async () => {
    const tokens = await engine.tokenize({ modelId: successor.id, prompt: { kind: "chat", messages: [{ role: "user", content: "hé" }] } });
    const start = tokens.find((t) => t.id === IM_START);
    expect(start).toEqual({ id: IM_START, piece: "<|im_start|>", special: true });
    expect(tokens.filter((t) => !t.special).map((t) => t.id)).toEqual([...new TextEncoder().encode("user\nhé\nassistant\n")]);
    const text = await engine.detokenize({ modelId: successor.id, tokens: tokens.map((t) => t.id) });
    expect(text).toBe("user\nhé\nassistant\n");
    const withSpecial = await engine.detokenize({ modelId: successor.id, tokens: tokens.map((t) => t.id), specialTokens: true });
    expect(withSpecial).toContain("<|im_start|>user\nhé<|im_end|>");
  });

  it("raw prompts parse special-token text only when asked", async () => {
    const literal = await engine.tokenize({ modelId: successor.id, prompt: { kind: "raw", text: "<|im_start|>" } });
    expect(literal.every((t) => !t.special)).toBe(true);
    const parsed = await engine.tokenize({ modelId: successor.id, prompt: { kind: "raw", text: "<|im_start|>", specialTokens: true } });
    expect(parsed.map((t) => t.id)).toEqual([IM_START]);
  });

  it("multi-byte characters split across byte tokens stream whole", async () => {
    const { fragments, done } = await generateAll(engine, { modelId: successor.id, prompt: raw("abc"), sampling: { ...greedy, grammar: 'root ::= "é!"' } });
    expect(done.tokens).toEqual([0xc3, 0xa9, 0x21]);
    expect(done.text).toBe("é!");
    expect(fragments.map((f) => f.text)).not.toContainEqual(expect.stringContaining("\uFFFD"));
    expect(fragments.map((f) => f.text).join("")).toBe("é!");
  });
});
