// Handlers for the `chat` domain: send, regenerate and edit, each streaming the answer
// from the engine into the store as it grows (the store throttles writes), with the
// full provenance recorded up front and the timings at the end. Cancelling the stream
// keeps the partial answer as "stopped"; an engine failure keeps it as "error" with
// llama.cpp's reason, and the next message loads the model again.
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { ChatPacket, chatApi } from "../api/chat.ts";
import type { ChatMessage, DonePacket, GenerationTimings } from "../engine/types.ts";
import type { HistoryStore, ModelStore, PresetStore, StreamingMessageWriter } from "../history/ports.ts";
import type { Conversation, Message, ProvenanceStats } from "../history/types.ts";
import { resolveSamplingConfig, type SamplingConfig } from "../sampling/config.ts";
import { withReports } from "../util/AsyncQueue.ts";
import type { EngineSessions } from "./EngineSessions.ts";
import { startProvenance } from "./provenance.ts";
import { requireConversation, requireMessage } from "./lookup.ts";

export interface ChatDeps {
  history: HistoryStore;
  models: ModelStore;
  presets: PresetStore;
  sessions: EngineSessions;
  /** Lathe's version, for provenance. */
  appVersion: string;
  /** A fresh random seed for random sampling without a fixed seed (default: crypto). */
  newSeed?: () => number;
}

const defaultTitle = "New conversation";

/** A short title from the first user message. */
export function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, " ").trim();
  return line.length > 48 ? `${line.slice(0, 47)}…` : line || defaultTitle;
}

/** Error text stored on a failed message: the message, then llama.cpp's reason lines. */
export function describeEngineFailure(err: unknown): string {
  const e = err as { message?: string; logs?: unknown; details?: { logs?: unknown } };
  const logs = Array.isArray(e.logs) ? e.logs : Array.isArray(e.details?.logs) ? e.details.logs : [];
  const tail = (logs as unknown[]).filter((l): l is string => typeof l === "string").slice(-5);
  return [e.message ?? String(err), ...tail].join("\n");
}

