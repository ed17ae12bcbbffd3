// An in-memory Lathe for renderer tests: fake handlers for the system, engine, models,
// history and chat domains, served by the real API server over a memory channel, so the
// stores talk to it exactly as to a shell. Answers follow the successor rule (each
// character is the previous one + 1), and `hold` pauses a stream until released.
import {
  contract,
  createApiClient,
  createMemoryChannelPair,
  serveApi,
  type ApiClient,
  type ChatPacket,
  type HandlersOf,
  type LatheContract,
  type ModelEntry,
  type FolderFile,
  type CreateDemoPacket,
  type LoadPacket,
} from "../../../core/api/index.ts";
import { descendToLeaf, indexTree, pathIds, siblingsOf } from "../../../core/history/tree.ts";
import type { Conversation, ConversationPath, Message, Preset, Provenance, SearchHit } from "../../../core/history/types.ts";
import type { EngineStatus } from "../../../core/engine/types.ts";

/** The successor rule on printable ASCII: "abc" -> "bcd". */
export function successorOf(text: string, count: number): string {
  let c = text.at(-1)?.charCodeAt(0) ?? 96;
  let out = "";
  for (let i = 0; i < count; i++) {
    c = c >= 32 && c < 126 ? c + 1 : 32;
    out += String.fromCharCode(c);
  }
  return out;
}

/** A gate a stream waits on: `release()` lets it go on. */
export class Gate {
  private waiters: (() => void)[] = [];
  open = false;
  wait(signal: AbortSignal): Promise<void> {
    if (this.open) return Promise.resolve();
    return new Promise((ok) => {
      this.waiters.push(ok);
      signal.addEventListener("abort", () => ok(), { once: true });
    });
  }
  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

const provenance = (): Provenance => ({
  modelFile: "successor.gguf",
  modelSha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  modelMetadata: {},
  adapters: [],
  sampling: { temperature: 0, topK: 40, topP: 0.95, minP: 0.05, maxTokens: 512 },
  seed: 42,
  chatTemplate: null,
  latheVersion: "0.1.0",
  nodeLlamaCppVersion: "3.21.1",
  llamaCppVersion: "b1",
  promptTokens: 12,
  completionTokens: 6,
  ttftMs: 8,
  tokensPerSecond: 250,
  startedAt: 1,
  finishedAt: 2,
});

/** The domains this fake implements. */
export const fakeDomains = ["system", "engine", "models", "history", "chat", "presets"] as const;
type FakeDomain = (typeof fakeDomains)[number];

/** Options of FakeLathe. */
export interface FakeLatheOptions {
  /** Domains system.info reports and serves. Default: all of fakeDomains. */
  domains?: string[];
  /** Catalog models at start. Default: one "successor" model. */
  models?: ModelEntry[];
}

export const successorModel: ModelEntry = {
  id: "m-successor",
  filePath: "/data/models/successor.gguf",
  name: "successor",
  sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  sizeBytes: 1_234_567,
  metadata: {},
  addedAt: 1,
  available: true,
  loaded: null,
};

export class FakeLathe {
  conversations = new Map<string, Conversation>();
  messages = new Map<string, Message>();
  /** Active child per parent ("" = roots), per conversation, for switchBranch. */
  activeChild = new Map<string, string>();
  models: ModelEntry[];
  files: FolderFile[] = [];
  presets: Preset[] = [
    { id: "builtin-greedy", name: "Greedy", config: { temperature: 0, topK: 0 }, builtin: true, createdAt: 1, updatedAt: 1 },
    { id: "builtin-balanced", name: "Balanced", config: { temperature: 0.8, topK: 40 }, builtin: true, createdAt: 1, updatedAt: 1 },
  ];
  domains: string[];
  /** Fragments per answer. Default 6. */
  answerLength = 6;
  /** When set, answers pause after `holdAfter` fragments until the gate is released (or the call aborted). */
  hold: Gate | null = null;
  /** Fragments sent before pausing at `hold`. Default 3. */
  holdAfter = 3;
  /** When set, the next answer ends in an engine error with this reason. */
  failNext: string | null = null;
  /** When set, createDemo pauses after its first progress packet until released. */
  demoGate: Gate | null = null;
  /** Every call made, as "domain.method". */
  calls: { method: string; input: unknown }[] = [];
  private seq = 0;
  private clock = 1000;

