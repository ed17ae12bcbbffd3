// The Engine port over one remote OpenAI-compatible provider (llama-server, vLLM, Ollama,
// another Lathe): generation streams from /v1/chat/completions (chat prompts) or
// /v1/completions (raw prompts) over SSE, cancelled by AbortSignal (the server sees the
// connection close). Log-likelihood and perplexity use echo+logprobs where the probe found
// it; what no OpenAI-compatible server offers rejects with an EngineError naming the provider
// and the missing capability. Made per provider by engine/remote/index.ts's backend.
import { EngineError, toEngineError } from "../../core/engine/errors.ts";
import type { Engine, EngineCallOptions } from "../../core/engine/port.ts";
import {
  generateRequestSchema,
  type ContinuationScore,
  type DonePacket,
  type GeneratePacket,
  type GenerateRequest,
  type LoadModelOptionsInput,
  type LogLikelihoodRequest,
  type LogLikelihoodResult,
  type ModelInfo,
  type PerplexityRequest,
  type PerplexityResult,
  type ResponseTokenProb,
  type StopReason,
  type TokenProbabilities,
  type TokenProbabilitiesRequest,
} from "../../core/engine/types.ts";
import { parseRemoteModelPath, remoteModelHandle } from "../../core/api/providers.ts";
import type { ProviderConnection } from "../../core/services/providers.ts";
import type { SamplingConfig } from "../../core/sampling/config.ts";
import { request, requestJson, sseData } from "./http.ts";

/** OpenAI-style logprob entry of one generated token. */
interface ChatLogprob {
  token: string;
  logprob: number;
  top_logprobs?: { token: string; logprob: number }[];
}

/** /v1/completions logprobs (legacy shape): parallel arrays. */
interface CompletionLogprobs {
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  text_offset?: number[];
}

/** Token counts a server reports with the last stream event. */
interface RemoteUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

/** How many generations keep their logprobs for tokenProbabilities. */
const logprobCacheSize = 32;

/** The OpenAI request fields for a sampling config; throws for what the API cannot express. */
export function samplingFields(provider: ProviderConnection, s: SamplingConfig, maxTokens: number, stop: string[]): Record<string, unknown> {
  const refuse = (what: string) => {
    throw new EngineError("unsupported", `${provider.name} (an OpenAI-compatible provider) cannot apply ${what}; switch it off for remote models.`);
  };
  if (s.grammar !== undefined || s.jsonSchema !== undefined) refuse("a grammar or JSON schema");
  if (s.tokenBias.length) refuse("token bias");
  if (s.dry.multiplier > 0) refuse("the DRY penalty");
  if (s.xtc.probability > 0) refuse("XTC");
  const body: Record<string, unknown> = { temperature: s.temperature, max_tokens: maxTokens };
  if (s.temperature > 0) {
    body.top_p = s.topP;
    // Not in OpenAI's API; llama-server, vLLM and Ollama read them, others ignore them.
    if (s.topK > 0) body.top_k = s.topK;
    if (s.minP > 0) body.min_p = s.minP;
  }
  if (s.seed !== undefined) body.seed = s.seed;
  if (stop.length) body.stop = stop;
  if (s.repeatPenalty.frequencyPenalty) body.frequency_penalty = s.repeatPenalty.frequencyPenalty;
  if (s.repeatPenalty.presencePenalty) body.presence_penalty = s.repeatPenalty.presencePenalty;
  if (s.repeatPenalty.penalty !== 1) {
    body.repeat_penalty = s.repeatPenalty.penalty; // llama-server, Ollama
    body.repetition_penalty = s.repeatPenalty.penalty; // vLLM
  }
  return body;
}

const stopReasonOf = (finish: unknown, aborted: boolean): StopReason =>
  aborted ? "abort" : finish === "length" ? "maxTokens" : "eos";

export class RemoteEngine implements Engine {
  private readonly inflight = new Set<AbortController>();
  private readonly logprobs: { key: string; tokens: ResponseTokenProb[] }[] = [];
  private disposed = false;

  constructor(readonly provider: ProviderConnection) {}

  private unsupported(what: string): EngineError {
    return new EngineError("unsupported", `${this.provider.name} is a remote OpenAI-compatible provider and cannot ${what}; use a local model for that.`);
  }

