// The connection test of a remote provider: lists /v1/models, then asks the server for
// each optional capability with a tiny request and reports honestly what came back
// (streaming chat, logprobs of generated tokens, prompt logprobs via echo). Never throws:
// failures land in the result, with the reason for people. Used by engine/remote/index.ts.
import type { CapabilityProbe, ProviderCapabilities, ProviderTest } from "../../core/api/providers.ts";
import type { ProviderConnection } from "../../core/services/providers.ts";
import { request, requestJson, sseData } from "./http.ts";

/** Options of testProvider. */
export interface ProbeOptions {
  /** Model the probes use. Default: the first the server lists. */
  model?: string;
  signal?: AbortSignal;
  /** Per-request limit in ms (a server that loads models on demand, like Lathe, can take a while on the first request). Default 120000. */
  timeoutMs?: number;
}

const message = (err: unknown) => (err as Error).message ?? String(err);

async function probe(run: () => Promise<string>): Promise<CapabilityProbe> {
  try {
    return { supported: true, detail: await run() };
  } catch (err) {
    return { supported: false, detail: message(err) };
  }
}

/** Lists the models and probes the capabilities. */
export async function testProvider(provider: ProviderConnection, options: ProbeOptions = {}): Promise<ProviderTest> {
  const at = Date.now();
  const opts = { timeoutMs: options.timeoutMs ?? 120_000, ...(options.signal ? { signal: options.signal } : {}) };
  const t0 = performance.now();
  let models: string[];
  try {
    const list = await requestJson<{ data?: { id?: unknown }[] }>(provider, "/models", opts);
    if (!Array.isArray(list.data)) throw new Error(`${provider.name} answered /v1/models without a "data" list; is this an OpenAI-compatible API?`);
    models = list.data.map((m) => m.id).filter((id): id is string => typeof id === "string");
  } catch (err) {
    return { at, ok: false, error: message(err), models: [], probedModel: null, capabilities: null, latencyMs: Math.round(performance.now() - t0) };
  }
  const latencyMs = Math.round(performance.now() - t0);
  const model = options.model ?? models[0] ?? null;
  if (!model) return { at, ok: true, error: null, models, probedModel: null, capabilities: null, latencyMs };
  const messages = [{ role: "user", content: "Say hello." }];

  const streaming = await probe(async () => {
    const res = await request(provider, "/chat/completions", { ...opts, body: { model, messages, stream: true, max_tokens: 4, temperature: 0 } });
    let deltas = 0;
    let text = "";
    for await (const ev of sseData(provider, res)) {
      const c = (ev.choices as { delta?: { content?: unknown } }[] | undefined)?.[0]?.delta?.content;
      if (typeof c === "string" && c) {
        deltas++;
        text += c;
      }
    }
    if (!deltas) throw new Error("the stream ended without any text delta");
    return `${deltas} text delta(s) streamed (${JSON.stringify(text.slice(0, 40))})`;
  });

  const logprobs = await probe(async () => {
    const out = await requestJson<{ choices?: { logprobs?: { content?: { token?: unknown; logprob?: unknown }[] | null } | null }[] }>(provider, "/chat/completions", {
      ...opts,
      body: { model, messages, max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2 },
    });
    const content = out.choices?.[0]?.logprobs?.content ?? [];
    if (!content.length || !content.every((c) => typeof c.logprob === "number")) throw new Error("the answer came back without logprobs for its tokens");
    return `logprobs returned for ${content.length} generated token(s)`;
  });

  const promptLogprobs = await probe(async () => {
    const prompt = "The quick brown fox jumps over the lazy dog";
    const out = await requestJson<{ choices?: { logprobs?: { tokens?: string[]; token_logprobs?: (number | null)[] } | null }[] }>(provider, "/completions", {
      ...opts,
      body: { model, prompt, echo: true, logprobs: 1, max_tokens: 1, temperature: 0 },
    });
    const lp = out.choices?.[0]?.logprobs;
    const tokens = lp?.tokens ?? [];
    const scored = (lp?.token_logprobs ?? []).filter((x) => typeof x === "number").length;
    // With echo the prompt's own tokens come back first; one generated token alone does not count.
    if (!tokens.join("").startsWith(prompt.slice(0, 10)) || scored < 2) throw new Error("echo + logprobs did not return the prompt's tokens with log-probabilities");
    return `prompt echoed as ${tokens.length} token(s), ${scored} with log-probabilities`;
  });

  const capabilities: ProviderCapabilities = { streaming, logprobs, promptLogprobs };
  return { at, ok: true, error: null, models, probedModel: model, capabilities, latencyMs };
}