  constructor(options: FakeLatheOptions = {}) {
    this.domains = options.domains ?? [...fakeDomains];
    this.models = options.models ?? [successorModel];
  }

  /** A typed client of a fresh API server over these handlers. */
  client(): ApiClient<LatheContract> {
    const [server, client] = createMemoryChannelPair();
    serveApi(contract, this.handlers(), server);
    return createApiClient(contract, client);
  }

  /** Calls of one method, in order. */
  callsOf(method: string): unknown[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.input);
  }

  private id(prefix: string): string {
    return `${prefix}${++this.seq}`;
  }

  private now(): number {
    return ++this.clock;
  }

  private tree(conversationId: string) {
    const links = [...this.messages.values()]
      .filter((m) => m.conversationId === conversationId)
      .map((m) => ({ id: m.id, parentId: m.parentId, activeChildId: this.activeChild.get(`${conversationId}:${m.id}`) ?? null }));
    return indexTree(links);
  }

  path(conversationId: string, leafId?: string): ConversationPath {
    const conv = this.conversations.get(conversationId);
    if (!conv) throw Object.assign(new Error(`Conversation ${conversationId} not found`), { code: "not_found" });
    const leaf = leafId ?? conv.currentLeafId;
    if (!leaf) return { conversationId, leafId: null, nodes: [] };
    const tree = this.tree(conversationId);
    const nodes = pathIds(tree, leaf).map((id) => {
      const siblingIds = siblingsOf(tree, id);
      return { message: structuredClone(this.messages.get(id)!), siblingIds, siblingIndex: siblingIds.indexOf(id) };
    });
    return { conversationId, leafId: leaf, nodes };
  }

  addMessage(conversationId: string, parentId: string | null, role: Message["role"], content: string, status: Message["status"] = "complete"): Message {
    const t = this.now();
    const m: Message = {
      id: this.id(role === "user" ? "u" : "a"),
      conversationId,
      parentId,
      role,
      content,
      status,
      error: null,
      createdAt: t,
      updatedAt: t,
      provenance: role === "assistant" ? provenance() : null,
    };
    this.messages.set(m.id, m);
    this.select(m);
    return m;
  }

  private select(m: Message): void {
    const conv = this.conversations.get(m.conversationId)!;
    this.activeChild.set(`${m.conversationId}:${m.parentId ?? ""}`, m.id);
    let p = m;
    while (p.parentId) {
      this.activeChild.set(`${m.conversationId}:${p.parentId}`, p.id);
      p = this.messages.get(p.parentId)!;
    }
    conv.currentLeafId = m.id;
    conv.updatedAt = this.now();
  }

  createConversation(title = "New conversation", modelId: string | null = successorModel.id): Conversation {
    const t = this.now();
    const c: Conversation = {
      id: this.id("c"),
      title,
      modelId,
      modelFile: modelId ? "successor.gguf" : null,
      adapterSet: [],
      presetId: null,
      systemPrompt: "",
      currentLeafId: null,
      pinned: false,
      tags: [],
      createdAt: t,
      updatedAt: t,
    };
    this.conversations.set(c.id, c);
    return c;
  }

  /** Streams an answer under `parent`: [user] assistant fragment* done. */
  private async *answer(conversationId: string, parent: Message, signal: AbortSignal, user?: Message): AsyncGenerator<ChatPacket> {
    if (user) yield { type: "user", message: structuredClone(user) };
    const a = this.addMessage(conversationId, parent.id, "assistant", "", "streaming");
    yield { type: "assistant", message: structuredClone(a) };
    const text = successorOf(parent.content, this.answerLength);
    let finished = false;
    try {
      for (let i = 0; i < text.length; i++) {
        if (this.hold && i === this.holdAfter) await this.hold.wait(signal);
        if (signal.aborted) return;
        a.content += text[i];
        yield { type: "fragment", text: text[i]! };
      }
      if (this.failNext) {
        a.status = "error";
        a.error = this.failNext;
        this.failNext = null;
      } else a.status = "complete";
      finished = true;
      yield {
        type: "done",
        message: structuredClone(a),
        stopReason: a.status === "error" ? "error" : "maxTokens",
        timings: { ttftMs: 8, promptTokens: 12, cachedPromptTokens: 0, promptTokensPerS: 1000, completionTokens: 6, tokensPerS: 250, totalMs: 30 },
        contextTokens: 18,
        contextSize: 256,
      };
    } finally {
      if (!finished) a.status = "stopped";
    }
  }