export function chatHandlers(deps: ChatDeps): DomainHandlers<typeof chatApi> {
  const { history, sessions } = deps;
  const newSeed = deps.newSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]!);

  const conversationOf = (id: string) => requireConversation(history, id);
  const messageOf = (id: string) => requireMessage(history, id);
  async function samplingOf(c: Conversation): Promise<SamplingConfig> {
    const preset = c.presetId ? await deps.presets.getPreset(c.presetId) : null;
    const config = resolveSamplingConfig(preset ? (preset.config as never) : {});
    // A random run records the seed it used, so it can be reproduced.
    return config.temperature > 0 && config.seed === undefined ? { ...config, seed: newSeed() } : config;
  }
  /** The chat history the model sees: the branch down to parentId, minus failed or empty answers. */
  async function promptMessages(c: Conversation, parentId: string | null): Promise<ChatMessage[]> {
    if (!parentId) return [];
    const path = await history.getPath(c.id, parentId);
    return path.nodes
      .map((n) => n.message)
      .filter((m) => m.role !== "system" && m.content.length > 0 && m.status !== "error")
      .map((m) => ({ role: m.role, content: m.content }));
  }

  /** Streams an answer under parentId into a new assistant message. */
  async function* answer(c: Conversation, parentId: string, signal: AbortSignal): AsyncGenerator<ChatPacket> {
    if (!c.modelId) throw new ApiError("invalid_input", "Choose a model for this conversation first.");
    const record = await deps.models.getModel(c.modelId);
    if (!record) throw new ApiError("not_found", `The conversation's model (${c.modelFile ?? c.modelId}) is no longer in the catalog.`);

    let info = sessions.info(record.id);
    if (!info) {
      info = yield* withReports<ChatPacket, Awaited<ReturnType<EngineSessions["ensureLoaded"]>>>((report) =>
        sessions.ensureLoaded(
          record,
          (p) => report({ type: "progress", done: Math.round(p.progress * 1000), total: 1000, label: `Loading ${record.name}` }),
          signal,
        ),
      );
    }
    const status = await sessions.engineStatus();
    const sampling = await samplingOf(c);
    const messages = await promptMessages(c, parentId);
    const writer: StreamingMessageWriter = await history.beginAssistantMessage({
      conversationId: c.id,
      parentId,
      provenance: startProvenance({ record, info, status, adapters: c.adapterSet, sampling, appVersion: deps.appVersion }),
    });
    const started = await history.getMessage(writer.messageId);
    if (started) yield { type: "assistant", message: started };

    let ended: Message | null = null;
    let done: DonePacket | null = null;
    const stats = (t: GenerationTimings | null): ProvenanceStats =>
      t
        ? { promptTokens: t.promptTokens, completionTokens: t.completionTokens, ttftMs: t.ttftMs, tokensPerSecond: t.tokensPerS }
        : {};
    const finish = (
      message: Message,
      stopReason: DonePacket["stopReason"] | "error",
      timings: GenerationTimings | null,
    ): ChatPacket => ({
      type: "done",
      message,
      stopReason,
      timings,
      contextTokens: timings ? timings.promptTokens + timings.completionTokens : null,
      contextSize: info.contextSize,
    });
    try {
      try {
        for await (const p of sessions.engine.generate(
          {
            modelId: info.id,
            adapters: c.adapterSet.map((a) => ({ path: a.file, scale: a.scale })),
            prompt: { kind: "chat", messages, ...(c.systemPrompt ? { systemPrompt: c.systemPrompt } : {}) },
            sampling,
          },
          { signal },
        )) {
          if (p.type === "fragment") {
            if (!p.text) continue;
            writer.append(p.text);
            yield { type: "fragment", text: p.text };
          } else done = p;
        }
      } catch (err) {
        if (signal.aborted) {
          ended = await writer.stop();
          yield finish(ended, "abort", null);
          return;
        }
        ended = await writer.fail(describeEngineFailure(err));
        yield finish(ended, "error", null);
        return;
      }
      if (!done) {
        ended = await writer.fail("The engine ended the generation without a result.");
        yield finish(ended, "error", null);
        return;
      }
      ended =
        done.stopReason === "abort"
          ? await writer.stop({ stats: stats(done.timings), content: done.text })
          : await writer.finish({ stats: stats(done.timings), content: done.text });
      yield finish(ended, done.stopReason, done.timings);
    } finally {
      // The caller went away mid-stream (stop button, closed tab): keep what was written.
      if (!ended) await writer.stop(done ? { stats: stats(done.timings) } : {}).catch(() => undefined);
    }
  }

  return {
    async *send(input, ctx) {
      const c = await conversationOf(input.conversationId);
      if (!c.modelId) throw new ApiError("invalid_input", "Choose a model for this conversation first.");
      const parentId = input.parentId === undefined ? c.currentLeafId : input.parentId;
      const user = await history.addMessage({ conversationId: c.id, parentId, role: "user", content: input.content });
      if (c.title === defaultTitle && parentId === null) {
        await history.updateConversation(c.id, { title: titleFrom(input.content) });
      }
      yield { type: "user", message: user };
      yield* answer(c, user.id, ctx.signal);
    },
    async *regenerate(input, ctx) {
      const m = await messageOf(input.messageId);
      if (m.role !== "assistant") throw new ApiError("invalid_input", "Only an answer (assistant message) can be regenerated.");
      if (!m.parentId) throw new ApiError("invalid_input", "This answer has no question to answer again.");
      yield* answer(await conversationOf(m.conversationId), m.parentId, ctx.signal);
    },
    async *edit(input, ctx) {
      const m = await messageOf(input.messageId);
      const edited = await history.editMessage(m.id, input.content);
      if (edited.role === "user") {
        yield { type: "user", message: edited };
        yield* answer(await conversationOf(m.conversationId), edited.id, ctx.signal);
      } else {
        yield { type: "done", message: edited, stopReason: "eos", timings: null, contextTokens: null, contextSize: null };
      }
    },
    async contextUsage(input) {
      const c = await conversationOf(input.conversationId);
      const info = c.modelId ? sessions.info(c.modelId) : null;
      if (!info) return null;
      const messages = await promptMessages(c, c.currentLeafId);
      if (!messages.length) return { tokens: 0, contextSize: info.contextSize };
      const tokens = await sessions.engine.tokenize({
        modelId: info.id,
        prompt: { kind: "chat", messages, ...(c.systemPrompt ? { systemPrompt: c.systemPrompt } : {}) },
      });
      return { tokens: tokens.length, contextSize: info.contextSize };
    },
  };
}