  private modelOf(modelId: string): string {
    const prefix = remoteModelHandle(this.provider.id, "");
    if (!modelId.startsWith(prefix)) throw new EngineError("model_not_loaded", `${modelId} is not a model of ${this.provider.name}.`);
    return modelId.slice(prefix.length);
  }

  private check(): void {
    if (this.disposed) throw new EngineError("engine_stopped", `The connection to ${this.provider.name} was closed (the provider changed or was removed).`);
  }

  async status(): Promise<never> {
    throw this.unsupported("report engine status");
  }

  /** Checks that the server lists the model; nothing is loaded here. */
  async loadModel(options: LoadModelOptionsInput, call?: EngineCallOptions): Promise<ModelInfo> {
    this.check();
    const started = performance.now();
    const remote = parseRemoteModelPath(options.path);
    if (!remote || remote.providerId !== this.provider.id) throw new EngineError("invalid_input", `${options.path} is not a model of ${this.provider.name}.`);
    const list = await requestJson<{ data?: { id?: string; max_model_len?: number; meta?: { n_ctx_train?: number } }[] }>(this.provider, "/models", {
      ...(call?.signal ? { signal: call.signal } : {}),
    });
    const entry = (list.data ?? []).find((m) => m.id === remote.model);
    if (!entry) {
      const ids = (list.data ?? []).map((m) => m.id).join(", ");
      throw new EngineError("file_not_found", `${this.provider.name} does not serve a model named "${remote.model}" (it lists: ${ids || "none"}). Test the provider again in Settings.`);
    }
    const ctx = entry.max_model_len ?? entry.meta?.n_ctx_train ?? 0;
    return {
      id: remoteModelHandle(this.provider.id, remote.model),
      path: options.path,
      name: remote.model,
      architecture: "remote",
      description: `${this.provider.name} / ${remote.model} (${this.provider.baseUrl})`,
      sizeBytes: 0,
      parameters: 0,
      trainContextSize: ctx,
      contextSize: ctx,
      // Evaluation keeps this many items in flight.
      sequences: this.provider.concurrency,
      threads: 0,
      vocabSize: 0,
      gpuLayers: 0,
      chatTemplate: null,
      chatWrapper: `the server's own template (${this.provider.name})`,
      specialTokens: { bos: null, eos: null, eot: null, nl: null },
      sha256: null,
      loadMs: Math.round(performance.now() - started),
    };
  }

  async unloadModel(): Promise<void> {}