  engineStatus(): EngineStatus {
    return {
      running: true,
      pid: 4242,
      nodeLlamaCppVersion: "3.21.1",
      llamaCppRelease: "b1",
      buildType: "prebuilt",
      gpuSetting: "auto",
      backend: "cpu",
      backendReason: "auto: no GPU",
      devices: [],
      vram: { total: 0, used: 0, free: 0 },
      ram: { total: 8e9, free: 4e9 },
      hostRssBytes: 1e8,
      threads: 2,
      cpuMathCores: 2,
      models: [],
      counters: { modelLoads: 0, contextsCreated: 0, contextsEvicted: 0, generations: 0 },
      restarts: 0,
      lastStop: null,
    } as EngineStatus;
  }

  handlers(): Partial<HandlersOf<LatheContract>> {
    const track = <T extends object>(domain: string, h: T): T => {
      const out: Record<string, unknown> = {};
      for (const [k, fn] of Object.entries(h)) {
        out[k] = (input: unknown, ctx: unknown) => {
          this.calls.push({ method: `${domain}.${k}`, input });
          return (fn as (i: unknown, c: unknown) => unknown)(input, ctx);
        };
      }
      return out as T;
    };
    const notFound = (what: string) => Object.assign(new Error(`${what} not found`), { code: "not_found" });
    const all: Pick<HandlersOf<LatheContract>, FakeDomain> = {
      system: {
        info: () => ({
          appVersion: "0.1.0",
          shell: "browser",
          platform: "linux-x64",
          engine: { nodeLlamaCppVersion: "3.21.1", llamaCppRelease: null, backend: null, backendReason: "not started", devices: [], threads: 0 },
          paths: { home: "/data", models: "/data/models", adapters: "/data/adapters", database: "/data/lathe.db" },
          domains: this.domains,
        }),
        async *ticks() {},
      },
      engine: { status: () => this.engineStatus() },
      models: {
        list: () => ({ models: structuredClone(this.models), folder: "/data/models" }),
        scanFolder: () => ({ files: structuredClone(this.files) }),
        add: ({ path }) => {
          const f = this.files.find((x) => x.path === path);
          if (!f || f.kind !== "model") throw Object.assign(new Error(`${path}: ${f?.problem ?? "not a model"}`), { code: "invalid_input" });
          const m: ModelEntry = { ...successorModel, id: this.id("m"), filePath: path, name: f.fileName.replace(/\.gguf$/, ""), sizeBytes: f.sizeBytes };
          this.models.push(m);
          f.inCatalog = true;
          return m;
        },
        remove: ({ id }) => {
          const before = this.models.length;
          this.models = this.models.filter((m) => m.id !== id);
          return { removed: this.models.length < before };
        },
        createDemo: async function* (this: FakeLathe, _input: unknown, ctx: { signal: AbortSignal }): AsyncGenerator<CreateDemoPacket> {
          yield { type: "progress", done: 1, total: 4, label: "successor.gguf" };
          if (this.demoGate) await this.demoGate.wait(ctx.signal);
          if (ctx.signal.aborted) return;
          yield { type: "progress", done: 4, total: 4, label: "demo-lora.gguf" };
          this.models = [successorModel];
          yield { type: "done", models: [successorModel], adapters: [] };
        }.bind(this),
        load: async function* (this: FakeLathe, { id }: { id: string }): AsyncGenerator<LoadPacket> {
          yield { type: "progress", done: 1, total: 2, label: "loading tensors" };
          const m = this.models.find((x) => x.id === id);
          if (!m) throw notFound(`Model ${id}`);
          m.loaded = { id: "h1", path: m.filePath, name: m.name, contextSize: 256, threads: 2 } as ModelEntry["loaded"];
          yield { type: "done", model: m.loaded! };
        }.bind(this),
        unload: ({ id }) => {
          const m = this.models.find((x) => x.id === id);
          const was = !!m?.loaded;
          if (m) m.loaded = null;
          return { unloaded: was };
        },
        // The inspector is tested against the real shell (test/e2e/models-inspect.test.ts).
        inspect: () => {
          throw Object.assign(new Error("the fake shell reads no GGUF files"), { code: "unavailable" });
        },
        memoryFit: () => {
          throw Object.assign(new Error("the fake shell has no engine"), { code: "unavailable" });
        },
        // Downloads are tested against the real shell and a local HTTP server (test/engine/download.test.ts, test/e2e/models.test.ts).
        download: async function* (): AsyncGenerator<never> {
          throw Object.assign(new Error("the fake shell downloads nothing"), { code: "unavailable" });
        },
        deleteFile: ({ id }) => {
          const m = this.models.find((x) => x.id === id);
          if (!m) throw notFound(`Model ${id}`);
          this.models = this.models.filter((x) => x.id !== id);
          return { deleted: true, path: m.filePath };
        },
        curated: () => ({ models: [] }),
      },
      history: {
        listConversations: () =>
          [...this.conversations.values()]
            .sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updatedAt - a.updatedAt)
            .map((c) => ({ ...structuredClone(c), messageCount: [...this.messages.values()].filter((m) => m.conversationId === c.id).length })),
        createConversation: (input) => {
          const c = this.createConversation(input.title, input.modelId ?? successorModel.id);
          c.presetId = input.presetId ?? null;
          c.systemPrompt = input.systemPrompt ?? "";
          return structuredClone(c);
        },
        getConversation: ({ id }) => {
          const c = this.conversations.get(id);
          if (!c) throw notFound(`Conversation ${id}`);
          return structuredClone(c);
        },
        updateConversation: ({ id, patch }) => {
          const c = this.conversations.get(id);
          if (!c) throw notFound(`Conversation ${id}`);
          Object.assign(c, patch, { updatedAt: this.now() });
          return structuredClone(c);
        },
        deleteConversation: ({ id }) => ({ deleted: this.conversations.delete(id) }),
        getPath: ({ conversationId, leafId }) => this.path(conversationId, leafId),
        switchBranch: ({ messageId }) => {
          const m = this.messages.get(messageId);
          if (!m) throw notFound(`Message ${messageId}`);
          const leaf = descendToLeaf(this.tree(m.conversationId), messageId);
          this.select(this.messages.get(leaf)!);
          return this.path(m.conversationId);
        },
        deleteMessage: () => ({ deleted: false }),
        search: ({ query }) => {
          const hits: SearchHit[] = [];
          for (const m of this.messages.values()) {
            const at = m.content.toLowerCase().indexOf(query.toLowerCase());
            if (at < 0) continue;
            hits.push({
              messageId: m.id,
              conversationId: m.conversationId,
              conversationTitle: this.conversations.get(m.conversationId)!.title,
              role: m.role,
              status: m.status,
              createdAt: m.createdAt,
              modelFile: null,
              snippet: [
                { text: m.content.slice(0, at), match: false },
                { text: m.content.slice(at, at + query.length), match: true },
                { text: m.content.slice(at + query.length), match: false },
              ].filter((p) => p.text),
              score: -1,
            });
          }
          return hits;
        },
        exportConversation: () => ({ text: "", fileName: "x.md" }),
        exportHistory: () => ({ text: "", fileName: "x.json" }),
        importHistory: () => ({ conversations: 0, messages: 0 }) as never,
      },
      presets: {
        list: () => structuredClone(this.presets),
        save: (input) => {
          const p: Preset = { id: input.id ?? this.id("p"), name: input.name, config: input.config as never, builtin: false, createdAt: 1, updatedAt: 1 };
          this.presets.push(p);
          return p;
        },
        delete: ({ id }) => ({ deleted: this.presets.some((p) => p.id === id) }),
      },
      chat: {
        send: ({ conversationId, content, parentId }, ctx) => {
          const conv = this.conversations.get(conversationId);
          if (!conv) throw notFound(`Conversation ${conversationId}`);
          const user = this.addMessage(conversationId, parentId ?? conv.currentLeafId, "user", content);
          return this.answer(conversationId, user, ctx.signal, user);
        },
        regenerate: ({ messageId }, ctx) => {
          const old = this.messages.get(messageId)!;
          return this.answer(old.conversationId, this.messages.get(old.parentId!)!, ctx.signal);
        },
        edit: ({ messageId, content }, ctx) => {
          const old = this.messages.get(messageId)!;
          const user = this.addMessage(old.conversationId, old.parentId, "user", content);
          return this.answer(old.conversationId, user, ctx.signal, user);
        },
        contextUsage: () => null,
      },
    };
    const out: Record<string, unknown> = {};
    for (const d of this.domains) {
      const h = (all as Record<string, object>)[d];
      if (h) out[d] = track(d, h);
    }
    return out as Partial<HandlersOf<LatheContract>>;
  }
}
