// The OpenAI-compatible HTTP API of `lathe serve` (/v1/models, /v1/chat/completions,
// /v1/completions), so other tools can use Lathe's models: Bearer token auth, the same
// Host/Origin guard as the rest of the server, a request size limit, JSON errors in
// OpenAI's shape, SSE streaming that stops generation when the client goes away, and
// `logprobs`/`top_logprobs`. The extension field `lathe.adapters` picks an adapter set.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Engine } from "../core/engine/port.ts";
import type { DonePacket, ModelInfo, Prompt, PromptInput } from "../core/engine/types.ts";
import type { AdapterStore, ModelStore } from "../core/history/ports.ts";
import type { ModelRecord } from "../core/history/types.ts";
import type { EngineSessions } from "../core/services/EngineSessions.ts";
import { resolveSamplingConfig } from "../core/sampling/config.ts";
import { sameToken } from "./http.ts";

/** What the /v1 routes need. */
export interface OpenAiDeps {
  models: ModelStore;
  adapters: AdapterStore;
  sessions: EngineSessions;
  engine: Engine;
  /** Largest request body in bytes. Default 8 MiB. */
  maxBodyBytes?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const stopSchema = z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).max(16)]).nullish();
const adaptersExt = z
  .object({
    /** Adapters by catalog id or file path, each with a scale (default 1). */
    adapters: z.array(z.object({ id: z.string().optional(), path: z.string().optional(), scale: z.number().min(-100).max(100).default(1) })).max(16).default([]),
  })
  .optional();
const commonFields = {
  model: z.string().min(1).max(4096),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: stopSchema,
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  n: z.literal(1).nullish(),
  lathe: adaptersExt,
};
const chatSchema = z.object({
  ...commonFields,
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "developer", "user", "assistant"]),
        content: z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() }))]).nullable(),
      }),
    )
    .min(1),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});
const completionSchema = z.object({
  ...commonFields,
  prompt: z.string(),
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.literal(false).nullish(),
});

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new HttpError(413, `Request body too large (${declared} bytes; the limit is ${limit})`, "invalid_request_error");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `Request body too large (over ${limit} bytes)`, "invalid_request_error");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "The request body is not valid JSON", "invalid_request_error");
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const param = issue.path.map(String).join(".");
  throw new HttpError(400, `Invalid value for '${param || "body"}': ${issue.message}`, "invalid_request_error", "invalid_value", param || null);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

const finishReason = (d: DonePacket) => (d.stopReason === "maxTokens" || d.stopReason === "contextFull" ? "length" : "stop");