  async *generate(input: GenerateRequest, options?: EngineCallOptions): AsyncIterable<GeneratePacket> {
    this.check();
    const req = generateRequestSchema.parse(input);
    const model = this.modelOf(req.modelId);
    if (req.adapters.length) throw this.unsupported("apply LoRA adapters (the server decides what it serves)");
    if (req.prompt.kind === "tokens") throw this.unsupported("take a prompt as token ids");
    if (req.prompt.kind === "chat" && req.prompt.chatTemplate) throw this.unsupported("use a custom chat template (the server applies its own)");
    const maxTokens = req.maxTokens ?? req.sampling.maxTokens;
    const stop = req.stopStrings ?? req.sampling.stopStrings;
    const wantLogprobs = this.provider.capabilities?.logprobs.supported === true;
    const chat = req.prompt.kind === "chat";
    const body: Record<string, unknown> = {
      model,
      stream: true,
      stream_options: { include_usage: true },
      ...samplingFields(this.provider, req.sampling, maxTokens, stop),
    };
    if (req.prompt.kind === "chat") {
      body.messages = [...(req.prompt.systemPrompt ? [{ role: "system", content: req.prompt.systemPrompt }] : []), ...req.prompt.messages];
      if (wantLogprobs) Object.assign(body, { logprobs: true, top_logprobs: 5 });
    } else {
      body.prompt = req.prompt.text;
      if (wantLogprobs) body.logprobs = 5;
    }

    const ac = new AbortController();
    const onAbort = () => ac.abort(options?.signal?.reason);
    if (options?.signal?.aborted) ac.abort();
    options?.signal?.addEventListener("abort", onAbort, { once: true });
    this.inflight.add(ac);
    const t0 = performance.now();
    let first: number | null = null;
    let text = "";
    let chunks = 0;
    let finish: unknown = null;
    let usage: RemoteUsage | null = null;
    const probs: ChatLogprob[] = [];
    try {
      try {
        const res = await request(this.provider, chat ? "/chat/completions" : "/completions", { body, signal: ac.signal });
        for await (const event of sseData(this.provider, res)) {
          if (event.usage) usage = event.usage as RemoteUsage;
          const choice = (event.choices as Record<string, unknown>[] | undefined)?.[0];
          if (!choice) continue;
          const piece = chat ? (choice.delta as { content?: unknown } | undefined)?.content : choice.text;
          if (choice.finish_reason) finish = choice.finish_reason;
          const lp = choice.logprobs as { content?: ChatLogprob[] | null } & CompletionLogprobs | null | undefined;
          if (lp?.content) probs.push(...lp.content);
          else if (lp?.tokens) lp.tokens.forEach((t, i) => probs.push({ token: t, logprob: lp.token_logprobs?.[i] ?? -Infinity, top_logprobs: Object.entries(lp.top_logprobs?.[i] ?? {}).map(([token, logprob]) => ({ token, logprob })) }));
          if (typeof piece === "string" && piece) {
            first ??= performance.now();
            text += piece;
            chunks++;
            yield { type: "fragment", text: piece, tokens: [] };
          }
        }
      } catch (err) {
        if (!ac.signal.aborted) throw toEngineError(err);
      }
      const end = performance.now();
      const aborted = ac.signal.aborted;
      const completionTokens = usage?.completion_tokens ?? Math.max(chunks, probs.length);
      const promptTokens = usage?.prompt_tokens ?? 0;
      const ttftMs = (first ?? end) - t0;
      if (probs.length && !aborted) this.remember(req.modelId, req.prompt, text, probs);
      const done: DonePacket = {
        type: "done",
        text,
        stopReason: stopReasonOf(finish, aborted),
        seed: req.sampling.seed ?? 0,
        tokens: [],
        timings: {
          ttftMs,
          promptTokens,
          cachedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
          promptTokensPerS: ttftMs > 0 ? (promptTokens * 1000) / ttftMs : 0,
          completionTokens,
          tokensPerS: first !== null && end > first && completionTokens > 1 ? ((completionTokens - 1) * 1000) / (end - first) : 0,
          totalMs: end - t0,
        },
      };
      yield done;
    } finally {
      options?.signal?.removeEventListener("abort", onAbort);
      // Leaving early (the caller stopped reading) closes the connection, which stops the server.
      ac.abort();
      this.inflight.delete(ac);
    }
  }

  private keyOf(modelId: string, prompt: unknown, text: string): string {
    return JSON.stringify([modelId, prompt, text]);
  }

  private remember(modelId: string, prompt: unknown, text: string, probs: ChatLogprob[]): void {
    const tokens: ResponseTokenProb[] = probs.map((p) => {
      const alternatives = (p.top_logprobs ?? []).map((a) => ({ id: -1, piece: a.token, prob: Math.exp(a.logprob), logprob: a.logprob }));
      const rank = alternatives.findIndex((a) => a.piece === p.token);
      return { id: -1, piece: p.token, prob: Math.exp(p.logprob), logprob: p.logprob, rank: rank >= 0 ? rank + 1 : alternatives.length + 1, alternatives };
    });
    this.logprobs.push({ key: this.keyOf(modelId, prompt, text), tokens });
    if (this.logprobs.length > logprobCacheSize) this.logprobs.shift();
  }

  /** The logprobs the server returned with a generation made here (ids are -1: remote servers send no ids). */
  async tokenProbabilities(request: TokenProbabilitiesRequest): Promise<TokenProbabilities> {
    this.check();
    if (!this.provider.capabilities?.logprobs.supported) throw this.unsupported("return token log-probabilities (its probe found no logprobs support)");
    if (typeof request.response === "string") {
      const key = this.keyOf(request.modelId, generateRequestSchema.shape.prompt.parse(request.prompt), request.response);
      const hit = this.logprobs.find((e) => e.key === key);
      if (hit) {
        const topN = request.topN ?? 5;
        const tokens = hit.tokens.map((t) => ({ ...t, alternatives: t.alternatives.slice(0, topN) }));
        return { tokens, sumLogprob: tokens.reduce((s, t) => s + t.logprob, 0) };
      }
    }
    throw this.unsupported("score a response it did not just generate (it returns log-probabilities only with a generation)");
  }

