// The OpenAI-compatible API, driven by the official `openai` npm client against a real
// `lathe serve` and the real engine on the successor demo model.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { collect, startTestLathe, successorText, type TestLathe } from "../helpers/lathe.ts";

let t: TestLathe;
let client: OpenAI;
const model = "Successor (demo: next letter)";

beforeAll(async () => {
  t = await startTestLathe();
  await collect(t.api.models.createDemo({}));
  client = new OpenAI({ baseURL: `${t.lathe.http.origin}/v1`, apiKey: t.lathe.http.token, maxRetries: 0 });
});
afterAll(async () => {
  await t?.close();
});

describe("OpenAI-compatible API", () => {
  it("lists the catalog's models", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id).sort()).toEqual(["Bigram workshop (demo)", model]);
  });

  it("answers a chat completion with the successor rule, usage and finish reason", async () => {
    const r = await client.chat.completions.create({ model, messages: [{ role: "user", content: "abc" }], temperature: 0, max_tokens: 12 });
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0]!.message.content).toBe(successorText("\n", 12));
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.usage?.completion_tokens).toBe(12);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + 12);
  });

  it("streams the same text as server-sent events", async () => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "abc" }], temperature: 0, max_tokens: 12, stream: true });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(successorText("\n", 12));
    expect(finish).toBe("length");
  });

  it("returns logprobs whose best alternative is the chosen token under greedy decoding", async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "x" }],
      temperature: 0,
      max_tokens: 6,
      logprobs: true,
      top_logprobs: 3,
    });
    const content = r.choices[0]!.logprobs!.content!;
    expect(content.map((c) => c.token).join("")).toBe(successorText("\n", 6));
    for (const c of content) {
      expect(c.top_logprobs).toHaveLength(3);
      expect(c.top_logprobs[0]!.token).toBe(c.token);
      expect(c.logprob).toBeLessThanOrEqual(0);
      expect(c.top_logprobs[1]!.logprob).toBeLessThan(c.logprob);
    }
  });

  it("does raw completions without a chat template", async () => {
    const r = await client.completions.create({ model, prompt: "abc", max_tokens: 5, temperature: 0 });
    expect(r.choices[0]!.text).toBe("defgh");
  });

  it("stops generating when the client aborts mid-stream", async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model, messages: [{ role: "user", content: "go" }], temperature: 0, max_tokens: 100_000, stream: true },
      { signal: ac.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === 5) ac.abort();
    } catch {
      /* the client may end the loop quietly or with an abort error */
    }
    expect(chunks).toBeLessThan(50);
    // The engine frees the sequence soon after: nothing stays busy.
    let busy = 1;
    for (let i = 0; i < 40 && busy > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const s = await t.lathe.engine.status();
      busy = s.models.flatMap((m) => m.contexts).reduce((n, c) => n + c.busy, 0);
    }
    expect(busy).toBe(0);
    // It stopped early, not at the end of the context (several thousand tokens away).
    const ctx = (await t.lathe.engine.status()).models.flatMap((m) => m.contexts)[0]!;
    expect(ctx.contextSize).toBeGreaterThanOrEqual(1024);
  });

  it("refuses a bad key and an unknown model with OpenAI-shaped errors", async () => {
    const bad = new OpenAI({ baseURL: `${t.lathe.http.origin}/v1`, apiKey: "wrong", maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    await expect(client.chat.completions.create({ model: "gpt-5", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    await expect(client.chat.completions.create({ model, messages: [{ role: "user", content: "x" }], temperature: 7 })).rejects.toMatchObject({
      status: 400,
      param: "temperature",
    });
  });
});
