// Handlers for the `sampling` domain (the sampling lab): the explainer (engine
// distribution + core/sampling/explain.ts), side-by-side comparison (columns decoded
// together on sequences of one context per adapter set, optionally saved as a
// conversation), the token view (probabilities of a stored answer) and branching at a
// token, the tokenizer view, prompt token counts, preset import/export and prompt
// templates. Composed by core/services/handlers.ts.
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { ChatPacket } from "../api/chat.ts";
import type { ComparePacket, ExplainResult, SavedComparison, samplingApi } from "../api/sampling.ts";
import type { DonePacket, ModelInfo, PromptInput } from "../engine/types.ts";
import type { HistoryStore, ModelStore, PresetStore, TemplateStore } from "../history/ports.ts";
import type { AdapterUse, Conversation, JsonObject, Message, ModelRecord, Preset } from "../history/types.ts";
import { resolveSamplingConfig, samplingConfigSchema, type SamplingConfig } from "../sampling/config.ts";
import { explainSampling } from "../sampling/explain.ts";
import { exportPresetFile, parsePresetFile } from "../sampling/presetFile.ts";
import { promptSpecSchema } from "../sampling/promptBuilder.ts";
import { AsyncQueue, withReports } from "../util/AsyncQueue.ts";
import { describeEngineFailure, titleFrom } from "./chat.ts";
import type { EngineSessions } from "./EngineSessions.ts";
import { fileNameOf, startProvenance } from "./provenance.ts";
import { requireConversation, requireMessage, requireModel } from "./lookup.ts";

export interface SamplingDeps {
  history: HistoryStore;
  models: ModelStore;
  presets: PresetStore;
  templates: TemplateStore;
  sessions: EngineSessions;
  /** Lathe's version, for provenance. */
  appVersion: string;
  /** A fresh random seed (default: crypto). */
  newSeed?: () => number;
  /**
   * Compare columns with the same adapter set decode together on one context with up to
   * this many sequences (each sequence holds a full context's KV memory); 1 runs them one
   * after another on the model's own context. Default COMPARE_MAX_SEQUENCES (4).
   */
  compareSequences?: number;
}

/** Default cap on the sequences of one comparison context (compare has at most 4 columns). */
export const COMPARE_MAX_SEQUENCES = 4;

/** Tag of conversations that hold a saved comparison. */
export const COMPARISON_TAG = "comparison";

/** `body.kind` of prompt-builder templates in the TemplateStore (body.spec holds the PromptSpec). */
export const TEMPLATE_KIND = "prompt-builder";

/** What a saved comparison keeps per column in its message's provenance.modelMetadata. */
interface ComparisonMeta {
  label: string;
  index: number;
  chat: boolean;
}

const toEngineAdapters = (set: readonly AdapterUse[]) => set.map((a) => ({ path: a.file, scale: a.scale }));
const utf8 = new TextEncoder();

