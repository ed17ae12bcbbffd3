// The adapters service over fake ports (in-memory files and stores, a scripted engine):
// llama.cpp's wording for each adapter fault, how a file is classified when added (PEFT,
// not GGUF, corrupt, model, other base), compatibility badges, the folder scan, the timed
// swap's counters, and the experiments' packets when a side, a scale or a text fails.
import { describe, expect, it } from "vitest";
import { GgufError, validateGgufBytes } from "../../../core/gguf/header.ts";
import { findAdapterMismatches } from "../../../core/gguf/semantics.ts";
import { writeGguf } from "../../../core/gguf/writer.ts";
import { adapterAsModelSpec, miniModelSpec, truncatedBytes } from "../../../core/fixtures/broken.ts";
import { loraAdapterSpec } from "../../../core/fixtures/llamaModel.ts";
import { BYTE_VOCAB_SIZE } from "../../../core/fixtures/tokenizer.ts";
import {
  adaptersHandlers,
  describeAdapterProblem,
  driftSummary,
  firstDifference,
  flooredLog,
  llamaCppWording,
  looksLikeSafetensors,
  sweepMetrics,
  LOGPROB_FLOOR,
} from "../../../core/services/adapters.ts";
import { EngineSessions } from "../../../core/services/EngineSessions.ts";
import type { FilesPort } from "../../../core/services/files.ts";
import type { Engine } from "../../../core/engine/port.ts";
import type { GeneratePacket, GenerateRequest, EngineStatus } from "../../../core/engine/types.ts";
import type { AdapterStore, HistoryStore, ModelStore, PresetStore } from "../../../core/history/ports.ts";
import type { AdapterRecord, Conversation, ModelRecord } from "../../../core/history/types.ts";
import type { CallContext } from "../../../core/api/rpc.ts";
import { ApiError } from "../../../core/api/errors.ts";

const enc = new TextEncoder();

/** A LoRA on output.weight for a model `inDim` wide (rank 2). */
function adapterBytes(inDim: number, name = "test adapter"): Uint8Array {
  const rank = 2;
  return writeGguf(
    loraAdapterSpec(name, rank, [
      { target: "output.weight", a: new Float32Array(inDim * rank), b: new Float32Array(rank * BYTE_VOCAB_SIZE), inDim, outDim: BYTE_VOCAB_SIZE, rank },
    ]),
  );
}