  /** Token pieces and logprobs of `text` as the server tokenizes it (echo), with the character offset of each. */
  private async echo(modelId: string, text: string, signal?: AbortSignal): Promise<{ offsets: number[]; logprobs: (number | null)[]; top: (Record<string, number> | null)[]; tokens: string[] }> {
    if (!this.provider.capabilities?.promptLogprobs.supported) {
      throw this.unsupported("score text by log-likelihood: it does not return prompt log-probabilities (echo + logprobs on /v1/completions)");
    }
    const out = await requestJson<{ choices?: { logprobs?: CompletionLogprobs }[] }>(this.provider, "/completions", {
      body: { model: this.modelOf(modelId), prompt: text, echo: true, logprobs: 1, max_tokens: 1, temperature: 0 },
      ...(signal ? { signal } : {}),
    });
    const lp = out.choices?.[0]?.logprobs;
    if (!lp?.tokens || !lp.token_logprobs) throw new EngineError("remote_failed", `${this.provider.name} answered an echo request without prompt log-probabilities.`);
    let offsets = lp.text_offset ?? [];
    if (offsets.length !== lp.tokens.length) {
      let at = 0;
      offsets = lp.tokens.map((t) => ((at += t.length), at - t.length));
    }
    return { offsets, logprobs: lp.token_logprobs, top: lp.top_logprobs ?? [], tokens: lp.tokens };
  }

  async logLikelihood(req: LogLikelihoodRequest, options?: EngineCallOptions): Promise<LogLikelihoodResult> {
    this.check();
    if (req.adapters?.length) throw this.unsupported("apply LoRA adapters");
    const results: ContinuationScore[] = [];
    let contextTokens = 0;
    let evaluated = 0;
    for (const continuation of req.continuations) {
      const full = req.context + continuation;
      const e = await this.echo(req.modelId, full, options?.signal);
      // The echoed prompt ends where the generated token begins: tokens at or past the context's end score the continuation.
      let logprob = 0;
      let tokens = 0;
      let greedy = true;
      for (let i = 0; i < e.tokens.length; i++) {
        const off = e.offsets[i]!;
        if (off >= full.length) break;
        if (off < req.context.length) continue;
        tokens++;
        logprob += e.logprobs[i] ?? -Infinity;
        const top = e.top[i];
        if (top) {
          const best = Object.entries(top).sort((a, b) => b[1] - a[1])[0];
          if (best && best[0] !== e.tokens[i]) greedy = false;
        }
      }
      contextTokens = e.tokens.filter((_, i) => e.offsets[i]! < req.context.length).length;
      evaluated += e.tokens.length;
      results.push({ logprob, tokens, isGreedy: greedy });
    }
    return { results, contextTokens, evaluatedTokens: evaluated };
  }

  async perplexity(req: PerplexityRequest, options?: EngineCallOptions): Promise<PerplexityResult> {
    this.check();
    if (req.adapters?.length) throw this.unsupported("apply LoRA adapters");
    const e = await this.echo(req.modelId, req.text, options?.signal);
    let nll = 0;
    let n = 0;
    for (let i = 0; i < e.tokens.length; i++) {
      const lp = e.logprobs[i];
      if (e.offsets[i]! >= req.text.length) break;
      if (lp === null || lp === undefined) continue; // the first token has no prediction
      nll -= lp;
      n++;
    }
    const meanNll = n ? nll / n : 0;
    return { perplexity: Math.exp(meanNll), meanNll, tokens: n, windows: 1 };
  }

  async tokenize(): Promise<never> {
    throw this.unsupported("tokenize text (the OpenAI API has no tokenizer endpoint)");
  }
  async detokenize(): Promise<never> {
    throw this.unsupported("turn token ids into text");
  }
  async nextTokenDistribution(): Promise<never> {
    throw this.unsupported("show the next-token distribution");
  }
  async klDivergence(): Promise<never> {
    throw this.unsupported("compare adapter sets by KL divergence");
  }
  async memoryFit(): Promise<never> {
    throw this.unsupported("estimate memory for a model file (the server holds its own models)");
  }

  onEvent(): () => void {
    return () => undefined;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const ac of this.inflight) ac.abort();
    this.inflight.clear();
  }
}