export function samplingHandlers(deps: SamplingDeps): DomainHandlers<typeof samplingApi> {
  const { history, sessions } = deps;
  const engine = sessions.engine;
  const newSeed = deps.newSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]!);

  const recordOf = (id: string | null | undefined) => requireModel(deps.models, id);
  const conversationOf = (id: string) => requireConversation(history, id);
  const messageOf = (id: string) => requireMessage(history, id);
  /** Loads the model if needed (no progress: for unary calls). */
  function loaded(record: ModelRecord, signal: AbortSignal): Promise<ModelInfo> {
    return Promise.resolve(sessions.info(record.id) ?? sessions.ensureLoaded(record, undefined, signal));
  }
  /** Loads the model if needed, reporting progress packets. */
  async function* loadedWithProgress(record: ModelRecord, signal: AbortSignal): AsyncGenerator<{ type: "progress"; done: number; total: number; label: string }, ModelInfo> {
    const have = sessions.info(record.id);
    if (have) return have;
    return yield* withReports<{ type: "progress"; done: number; total: number; label: string }, ModelInfo>((report) =>
      sessions.ensureLoaded(record, (p) => report({ type: "progress", done: Math.round(p.progress * 1000), total: 1000, label: `Loading ${record.name}` }), signal),
    );
  }
  /** The chat the model sees down to leafId (failed and empty answers left out, as chat does). */
  async function promptMessages(c: Conversation, leafId: string | null): Promise<{ role: Message["role"]; content: string }[]> {
    if (!leafId) return [];
    const path = await history.getPath(c.id, leafId);
    return path.nodes
      .map((n) => n.message)
      .filter((m) => m.role !== "system" && m.content.length > 0 && m.status !== "error")
      .map((m) => ({ role: m.role, content: m.content }));
  }
  async function presetConfig(id: string): Promise<{ preset: Preset; config: SamplingConfig }> {
    const p = await deps.presets.getPreset(id);
    if (!p) throw new ApiError("not_found", `No preset with id ${id}`);
    return { preset: p, config: resolveSamplingConfig(p.config as never) };
  }
  /** Response tokens as the engine appends them (raw, no BOS). */
  async function responseTokenIds(info: ModelInfo, text: string, signal: AbortSignal): Promise<number[]> {
    if (!text) return [];
    const t = await engine.tokenize({ modelId: info.id, prompt: { kind: "raw", text, addBos: false } }, { signal });
    return t.map((x) => x.id);
  }

  const typedPrompt = (p: { text: string; chat: boolean; systemPrompt?: string | undefined }): PromptInput =>
    p.chat
      ? { kind: "chat", messages: [{ role: "user", content: p.text }], ...(p.systemPrompt ? { systemPrompt: p.systemPrompt } : {}) }
      : { kind: "raw", text: p.text };

  return {
    async explain(input, ctx): Promise<ExplainResult> {
      let record: ModelRecord;
      let adapters: AdapterUse[] = [];
      let prompt: PromptInput;
      let response = input.response;
      if (input.context.kind === "conversation") {
        const c = await conversationOf(input.context.conversationId);
        record = await recordOf(input.modelId ?? c.modelId);
        adapters = c.adapterSet;
        const messages = await promptMessages(c, input.context.leafId ?? c.currentLeafId);
        // An assistant leaf is the response so far: the explainer shows what comes next in it.
        const last = messages.at(-1);
        if (last?.role === "assistant") {
          messages.pop();
          response = last.content + (response ?? "");
        }
        if (!messages.length && !c.systemPrompt) throw new ApiError("invalid_input", "The conversation has no messages yet: type a prompt instead.");
        prompt = { kind: "chat", messages: messages.length ? messages : [{ role: "user", content: "" }], ...(c.systemPrompt ? { systemPrompt: c.systemPrompt } : {}) };
      } else {
        record = await recordOf(input.modelId);
        prompt = typedPrompt(input.context.prompt);
      }
      const info = await loaded(record, ctx.signal);
      const config = input.config;
      const tokenBias: ExplainResult["tokenBias"] = [];
      for (const e of config.tokenBias) {
        if (typeof e.token === "number") tokenBias.push({ id: e.token, logit: e.logit });
        else for (const id of await responseTokenIds(info, e.token, ctx.signal)) tokenBias.push({ id, logit: e.logit });
      }
      const eogTokens = [info.specialTokens.eos, info.specialTokens.eot].filter((x): x is number => x !== null);
      const recentTokens = response ? await responseTokenIds(info, response, ctx.signal) : [];
      const dist = await engine.nextTokenDistribution(
        {
          modelId: info.id,
          adapters: toEngineAdapters(adapters),
          prompt,
          ...(response ? { response } : {}),
          topN: input.topN,
          ...(input.engineCheck && config.temperature > 0 ? { sampling: config } : {}),
        },
        { signal: ctx.signal },
      );
      const distribution = dist.raw.top.map((t) => ({ id: t.id, piece: t.piece, prob: t.prob }));
      return {
        modelId: record.id,
        modelName: record.name,
        contextTokens: dist.contextTokens,
        vocabSize: info.vocabSize,
        distribution,
        rawEntropy: dist.raw.entropy,
        recentTokens,
        newlineToken: info.specialTokens.nl,
        tokenBias,
        eogTokens,
        config,
        explanation: explainSampling(distribution, config, { recentTokens, newlineToken: info.specialTokens.nl, tokenBias, eogTokens }),
        engine: dist.sampled,
      };
    },

    async *compare(input, ctx) {
      const record = await recordOf(input.modelId);
      const info = yield* loadedWithProgress(record, ctx.signal);
      const shared = input.sameSeed ? (input.seed ?? newSeed()) : null;
      const columns = await Promise.all(
        input.columns.map(async (col, i) => {
          const fromPreset = col.presetId ? await presetConfig(col.presetId) : null;
          let config = structuredClone(col.config ?? fromPreset?.config ?? resolveSamplingConfig({}));
          if (input.maxTokens !== undefined) config.maxTokens = input.maxTokens;
          const seed = shared ?? config.seed ?? (i === 0 && input.seed !== undefined ? input.seed : newSeed());
          config = { ...config, seed };
          return { label: col.label ?? fromPreset?.preset.name ?? `Custom ${i + 1}`, config, adapters: col.adapters };
        }),
      );
      const prompt = typedPrompt(input.prompt);
      for (const [i, col] of columns.entries()) yield { type: "start", column: i, label: col.label, config: col.config, adapters: col.adapters };

      // Columns with one adapter set share a context with a sequence per column, so they
      // decode in one batch; other adapter sets get contexts of their own (LoRA is per context).
      const cap = Math.max(1, Math.floor(deps.compareSequences ?? COMPARE_MAX_SEQUENCES));
      const perSet = new Map<string, number>();
      const setKey = (a: readonly AdapterUse[]) => JSON.stringify(toEngineAdapters(a).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : x.scale - y.scale)));
      for (const col of columns) perSet.set(setKey(col.adapters), (perSet.get(setKey(col.adapters)) ?? 0) + 1);
      const parallelOf = (col: (typeof columns)[number]) => Math.min(cap, perSet.get(setKey(col.adapters)) ?? 1);
      const queue = new AsyncQueue<ComparePacket>();
      const results: (DonePacket | null)[] = columns.map(() => null);
      const runs = columns.map(async (col, column) => {
        try {
          let done: DonePacket | null = null;
          for await (const p of engine.generate(
            { modelId: info.id, adapters: toEngineAdapters(col.adapters), prompt, sampling: col.config, ...(parallelOf(col) > 1 ? { parallel: parallelOf(col) } : {}) },
            { signal: ctx.signal },
          )) {
            if (p.type === "fragment") {
              if (p.text || p.tokens.length) queue.push({ type: "fragment", column, text: p.text, tokens: p.tokens });
            } else done = p;
          }
          if (!done) throw new Error("The engine ended the generation without a result.");
          results[column] = done;
          queue.push({ type: "done", column, text: done.text, tokens: done.tokens, seed: done.seed, stopReason: done.stopReason, timings: done.timings });
          if (input.probabilities && done.tokens.length && !ctx.signal.aborted) {
            const tp = await engine.tokenProbabilities(
              { modelId: info.id, adapters: toEngineAdapters(col.adapters), prompt, response: done.tokens, topN: 5 },
              { signal: ctx.signal },
            );
            queue.push({ type: "tokens", column, tokens: tp.tokens });
          }
        } catch (err) {
          if (!ctx.signal.aborted) queue.push({ type: "error", item: column, message: describeEngineFailure(err) });
        }
      });
      const all = Promise.all(runs).finally(() => queue.close());
      yield* queue;
      await all;
      if (!input.save || ctx.signal.aborted) return;

      const status = await sessions.engineStatus();
      const conv = await history.createConversation({
        title: `Compare: ${titleFrom(input.prompt.text)}`,
        modelId: record.id,
        modelFile: fileNameOf(record.filePath),
        systemPrompt: input.prompt.systemPrompt ?? "",
        tags: [COMPARISON_TAG],
      });
      const user = await history.addMessage({ conversationId: conv.id, parentId: null, role: "user", content: input.prompt.text || " " });
      const messageIds: (string | null)[] = [];
      for (const [i, col] of columns.entries()) {
        const r = results[i];
        if (!r) {
          messageIds.push(null);
          continue;
        }
        const meta: ComparisonMeta = { label: col.label, index: i, chat: input.prompt.chat };
        const start = startProvenance({ record, info, status, adapters: col.adapters, sampling: col.config, appVersion: deps.appVersion, extra: { compareColumn: meta as unknown as JsonObject } });
        const m = await history.addMessage({
          conversationId: conv.id,
          parentId: user.id,
          role: "assistant",
          content: r.text,
          status: r.stopReason === "abort" ? "stopped" : "complete",
          provenance: {
            ...start,
            seed: r.seed,
            promptTokens: r.timings.promptTokens,
            completionTokens: r.timings.completionTokens,
            ttftMs: r.timings.ttftMs,
            tokensPerSecond: r.timings.tokensPerS,
            finishedAt: Date.now(),
          },
          select: i === 0,
        });
        messageIds.push(m.id);
      }
      yield { type: "saved", conversationId: conv.id, messageIds };
    },

    async openComparison(input): Promise<SavedComparison> {
      const c = await conversationOf(input.conversationId);
      const messages = await history.listMessages(c.id);
      const user = messages.find((m) => m.parentId === null && m.role === "user");
      if (!user) throw new ApiError("invalid_input", "This conversation holds no comparison.");
      const answers = messages
        .filter((m) => m.parentId === user.id && m.role === "assistant")
        .map((m) => ({ m, meta: (m.provenance?.modelMetadata.compareColumn ?? null) as ComparisonMeta | null }))
        .sort((a, b) => (a.meta?.index ?? 0) - (b.meta?.index ?? 0) || a.m.createdAt - b.m.createdAt);
      const chat = answers[0]?.meta?.chat ?? true;
      return {
        conversationId: c.id,
        modelId: c.modelId,
        prompt: { text: user.content, chat, systemPrompt: c.systemPrompt },
        columns: answers.map(({ m, meta }, i) => {
          const parsed = samplingConfigSchema.safeParse(m.provenance?.sampling ?? {});
          return {
            messageId: m.id,
            label: meta?.label ?? `Column ${i + 1}`,
            config: parsed.success ? parsed.data : resolveSamplingConfig({}),
            adapters: m.provenance?.adapters ?? [],
            text: m.content,
            seed: m.provenance?.seed ?? null,
            tokensPerSecond: m.provenance?.tokensPerSecond ?? null,
          };
        }),
      };
    },

    async messageTokens(input, ctx) {
      const m = await messageOf(input.messageId);
      if (m.role !== "assistant") throw new ApiError("invalid_input", "Only an answer (assistant message) has generated tokens to show.");
      if (!m.content) throw new ApiError("invalid_input", "This answer is empty.");
      const c = await conversationOf(m.conversationId);
      const record = await recordOf(c.modelId);
      const info = await loaded(record, ctx.signal);
      const messages = await promptMessages(c, m.parentId);
      if (!messages.length) throw new ApiError("invalid_input", "This answer has no question before it to score against.");
      const meta = m.provenance?.modelMetadata.compareColumn as ComparisonMeta | undefined;
      const prompt: PromptInput =
        meta && !meta.chat && messages.length === 1
          ? { kind: "raw", text: messages[0]!.content }
          : { kind: "chat", messages, ...(c.systemPrompt ? { systemPrompt: c.systemPrompt } : {}) };
      const adapters = m.provenance?.adapters ?? c.adapterSet;
      const tp = await engine.tokenProbabilities(
        { modelId: info.id, adapters: toEngineAdapters(adapters), prompt, response: m.content, topN: input.topN },
        { signal: ctx.signal },
      );
      return { messageId: m.id, modelId: record.id, tokens: tp.tokens, sumLogprob: tp.sumLogprob };
    },

    async *branch(input, ctx): AsyncGenerator<ChatPacket> {
      const m = await messageOf(input.messageId);
      if (m.role !== "assistant" || !m.parentId) throw new ApiError("invalid_input", "Only an answer (assistant message) can be branched at a token.");
      const c = await conversationOf(m.conversationId);
      const record = await recordOf(c.modelId);
      const info = yield* loadedWithProgress(record, ctx.signal);
      const ids = await responseTokenIds(info, m.content, ctx.signal);
      if (input.tokenIndex >= ids.length) {
        throw new ApiError("invalid_input", `tokenIndex ${input.tokenIndex} is past the answer's ${ids.length} tokens`);
      }
      if (input.tokenId >= info.vocabSize) throw new ApiError("invalid_input", `tokenId ${input.tokenId} is outside the vocabulary (${info.vocabSize} tokens)`);
      const prefixIds = [...ids.slice(0, input.tokenIndex), input.tokenId];
      const prefix = await engine.detokenize({ modelId: info.id, tokens: prefixIds }, { signal: ctx.signal });
      // Messages are text: a byte that only a later token would complete cannot start a branch.
      if (prefix.endsWith("\uFFFD")) {
        throw new ApiError("invalid_input", `Token ${input.tokenId} is part of a character split across tokens; the answer cannot be branched on it alone.`);
      }
      const preset = c.presetId ? await deps.presets.getPreset(c.presetId) : null;
      let sampling = resolveSamplingConfig(preset ? (preset.config as never) : {});
      if (sampling.temperature > 0 && sampling.seed === undefined) sampling = { ...sampling, seed: newSeed() };
      if (input.maxTokens !== undefined) sampling = { ...sampling, maxTokens: input.maxTokens };
      const adapters = c.adapterSet;
      const status = await sessions.engineStatus();
      const writer = await history.beginAssistantMessage({
        conversationId: c.id,
        parentId: m.parentId,
        provenance: startProvenance({
          record,
          info,
          status,
          adapters,
          sampling,
          appVersion: deps.appVersion,
          extra: { branchedFrom: { messageId: m.id, tokenIndex: input.tokenIndex, tokenId: input.tokenId } },
        }),
      });
      let ended: Message | null = null;
      const finish = (message: Message, stopReason: DonePacket["stopReason"] | "error", done: DonePacket | null): ChatPacket => ({
        type: "done",
        message,
        stopReason,
        timings: done?.timings ?? null,
        contextTokens: done ? done.timings.promptTokens + done.timings.completionTokens : null,
        contextSize: info.contextSize,
      });
      try {
        const started = await history.getMessage(writer.messageId);
        if (started) yield { type: "assistant", message: started };
        writer.append(prefix);
        if (prefix) yield { type: "fragment", text: prefix };
        const eog = [info.specialTokens.eos, info.specialTokens.eot].includes(input.tokenId);
        if (eog) {
          ended = await writer.finish({ content: prefix });
          yield finish(ended, "eos", null);
          return;
        }
        const messages = await promptMessages(c, m.parentId);
        let done: DonePacket | null = null;
        try {
          for await (const p of engine.generate(
            {
              modelId: info.id,
              adapters: toEngineAdapters(adapters),
              // A trailing assistant message is continued by the engine, not closed.
              prompt: { kind: "chat", messages: [...messages, { role: "assistant", content: prefix }], ...(c.systemPrompt ? { systemPrompt: c.systemPrompt } : {}) },
              sampling,
            },
            { signal: ctx.signal },
          )) {
            if (p.type === "fragment") {
              if (!p.text) continue;
              writer.append(p.text);
              yield { type: "fragment", text: p.text };
            } else done = p;
          }
        } catch (err) {
          ended = ctx.signal.aborted ? await writer.stop() : await writer.fail(describeEngineFailure(err));
          yield finish(ended, ctx.signal.aborted ? "abort" : "error", null);
          return;
        }
        if (!done) {
          ended = await writer.fail("The engine ended the generation without a result.");
          yield finish(ended, "error", null);
          return;
        }
        const stats = {
          promptTokens: done.timings.promptTokens,
          completionTokens: done.timings.completionTokens + prefixIds.length,
          ttftMs: done.timings.ttftMs,
          tokensPerSecond: done.timings.tokensPerS,
        };
        const content = prefix + done.text;
        ended = done.stopReason === "abort" ? await writer.stop({ stats, content }) : await writer.finish({ stats, content });
        yield finish(ended, done.stopReason, done);
      } finally {
        if (!ended) await writer.stop().catch(() => undefined);
      }
    },

    async tokenize(input, ctx) {
      const info = await loaded(await recordOf(input.modelId), ctx.signal);
      const tokens = input.text
        ? await engine.tokenize({ modelId: info.id, prompt: { kind: "raw", text: input.text, specialTokens: input.specialTokens, addBos: false } }, { signal: ctx.signal })
        : [];
      const bytes = utf8.encode(input.text).length;
      return {
        tokens: tokens.map((t) => ({ id: t.id, piece: t.piece, special: t.special, bytes: t.special ? 0 : t.piece.includes("\uFFFD") ? null : utf8.encode(t.piece).length })),
        count: tokens.length,
        characters: [...input.text].length,
        bytes,
        bytesPerToken: tokens.length ? bytes / tokens.length : 0,
        specialCount: tokens.filter((t) => t.special).length,
      };
    },

    async countTokens(input, ctx) {
      const info = await loaded(await recordOf(input.modelId), ctx.signal);
      let prompt: PromptInput | null = null;
      if (input.messages?.length) prompt = { kind: "chat", messages: input.messages };
      else if (input.text) prompt = { kind: "raw", text: input.text };
      if (!prompt) return { tokens: 0, contextSize: info.contextSize };
      const tokens = await engine.tokenize({ modelId: info.id, prompt }, { signal: ctx.signal });
      return { tokens: tokens.length, contextSize: info.contextSize };
    },

    async exportPresets(input) {
      const all = await deps.presets.listPresets();
      const chosen = input.ids ? input.ids.map((id) => all.find((p) => p.id === id) ?? null) : all.filter((p) => !p.builtin);
      const missing = input.ids?.filter((_, i) => !chosen[i]);
      if (missing?.length) throw new ApiError("not_found", `No preset with id ${missing.join(", ")}`);
      const presets = chosen.filter((p): p is Preset => p !== null);
      return { json: exportPresetFile(presets), count: presets.length };
    },

    async importPresets(input) {
      let entries;
      try {
        entries = parsePresetFile(input.json);
      } catch (err) {
        throw new ApiError("invalid_input", err instanceof Error ? err.message : String(err));
      }
      const existing = await deps.presets.listPresets();
      const names = new Map(existing.map((p) => [p.name, p]));
      const imported: Preset[] = [];
      const skipped: string[] = [];
      for (const e of entries) {
        const clash = names.get(e.name);
        let name = e.name;
        let id: string | undefined;
        if (clash) {
          if (input.onConflict === "skip") {
            skipped.push(e.name);
            continue;
          }
          if (input.onConflict === "replace" && !clash.builtin) id = clash.id;
          else {
            let n = 2;
            while (names.has(`${e.name} (${n})`)) n++;
            name = `${e.name} (${n})`;
          }
        }
        const saved = await deps.presets.savePreset({ ...(id ? { id } : {}), name, config: e.config as unknown as JsonObject });
        names.set(saved.name, saved);
        imported.push(saved);
      }
      return { imported, skipped };
    },

    async listTemplates() {
      const all = await deps.templates.listTemplates();
      // Other features may keep templates of their own: list only the prompt builder's.
      return all.flatMap((t) => {
        if (t.body.kind !== TEMPLATE_KIND) return [];
        const spec = promptSpecSchema.safeParse(t.body.spec);
        return spec.success ? [{ ...t, spec: spec.data }] : [];
      });
    },
    async saveTemplate(input) {
      const t = await deps.templates.saveTemplate({
        ...(input.id ? { id: input.id } : {}),
        name: input.name,
        body: { kind: TEMPLATE_KIND, spec: input.spec as unknown as JsonObject },
      });
      return { ...t, spec: input.spec };
    },
    deleteTemplate: async (input) => ({ deleted: await deps.templates.deleteTemplate(input.id) }),
  };
}