export function openAiRoutes(deps: OpenAiDeps) {
  const limit = deps.maxBodyBytes ?? 8 * 1024 * 1024;

  async function findModel(name: string): Promise<ModelRecord> {
    const all = await deps.models.listModels();
    const m = all.find((r) => r.id === name || r.name === name || r.filePath === name || r.filePath.split(/[\\/]/).pop() === name);
    if (!m) throw new HttpError(404, `The model '${name}' does not exist. GET /v1/models lists the models Lathe knows.`, "invalid_request_error", "model_not_found", "model");
    return m;
  }
  async function adapterSet(ext: z.infer<typeof adaptersExt>) {
    const out: { path: string; scale: number }[] = [];
    for (const a of ext?.adapters ?? []) {
      if (a.path) out.push({ path: a.path, scale: a.scale });
      else if (a.id) {
        const rec = await deps.adapters.getAdapter(a.id);
        if (!rec) throw new HttpError(404, `No adapter with id '${a.id}'`, "invalid_request_error", "adapter_not_found", "lathe.adapters");
        out.push({ path: rec.filePath, scale: a.scale });
      } else throw new HttpError(400, "Each entry of lathe.adapters needs an id or a path", "invalid_request_error", null, "lathe.adapters");
    }
    return out;
  }
  function sampling(b: z.infer<typeof chatSchema> | z.infer<typeof completionSchema>, maxTokens: number | null | undefined) {
    const stop = b.stop == null ? [] : Array.isArray(b.stop) ? b.stop : [b.stop];
    return resolveSamplingConfig({
      temperature: b.temperature ?? 1,
      topP: b.top_p ?? 1,
      topK: 0,
      minP: 0,
      ...(b.seed != null ? { seed: b.seed >>> 0 } : {}),
      maxTokens: maxTokens ?? 512,
      stopStrings: stop,
      repeatPenalty: { penalty: 1, frequencyPenalty: b.frequency_penalty ?? 0, presencePenalty: b.presence_penalty ?? 0 },
    });
  }

  /** Runs one generation, streaming SSE chunks or answering once; stops when the client leaves. */
  async function run(
    req: IncomingMessage,
    res: ServerResponse,
    opts: {
      kind: "chat" | "text";
      modelName: string;
      info: ModelInfo;
      prompt: PromptInput;
      body: z.infer<typeof chatSchema> | z.infer<typeof completionSchema>;
      maxTokens: number | null | undefined;
      topLogprobs: number | null;
    },
  ) {
    const ac = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) ac.abort("client disconnected");
    });
    const id = `${opts.kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const adapters = await adapterSet(opts.body.lathe);
    const stream = deps.engine.generate(
      { modelId: opts.info.id, adapters, prompt: opts.prompt, sampling: sampling(opts.body, opts.maxTokens) },
      { signal: ac.signal },
    );
    const base = { id, created, model: opts.modelName };
    const logprobsOf = async (done: DonePacket) => {
      if (opts.topLogprobs === null || done.tokens.length === 0) return null;
      const probs = await deps.engine.tokenProbabilities({
        modelId: opts.info.id,
        adapters,
        prompt: opts.prompt,
        response: done.tokens,
        topN: opts.topLogprobs,
      });
      return probs.tokens;
    };
    const usage = (d: DonePacket) => ({
      prompt_tokens: d.timings.promptTokens,
      completion_tokens: d.timings.completionTokens,
      total_tokens: d.timings.promptTokens + d.timings.completionTokens,
    });
    const bytes = (s: string) => [...Buffer.from(s, "utf8")];

    if (opts.body.stream) {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive" });
      const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
      const chunkObj = opts.kind === "chat" ? "chat.completion.chunk" : "text_completion";
      if (opts.kind === "chat") send({ ...base, object: chunkObj, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
      let done: DonePacket | null = null;
      for await (const p of stream) {
        if (p.type === "fragment") {
          if (!p.text) continue;
          send(
            opts.kind === "chat"
              ? { ...base, object: chunkObj, choices: [{ index: 0, delta: { content: p.text }, finish_reason: null }] }
              : { ...base, object: chunkObj, choices: [{ index: 0, text: p.text, finish_reason: null, logprobs: null }] },
          );
        } else done = p;
      }
      if (done && !ac.signal.aborted) {
        const lp = await logprobsOf(done);
        const logprobs = lp && opts.kind === "chat"
          ? { content: lp.map((t) => ({ token: t.piece, logprob: t.logprob, bytes: bytes(t.piece), top_logprobs: t.alternatives.map((a) => ({ token: a.piece, logprob: a.logprob, bytes: bytes(a.piece) })) })) }
          : null;
        send(
          opts.kind === "chat"
            ? { ...base, object: chunkObj, choices: [{ index: 0, delta: {}, finish_reason: finishReason(done), logprobs }], usage: usage(done) }
            : { ...base, object: chunkObj, choices: [{ index: 0, text: "", finish_reason: finishReason(done), logprobs: null }], usage: usage(done) },
        );
        res.write("data: [DONE]\n\n");
      }
      res.end();
      return;
    }

    let done: DonePacket | null = null;
    for await (const p of stream) if (p.type === "done") done = p;
    if (!done) throw new HttpError(500, "The engine ended the generation without a result", "server_error");
    const lp = await logprobsOf(done);
    if (opts.kind === "chat") {
      sendJson(res, 200, {
        ...base,
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: done.text, refusal: null },
            finish_reason: finishReason(done),
            logprobs: lp
              ? { content: lp.map((t) => ({ token: t.piece, logprob: t.logprob, bytes: bytes(t.piece), top_logprobs: t.alternatives.map((a) => ({ token: a.piece, logprob: a.logprob, bytes: bytes(a.piece) })) })) }
              : null,
          },
        ],
        usage: usage(done),
      });
    } else {
      sendJson(res, 200, {
        ...base,
        object: "text_completion",
        choices: [
          {
            index: 0,
            text: done.text,
            finish_reason: finishReason(done),
            logprobs: lp
              ? { tokens: lp.map((t) => t.piece), token_logprobs: lp.map((t) => t.logprob), top_logprobs: lp.map((t) => Object.fromEntries(t.alternatives.map((a) => [a.piece, a.logprob]))), text_offset: [] }
              : null,
          },
        ],
        usage: usage(done),
      });
    }
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, auth: { token: string; originOk: boolean }): Promise<boolean> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (!path.startsWith("/v1/")) return false;
    try {
      if (!auth.originOk) throw new HttpError(403, "Requests from other origins are not allowed", "permission_error");
      const header = req.headers.authorization ?? "";
      const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
      if (!sameToken(given, auth.token)) {
        throw new HttpError(401, "Incorrect API key provided. Use the token `lathe serve` printed as the API key.", "invalid_request_error", "invalid_api_key");
      }
      if (req.method === "GET" && path === "/v1/models") {
        const models = await deps.models.listModels();
        sendJson(res, 200, {
          object: "list",
          data: models.map((m) => ({ id: m.name, object: "model", created: Math.floor(m.addedAt / 1000), owned_by: "lathe" })),
        });
        return true;
      }
      if (req.method !== "POST" || (path !== "/v1/chat/completions" && path !== "/v1/completions")) {
        throw new HttpError(404, `Unknown endpoint ${req.method} ${path}`, "invalid_request_error", "unknown_url");
      }
      const body = await readJson(req, limit);
      if (path === "/v1/chat/completions") {
        const b = parse(chatSchema, body);
        const record = await findModel(b.model);
        const info = await deps.sessions.ensureLoaded(record);
        const text = (c: (typeof b.messages)[number]["content"]) => (typeof c === "string" ? c : (c ?? []).map((p) => p.text).join(""));
        const system = b.messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => text(m.content)).join("\n\n");
        const messages = b.messages
          .filter((m) => m.role === "user" || m.role === "assistant")
          .map((m) => ({ role: m.role as "user" | "assistant", content: text(m.content) }));
        if (!messages.length) throw new HttpError(400, "messages needs at least one user message", "invalid_request_error", null, "messages");
        const prompt: Extract<Prompt, { kind: "chat" }> | PromptInput = { kind: "chat", messages, ...(system ? { systemPrompt: system } : {}) };
        await run(req, res, {
          kind: "chat",
          modelName: record.name,
          info,
          prompt,
          body: b,
          maxTokens: b.max_completion_tokens ?? b.max_tokens,
          topLogprobs: b.logprobs ? (b.top_logprobs ?? 0) : null,
        });
      } else {
        const b = parse(completionSchema, body);
        const record = await findModel(b.model);
        const info = await deps.sessions.ensureLoaded(record);
        await run(req, res, {
          kind: "text",
          modelName: record.name,
          info,
          prompt: { kind: "raw", text: b.prompt },
          body: b,
          maxTokens: b.max_tokens ?? 16,
          topLogprobs: b.logprobs ?? null,
        });
      }
    } catch (err) {
      const e =
        err instanceof HttpError
          ? err
          : (err as { code?: string }).code === "too_large"
            ? new HttpError(400, (err as Error).message, "invalid_request_error", "context_length_exceeded")
            : new HttpError(500, (err as Error).message ?? String(err), "server_error");
      if (!res.headersSent) sendJson(res, e.status, { error: { message: e.message, type: e.type, param: e.param, code: e.code } });
      else res.end();
    }
    return true;
  };
}