function safetensorsBytes(): Uint8Array {
  const json = enc.encode('{"__metadata__":{}}');
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

class MemFiles implements FilesPort {
  readonly files = new Map<string, Uint8Array>();
  async list(dir: string) {
    return [...this.files]
      .filter(([p]) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/"))
      .map(([path, b]) => ({ path, name: this.basename(path), size: b.length }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  async size(path: string) {
    return this.files.get(path)?.length ?? null;
  }
  async open(path: string) {
    const b = this.files.get(path);
    if (!b) throw new Error(`No such file: ${path}`);
    return { size: b.length, readAt: (o: number, n: number) => b.subarray(o, o + n), close: async () => {} };
  }
  async write() {
    throw new Error("not used");
  }
  async sha256(path: string) {
    return (this.files.get(path)!.length.toString(16) + "0".repeat(64)).slice(0, 64);
  }
  join(...parts: string[]) {
    return parts.join("/");
  }
  basename(path: string) {
    return path.split("/").pop()!;
  }
}

class MemAdapters implements AdapterStore {
  readonly rows = new Map<string, AdapterRecord>();
  private next = 1;
  async listAdapters() {
    return [...this.rows.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  async getAdapter(id: string) {
    return this.rows.get(id) ?? null;
  }
  async upsertAdapter(input: Parameters<AdapterStore["upsertAdapter"]>[0]) {
    const existing = [...this.rows.values()].find((r) => r.filePath === input.filePath);
    const row: AdapterRecord = {
      id: existing?.id ?? `a${this.next++}`,
      filePath: input.filePath,
      name: input.name,
      sha256: input.sha256 ?? null,
      metadata: input.metadata ?? {},
      tags: input.tags ?? existing?.tags ?? [],
      notes: input.notes ?? existing?.notes ?? "",
      addedAt: existing?.addedAt ?? 1,
    };
    this.rows.set(row.id, row);
    return row;
  }
  async updateAdapter(id: string, patch: Partial<Pick<AdapterRecord, "name" | "tags" | "notes">>) {
    const row = { ...this.rows.get(id)!, ...patch };
    this.rows.set(id, row);
    return row;
  }
  async removeAdapter(id: string) {
    return this.rows.delete(id);
  }
}

const model = (id: string, filePath: string, name: string): ModelRecord => ({ id, filePath, name, sha256: "f".repeat(64), sizeBytes: 1, metadata: {}, addedAt: 1 });

/** A scripted engine: the base continues a token by +1, a set with total scale >= 0.75 by +2; a set with a scale of 3 fails. */
/** An adapter as requests carry it (scale may be left to its default). */
type AdapterRef = { path: string; scale?: number | undefined };

class FakeEngine {
  contexts = new Set<string>();
  counters = { modelLoads: 0, contextsCreated: 0, contextsEvicted: 0, generations: 0 };
  private key(adapters: readonly AdapterRef[] | undefined) {
    return JSON.stringify(adapters ?? []);
  }
  private touch(adapters: readonly AdapterRef[] | undefined) {
    if ((adapters ?? []).some((a) => (a.scale ?? 1) === 3)) throw new ApiError("invalid_input", "tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?)");
    const k = this.key(adapters);
    if (!this.contexts.has(k)) {
      this.contexts.add(k);
      this.counters.contextsCreated++;
    }
  }
  private step(adapters: readonly AdapterRef[] | undefined) {
    return (adapters ?? []).reduce((s, a) => s + (a.scale ?? 1), 0) >= 0.75 ? 2 : 1;
  }
  onEvent() {
    return () => {};
  }
  async loadModel() {
    this.counters.modelLoads++;
    return { id: "engine-model", specialTokens: { bos: null, eos: 0, eot: null, nl: 10 } };
  }
  async status() {
    return { counters: { ...this.counters } } as EngineStatus;
  }
  async *generate(req: GenerateRequest): AsyncGenerator<GeneratePacket> {
    this.touch(req.adapters);
    const n = req.maxTokens ?? req.sampling?.maxTokens ?? 4;
    const prompt = req.prompt.kind === "raw" ? req.prompt.text : "a";
    let t = prompt.charCodeAt(prompt.length - 1);
    const tokens: number[] = [];
    for (let i = 0; i < n; i++) {
      t += this.step(req.adapters);
      tokens.push(t);
      yield { type: "fragment", text: String.fromCharCode(t), tokens: [t] };
    }
    const timings = { ttftMs: 1, promptTokens: 1, cachedPromptTokens: 0, promptTokensPerS: 1, completionTokens: n, tokensPerS: 1, totalMs: 1 };
    yield { type: "done", text: String.fromCharCode(...tokens), stopReason: "maxTokens", seed: req.sampling?.seed ?? 0, tokens, timings };
  }
  async tokenProbabilities(req: { adapters?: AdapterRef[]; prompt: { kind: string; text?: string; tokens?: number[] }; response: number[] | string }) {
    this.touch(req.adapters);
    const ids = req.response as number[];
    const step = this.step(req.adapters);
    const last = req.prompt.kind === "tokens" ? req.prompt.tokens!.at(-1)! : req.prompt.kind === "raw" ? req.prompt.text!.charCodeAt(req.prompt.text!.length - 1) : 97;
    return {
      tokens: ids.map((id, i) => {
        const prev = i === 0 ? last : ids[i - 1]!;
        const mine = id - prev === step;
        return { id, piece: String.fromCharCode(id), prob: mine ? 0.9 : 0, logprob: 0, rank: mine ? 1 : 7, alternatives: [] };
      }),
      sumLogprob: 0,
    };
  }
  async nextTokenDistribution(req: { adapters?: AdapterRef[] }) {
    this.touch(req.adapters);
    return {};
  }
  async tokenize(req: { prompt: { kind: string; text?: string } }) {
    return [...(req.prompt.text ?? "")].map((c) => ({ id: c.charCodeAt(0), piece: c, special: false }));
  }
  async klDivergence(req: { text: string; adaptersA?: AdapterRef[] }) {
    this.touch(req.adaptersA);
    const kl = this.step(req.adaptersA) === 2 ? 4 : 0;
    const tokens = [...req.text.slice(1)].map((c, i) => ({ id: c.charCodeAt(0), piece: c, kl: kl + i * 0.1 }));
    return { tokens, meanKl: 0, maxKl: 0 };
  }
}

function setup() {
  const files = new MemFiles();
  const adapters = new MemAdapters();
  const models: ModelRecord[] = [];
  const modelStore = {
    listModels: async () => models,
    getModel: async (id: string) => models.find((m) => m.id === id) ?? null,
  } as unknown as ModelStore;
  const conversations = new Map<string, Conversation>();
  const history = { getConversation: async (id: string) => conversations.get(id) ?? null } as unknown as HistoryStore;
  const presets = { getPreset: async () => null } as unknown as PresetStore;
  const engine = new FakeEngine();
  const sessions = new EngineSessions(engine as unknown as Engine);
  const h = adaptersHandlers({
    adapters,
    models: modelStore,
    history,
    presets,
    sessions,
    files,
    paths: { home: "/data", models: "/data/models", adapters: "/data/adapters", database: "/data/db" },
    newSeed: () => 42,
  });
  files.files.set("/data/models/mini.gguf", writeGguf(miniModelSpec()));
  models.push(model("m1", "/data/models/mini.gguf", "Mini"));
  return { files, adapters, models, conversations, engine, h };
}

const ctx = (): CallContext => ({ signal: new AbortController().signal, method: "test" });
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of it) out.push(p);
  return out;
}
async function refusalOf(p: Promise<unknown>) {
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as ApiError | null;
  expect(err).toBeInstanceOf(ApiError);
  return { message: err!.message, details: err!.details as Record<string, unknown> };
}
const addInput = (path: string, force = false) => ({ path, force });

describe("llama.cpp's wording for adapter faults", () => {
  it("names each fault the way llama_adapter_lora_init logs it", () => {
    const cases: [GgufError, string | null][] = [
      [new GgufError("not-an-adapter", 'general.type is "model": this is a full model, not a LoRA adapter'), "expect general.type to be 'adapter', but got: model"],
      [new GgufError("not-an-adapter", 'adapter.type is "control_vector", expected "lora"'), "expect adapter.type to be 'lora', but got: control_vector"],
      [new GgufError("wrong-architecture", 'adapter architecture "qwen2" does not match the model\'s "llama"'), "model arch and LoRA arch mismatch"],
      [new GgufError("missing-tensor", 'LoRA target "blk.9.attn_q.weight" does not exist in the model (built for another base?)'), "LoRA tensor 'blk.9.attn_q.weight' does not exist in base model (hint: maybe wrong base model?)"],
      [new GgufError("missing-tensor", 'LoRA tensor "output.weight.lora_a" has no matching "output.weight.lora_b"'), "LoRA tensor pair for 'output.weight' is missing one component"],
      [new GgufError("wrong-shape", 'LoRA for "output.weight": lora_a rank 4 differs from lora_b rank 2'), 'lora_a tensor is not transposed (hint: adapter from "finetune" example is no longer supported)'],
      [new GgufError("truncated", "file ends early"), null],
    ];
    for (const [problem, words] of cases) expect(llamaCppWording(problem)).toBe(words);
  });

  it("describes an adapter for a 288-wide base against a 64-wide model with the shape and llama.cpp's hint", async () => {
    const adapter = await validateGgufBytes(adapterBytes(288));
    const mini = await validateGgufBytes(writeGguf(miniModelSpec()));
    const [problem] = findAdapterMismatches(adapter, mini);
    expect(describeAdapterProblem(problem!)).toBe(
      `llama.cpp: tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?) — LoRA for "output.weight" is [288 -> ${BYTE_VOCAB_SIZE}], the model's tensor is [64 -> ${BYTE_VOCAB_SIZE}] (built for another base?)`,
    );
  });
});

describe("small helpers", () => {
  it("recognises a safetensors header by its length prefix and JSON", () => {
    const st = safetensorsBytes();
    expect(looksLikeSafetensors(st.subarray(0, 16), st.length)).toBe(true);
    expect(looksLikeSafetensors(st.subarray(0, 16), 12)).toBe(false); // header longer than the file
    expect(looksLikeSafetensors(enc.encode("GGUF\x03\0\0\0\0\0\0\0\0\0\0\0"), 1000)).toBe(false);
  });

  it("finds the first differing token, a prefix ending counting as a difference", () => {
    expect(firstDifference([1, 2, 3], [1, 2, 3])).toBeNull();
    expect(firstDifference([1, 2, 3], [1, 5, 3])).toBe(1);
    expect(firstDifference([1, 2], [1, 2, 3])).toBe(2);
    expect(firstDifference([], [])).toBeNull();
  });

  it("scores sweep outputs against the reference and summarises drift", () => {
    expect(sweepMetrics([])).toBeNull();
    const m = sweepMetrics([
      { prob: 0.5, rank: 1 },
      { prob: 0.25, rank: 2 },
    ])!;
    expect(m.refAgreement).toBe(0.5);
    expect(m.meanLogprobRef).toBeCloseTo((Math.log(0.5) + Math.log(0.25)) / 2, 12);
    expect(m.perplexityRef).toBeCloseTo(Math.sqrt(8), 12);
    expect(flooredLog(0)).toBe(LOGPROB_FLOOR);
    const s = driftSummary([
      { id: 1, piece: "a", kl: 1, logprobBase: Math.log(0.5), logprobSet: Math.log(0.25) },
      { id: 2, piece: "b", kl: 3, logprobBase: Math.log(0.5), logprobSet: Math.log(1) },
    ]);
    expect(s).toMatchObject({ tokens: 2, meanKl: 2, maxKl: 3 });
    expect(s.perplexityBase).toBeCloseTo(2, 12);
    expect(s.perplexitySet).toBeCloseTo(2, 12);
  });
});

describe("adding and scanning", () => {
  it("adds an adapter that fits, with metadata and a badge; refuses one for another base unless forced", async () => {
    const { files, h } = setup();
    files.files.set("/x/fits.gguf", adapterBytes(64, "Fits"));
    files.files.set("/x/other.gguf", adapterBytes(320));
    const added = await h.add({ ...addInput("/x/fits.gguf"), tags: ["t"] }, ctx());
    expect(added).toMatchObject({ name: "Fits", tags: ["t"], available: true, compatibility: [{ modelId: "m1", compatible: true, reason: null }] });
    expect(added.metadata).toMatchObject({ rank: 2, loraAlpha: 2, targets: ["output.weight"], adapterType: "lora" });

    const r = await refusalOf(Promise.resolve(h.add(addInput("/x/other.gguf"), ctx())));
    expect(r.details.refusal).toBe("wrong_base");
    expect(r.message).toMatch(/Mini: llama\.cpp: tensor 'output\.weight' has incorrect shape/);
    const forced = await h.add(addInput("/x/other.gguf", true), ctx());
    expect(forced.compatibility[0]).toMatchObject({ compatible: false });
    expect((await h.list({}, ctx())).adapters.map((a) => a.filePath).sort()).toEqual(["/x/fits.gguf", "/x/other.gguf"]);
  });

  it("classifies refused files: PEFT, not GGUF, corrupt, a model, missing", async () => {
    const { files, h } = setup();
    files.files.set("/x/adapter_model.safetensors", safetensorsBytes());
    files.files.set("/x/sneaky.gguf", safetensorsBytes());
    files.files.set("/run/adapter_config.json", enc.encode("{}"));
    files.files.set("/x/text.gguf", enc.encode("hello there, not a model"));
    files.files.set("/x/truncated.gguf", truncatedBytes());
    files.files.set("/x/model.gguf", writeGguf(miniModelSpec()));
    const expectRefusal = async (path: string, refusal: string, message: RegExp) => {
      const r = await refusalOf(Promise.resolve(h.add(addInput(path), ctx())));
      expect(r.details.refusal).toBe(refusal);
      expect(r.message).toMatch(message);
    };
    await expectRefusal("/x/adapter_model.safetensors", "safetensors", /docs\/lora-conversion\.md/);
    await expectRefusal("/x/sneaky.gguf", "safetensors", /convert_lora_to_gguf/);
    await expectRefusal("/run", "safetensors", /The folder run is a PEFT/);
    await expectRefusal("/x/text.gguf", "not_gguf", /does not start with "GGUF"/);
    await expectRefusal("/x/truncated.gguf", "corrupt", /damaged/);
    await expectRefusal("/x/model.gguf", "not_adapter", /full model, not a LoRA adapter.*expect general\.type to be 'adapter', but got: model/);
    await expectRefusal("/x/none.gguf", "missing", /No such file/);
  });

  it("refuses a broken adapter (a LoRA pair missing its half) as corrupt with llama.cpp's words", async () => {
    const { files, h } = setup();
    const spec = adapterAsModelSpec(); // an adapter-typed file; drop one half of its pairs
    spec.tensors = spec.tensors.filter((t) => !t.name.endsWith(".lora_b"));
    files.files.set("/x/half.gguf", writeGguf(spec));
    const r = await refusalOf(Promise.resolve(h.add(addInput("/x/half.gguf"), ctx())));
    expect(r.details.refusal).toBe("corrupt");
    expect(r.message).toMatch(/LoRA tensor pair for '.+' is missing one component/);
  });

  it("scans the adapters folder: adds new adapters, counts known ones, reports refusals, ignores other files", async () => {
    const { files, h } = setup();
    files.files.set("/data/adapters/a.gguf", adapterBytes(64, "A"));
    files.files.set("/data/adapters/b.gguf", adapterBytes(64, "B"));
    files.files.set("/data/adapters/wide.gguf", adapterBytes(320));
    files.files.set("/data/adapters/notes.txt", enc.encode("hi"));
    files.files.set("/data/adapters/adapter_model.safetensors", safetensorsBytes());
    await h.add(addInput("/data/adapters/a.gguf"), ctx());
    const scan = await h.scan({}, ctx());
    expect(scan.added.map((a) => a.name)).toEqual(["B"]);
    expect(scan.known).toBe(1);
    expect(scan.refused.map((r) => [r.fileName, r.refusal])).toEqual([
      ["adapter_model.safetensors", "safetensors"],
      ["wide.gguf", "wrong_base"],
    ]);
  });

  it("updates tags (deduplicated) and notes, and forgets a removed adapter", async () => {
    const { files, h } = setup();
    files.files.set("/x/a.gguf", adapterBytes(64, "A"));
    const a = await h.add(addInput("/x/a.gguf"), ctx());
    const u = await h.update({ id: a.id, tags: ["x", "y", "x"], notes: "n" }, ctx());
    expect(u).toMatchObject({ tags: ["x", "y"], notes: "n", compatibility: [{ compatible: true }] });
    expect(await h.remove({ id: a.id }, ctx())).toEqual({ removed: true });
    await expect(Promise.resolve(h.update({ id: a.id, notes: "again" }, ctx()))).rejects.toMatchObject({ code: "not_found" });
  });

  it("badges an adapter whose file disappeared as unreadable", async () => {
    const { files, h } = setup();
    files.files.set("/x/a.gguf", adapterBytes(64, "A"));
    await h.add(addInput("/x/a.gguf"), ctx());
    files.files.delete("/x/a.gguf");
    const [entry] = (await h.list({}, ctx())).adapters;
    expect(entry).toMatchObject({ available: false, sizeBytes: null });
    expect(entry!.compatibility[0]!.reason).toMatch(/the adapter cannot be read: the file is missing/);
  });
});

describe("swaps and experiments with a scripted engine", () => {
  async function withAdapter() {
    const s = setup();
    s.files.files.set("/x/a.gguf", adapterBytes(64, "A"));
    const a = await s.h.add(addInput("/x/a.gguf"), ctx());
    return { ...s, a };
  }

  it("times a swap: the first use of a set makes a context, the second reuses it, the model loads once", async () => {
    const { h, a, conversations } = await withAdapter();
    const conv = { id: "c1", modelId: "m1", adapterSet: [{ adapterId: a.id, file: a.filePath, sha256: a.sha256, scale: 1 }] } as Conversation;
    conversations.set("c1", conv);
    const first = await h.prepare({ conversationId: "c1", adapters: [] }, ctx());
    expect(first).toMatchObject({ modelId: "m1", contextCreated: true, modelLoaded: true, modelLoads: 1, adapters: conv.adapterSet });
    const again = await h.prepare({ conversationId: "c1", adapters: [] }, ctx());
    expect(again).toMatchObject({ contextCreated: false, modelLoaded: false, modelLoads: 1 });
    const byModel = await h.prepare({ modelId: "m1", adapters: [{ file: "/elsewhere/b.gguf", scale: 0.5 }] }, ctx());
    expect(byModel.adapters).toEqual([{ adapterId: null, file: "/elsewhere/b.gguf", sha256: null, scale: 0.5 }]);
    expect(byModel.contextCreated).toBe(true);
  });

  it("compare: start, fragments and done per side, each side scored by the other, then the first difference", async () => {
    const { h, a } = await withAdapter();
    const packets = await collect(
      h.compare({ modelId: "m1", prompt: { text: "a", chat: false }, setA: [], setB: [{ adapterId: a.id, scale: 1 }], maxTokens: 3 }, ctx()),
    );
    expect(packets.filter((p) => p.type === "start").map((p) => p.type === "start" && p.label)).toEqual(["base", "A ×1"]);
    const start = packets.find((p) => p.type === "start");
    expect(start?.type === "start" && start.config).toMatchObject({ temperature: 0, maxTokens: 3, seed: 42 });
    const done = packets.filter((p) => p.type === "done").map((p) => p.type === "done" && [p.side, p.text]);
    expect(done).toEqual(expect.arrayContaining([[0, "bcd"], [1, "ceg"]]));
    const scored = packets.find((p) => p.type === "tokens" && p.side === 0);
    expect(scored?.type === "tokens" && scored.tokens.map((t) => t.otherRank)).toEqual([7, 7, 7]);
    expect(packets.at(-1)).toEqual({ type: "difference", firstDifference: 0, commonPrefix: 0 });
  });

  it("compare: a failing side becomes an error packet while the other finishes", async () => {
    const { h, a } = await withAdapter();
    const packets = await collect(h.compare({ modelId: "m1", prompt: { text: "a", chat: false }, setA: [], setB: [{ adapterId: a.id, scale: 3 }], maxTokens: 2 }, ctx()));
    expect(packets.find((p) => p.type === "error")).toMatchObject({ item: 1, message: expect.stringMatching(/incorrect shape/) });
    expect(packets.filter((p) => p.type === "done")).toHaveLength(1);
    expect(packets.some((p) => p.type === "difference")).toBe(false);
  });

  it("scale sweep: one point per scale in order, a failing scale reported, metrics against the reference", async () => {
    const { h, a } = await withAdapter();
    const packets = await collect(h.scaleSweep({ modelId: "m1", prompt: { text: "a", chat: false }, adapter: { adapterId: a.id, scale: 1 }, others: [], scales: [0, 3, 1], maxTokens: 2 }, ctx()));
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("no done");
    expect(done.points.map((p) => [p.scale, p.text, p.metrics?.refAgreement])).toEqual([
      [0, "bc", 1],
      [1, "ce", 0],
    ]);
    expect(packets.find((p) => p.type === "error")).toMatchObject({ item: 1 });
    expect(done.seed).toBe(42);
    expect(done.adapter).toMatchObject({ adapterId: a.id, file: "/x/a.gguf" });
  });

  it("drift: per text KL and log-probabilities, a too-short text reported, summary and where the largest KL is", async () => {
    const { h, a } = await withAdapter();
    const packets = await collect(h.drift({ modelId: "m1", adapters: [{ adapterId: a.id, scale: 1 }], texts: ["abcd", "x", "bdf"] }, ctx()));
    const texts = packets.filter((p) => p.type === "text");
    expect(texts.map((p) => p.type === "text" && p.tokens.map((t) => t.piece).join(""))).toEqual(["bcd", "df"]);
    expect(packets.find((p) => p.type === "error")).toMatchObject({ item: 1, message: expect.stringMatching(/at least 2 tokens/) });
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("no done");
    expect(done.summary.tokens).toBe(5);
    expect(done.summary.maxKl).toBeCloseTo(4.2, 12);
    expect(done.maxAt).toEqual({ text: 0, position: 2 });
    // "abcd" follows the base rule: likely under the base, floored under the +2 set.
    const first = texts[0]!;
    if (first.type !== "text") throw new Error("no text");
    expect(first.summary.perplexityBase).toBeCloseTo(1 / 0.9, 6);
    expect(first.tokens[0]!.logprobSet).toBe(LOGPROB_FLOOR);
  });
});
