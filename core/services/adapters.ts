// Handlers for the `adapters` domain (the LoRA adapter lab): the library with per-model
// compatibility badges checked the way llama.cpp checks them (and in its words), adding
// files and scanning the adapters folder, timed set swaps on a loaded model, and the
// three experiments (compare, scale sweep, drift meter) built on the engine's generation
// and scoring calls. Composed by core/services/handlers.ts.
import { ApiError, type JsonValue } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import {
  LORA_CONVERSION_GUIDE,
  type AdapterCompatibility,
  type AdapterComparePacket,
  type AdapterEntry,
  type AdapterRefusal,
  type AdapterRefusalDetails,
  type ComparedToken,
  type DriftPacket,
  type DriftSummary,
  type DriftToken,
  type ScaleSweepPacket,
  type ScanResult,
  type SweepMetrics,
  type SweepPoint,
  type adaptersApi,
  type forgettingMethods,
} from "../api/adapters.ts";
import type { DataPaths } from "../api/system.ts";
import type { AdapterRef, DonePacket, ModelInfo, PromptInput, ResponseTokenProb } from "../engine/types.ts";
import { GgufError, validateGgufHeader, type GgufHeader } from "../gguf/header.ts";
import { findAdapterMismatches, findModelProblems } from "../gguf/semantics.ts";
import type { AdapterStore, HistoryStore, ModelStore, PresetStore } from "../history/ports.ts";
import type { AdapterRecord, AdapterUse, ModelRecord } from "../history/types.ts";
import { greedySamplingConfig, resolveSamplingConfig, type SamplingConfig } from "../sampling/config.ts";
import { AsyncQueue, withReports } from "../util/AsyncQueue.ts";
import { describeEngineFailure } from "./chat.ts";
import type { EngineSessions } from "./EngineSessions.ts";
import type { FilesPort } from "./files.ts";
import { summarizeHeader } from "./modelFiles.ts";
import { requireConversation, requireModel } from "./lookup.ts";

export interface AdaptersDeps {
  adapters: AdapterStore;
  models: ModelStore;
  history: HistoryStore;
  presets: PresetStore;
  sessions: EngineSessions;
  files: FilesPort;
  paths: DataPaths;
  /** A fresh random seed for experiments without a fixed one (default: crypto). */
  newSeed?: () => number;
}

/** An adapter as the experiments take it (the output of adapterChoiceSchema). */
interface Choice {
  adapterId?: string | undefined;
  file?: string | undefined;
  scale: number;
}

/** log(1e-30): where a probability that float32 rounded to 0 is floored, so sums stay finite and JSON-safe. */
export const LOGPROB_FLOOR = Math.log(1e-30);

/** Natural log of a probability, floored at LOGPROB_FLOOR. */
export function flooredLog(prob: number): number {
  return prob > 0 ? Math.max(LOGPROB_FLOOR, Math.log(prob)) : LOGPROB_FLOOR;
}

const fileNameOf = (path: string) => path.split(/[\\/]/).pop() ?? path;
const toEngine = (set: readonly AdapterUse[]): AdapterRef[] => set.map((a) => ({ path: a.file, scale: a.scale }));

/** A set for people: "base" or "name ×scale + ...". */
export function setLabel(set: readonly AdapterUse[], names: ReadonlyMap<string, string> = new Map()): string {
  if (set.length === 0) return "base";
  return set.map((a) => `${(a.adapterId && names.get(a.adapterId)) ?? fileNameOf(a.file)} ×${a.scale}`).join(" + ");
}

/**
 * llama.cpp's own message for an adapter problem found by core/gguf (the text its
 * llama_adapter_lora_init logs when it refuses the adapter), or null when it has none.
 */
export function llamaCppWording(problem: GgufError): string | null {
  const quoted = /"([^"]+)"/.exec(problem.message)?.[1];
  switch (problem.code) {
    case "not-an-adapter": {
      if (problem.message.startsWith("general.type")) return `expect general.type to be 'adapter', but got: ${quoted ?? ""}`;
      if (problem.message.startsWith("adapter.type")) return `expect adapter.type to be 'lora', but got: ${quoted ?? ""}`;
      return null;
    }
    case "wrong-architecture":
      return "model arch and LoRA arch mismatch";
    case "missing-tensor": {
      if (!quoted) return null;
      if (/has no matching/.test(problem.message)) return `LoRA tensor pair for '${quoted.replace(/\.lora_[ab]$/, "")}' is missing one component`;
      if (/does not exist in the model/.test(problem.message)) return `LoRA tensor '${quoted}' does not exist in base model (hint: maybe wrong base model?)`;
      return null;
    }
    case "wrong-shape": {
      if (!quoted) return null;
      if (/rank/.test(problem.message)) return `lora_a tensor is not transposed (hint: adapter from "finetune" example is no longer supported)`;
      return `tensor '${quoted}' has incorrect shape (hint: maybe wrong base model?)`;
    }
    default:
      return null;
  }
}

/** A problem for people: llama.cpp's words first (what people search for), then the detail. */
export function describeAdapterProblem(problem: GgufError): string {
  const words = llamaCppWording(problem);
  return words ? `llama.cpp: ${words} — ${problem.message}` : problem.message;
}

/** Whether the first bytes look like a safetensors file (u64 LE header length, then a JSON object). */
export function looksLikeSafetensors(head: Uint8Array, fileSize: number): boolean {
  if (head.length < 9) return false;
  let n = 0;
  for (let i = 7; i >= 0; i--) n = n * 256 + head[i]!;
  return n > 1 && 8 + n <= fileSize && head[8] === 0x7b; // "{"
}

const peftNames = /(^adapter_config\.json$|\.safetensors$|^adapter_model\.bin$|\.(pt|pth)$)/i;

/** The refusal for a PEFT adapter, pointing at the conversion guide. */
function peftRefusal(what: string): RefusalError {
  return new RefusalError(
    "safetensors",
    `${what} is a PEFT (Hugging Face) adapter, but llama.cpp reads only GGUF adapters. Convert it with llama.cpp's convert_lora_to_gguf.py (see ${LORA_CONVERSION_GUIDE}), then add the .gguf file.`,
    { guide: LORA_CONVERSION_GUIDE },
  );
}

/** A file that cannot join the library, with the refusal kind for callers to branch on. */
class RefusalError extends ApiError {
  constructor(
    readonly refusal: AdapterRefusal,
    message: string,
    extra: Omit<AdapterRefusalDetails, "refusal"> = {},
  ) {
    const details: AdapterRefusalDetails = { refusal, ...extra };
    super("invalid_input", message, details as unknown as JsonValue);
  }
}

/** The parts of a header the compatibility checks read (metadata keys general.* and adapter.*, tensor infos). */
function slimHeader(h: GgufHeader): GgufHeader {
  const metadata = new Map([...h.metadata].filter(([k]) => k.startsWith("general.") || k.startsWith("adapter.")));
  return { ...h, metadata };
}

/** Summary statistics of one run of per-position values. */
export function driftSummary(tokens: readonly DriftToken[]): DriftSummary {
  const n = tokens.length;
  if (n === 0) return { tokens: 0, meanKl: 0, maxKl: 0, perplexityBase: 1, perplexitySet: 1 };
  let kl = 0;
  let max = 0;
  let base = 0;
  let set = 0;
  for (const t of tokens) {
    kl += t.kl;
    max = Math.max(max, t.kl);
    base += t.logprobBase;
    set += t.logprobSet;
  }
  return { tokens: n, meanKl: kl / n, maxKl: max, perplexityBase: Math.exp(-base / n), perplexitySet: Math.exp(-set / n) };
}

/** Index of the first differing token of two outputs, or null when they are identical. */
export function firstDifference(a: readonly number[], b: readonly number[]): number | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? null : n;
}

/** Sweep metrics of an output scored by the reference; null for an empty output. */
export function sweepMetrics(scored: readonly Pick<ResponseTokenProb, "prob" | "rank">[]): SweepMetrics | null {
  if (scored.length === 0) return null;
  let sum = 0;
  let top = 0;
  for (const t of scored) {
    sum += flooredLog(t.prob);
    if (t.rank === 1) top++;
  }
  const mean = sum / scored.length;
  return { meanLogprobRef: mean, perplexityRef: Math.exp(-mean), refAgreement: top / scored.length, tokens: scored.length };
}

/** Every adapters method but the forgetting check (core/services/forgetting.ts serves those). */
export function adaptersHandlers(deps: AdaptersDeps): DomainHandlers<Omit<typeof adaptersApi, keyof typeof forgettingMethods>> {
  const { files, sessions } = deps;
  const engine = sessions.engine;
  const newSeed = deps.newSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]!);
  /** Headers by path, with the size they were read at (a changed size reads again). */
  const headers = new Map<string, { size: number; header: GgufHeader | null; error: string | null }>();

  /** Reads and validates a GGUF header through the files port; throws GgufError or a read error. */
  async function readHeader(path: string): Promise<GgufHeader> {
    const reader = await files.open(path);
    try {
      return await validateGgufHeader(reader.readAt, reader.size);
    } finally {
      await reader.close();
    }
  }

  /** A cached slim header, or the reason it cannot be read. */
  async function cachedHeader(path: string): Promise<{ header: GgufHeader | null; error: string | null }> {
    const size = await files.size(path);
    if (size === null) return { header: null, error: `the file is missing (${path})` };
    const have = headers.get(path);
    if (have && have.size === size) return have;
    let entry: { size: number; header: GgufHeader | null; error: string | null };
    try {
      entry = { size, header: slimHeader(await readHeader(path)), error: null };
    } catch (err) {
      entry = { size, header: null, error: err instanceof Error ? err.message : String(err) };
    }
    headers.set(path, entry);
    return entry;
  }

  /** Each catalog model's verdict on an adapter header. */
  async function compatibilityOf(adapter: GgufHeader | null, adapterError: string | null, models: ModelRecord[]): Promise<AdapterCompatibility[]> {
    return Promise.all(
      models.map(async (m): Promise<AdapterCompatibility> => {
        const base = { modelId: m.id, modelName: m.name };
        if (!adapter) return { ...base, compatible: false, reason: `the adapter cannot be read: ${adapterError ?? "unknown error"}` };
        const model = await cachedHeader(m.filePath);
        if (!model.header) return { ...base, compatible: false, reason: `the model cannot be read: ${model.error ?? "unknown error"}` };
        const problems = findAdapterMismatches(adapter, model.header);
        if (problems.length === 0) return { ...base, compatible: true, reason: null };
        const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
        return { ...base, compatible: false, reason: describeAdapterProblem(problems[0]!) + more };
      }),
    );
  }

  async function entryOf(record: AdapterRecord, models: ModelRecord[]): Promise<AdapterEntry> {
    const sizeBytes = await files.size(record.filePath);
    const { header, error } = await cachedHeader(record.filePath);
    return { ...record, available: sizeBytes !== null, sizeBytes, compatibility: await compatibilityOf(header, error, models) };
  }

  async function recordOf(id: string): Promise<AdapterRecord> {
    const r = await deps.adapters.getAdapter(id);
    if (!r) throw new ApiError("not_found", `No adapter with id ${id} in the library`);
    return r;
  }
  const modelOf = (id: string | null | undefined) => requireModel(deps.models, id);

  /**
   * Checks a file for the library: PEFT files get the conversion guide, non-GGUF and
   * corrupt files the header fault, models and broken adapters what is wrong. Returns the
   * header (full, for the metadata) and size of a usable adapter; throws a RefusalError otherwise.
   */
  async function checkAdapterFile(path: string): Promise<{ header: GgufHeader; size: number }> {
    const name = fileNameOf(path);
    const inFolder = await files.list(path); // [] for a file; a PEFT run's output is a folder
    if (inFolder.length > 0) {
      if (inFolder.some((f) => peftNames.test(f.name))) throw peftRefusal(`The folder ${name}`);
      throw new RefusalError("not_gguf", `${name} is a folder: choose the adapter's .gguf file inside it.`);
    }
    if (peftNames.test(name)) throw peftRefusal(name);
    let reader;
    try {
      reader = await files.open(path);
    } catch (err) {
      throw new RefusalError("missing", err instanceof Error ? err.message : String(err));
    }
    let header: GgufHeader;
    try {
      const head = await reader.readAt(0, 16);
      const magic = String.fromCharCode(...head.subarray(0, 4));
      if (magic !== "GGUF") {
        if (looksLikeSafetensors(head, reader.size)) throw peftRefusal(name);
        throw new RefusalError("not_gguf", `${name} is not a GGUF file (it does not start with "GGUF"), so it is not a llama.cpp adapter.`);
      }
      try {
        header = await validateGgufHeader(reader.readAt, reader.size);
      } catch (err) {
        const why = err instanceof GgufError ? err.message : err instanceof Error ? err.message : String(err);
        throw new RefusalError("corrupt", `${name} is damaged: ${why}`);
      }
    } finally {
      await reader.close();
    }
    const [problem] = findModelProblems(header, { expect: "adapter" });
    if (problem) {
      if (problem.code === "not-an-adapter" && problem.message.startsWith("general.type")) {
        throw new RefusalError("not_adapter", `${name} is a full model, not a LoRA adapter: add it under Models. (${describeAdapterProblem(problem)})`);
      }
      throw new RefusalError("corrupt", `${name} is not a usable LoRA adapter: ${describeAdapterProblem(problem)}`);
    }
    return { header, size: reader.size };
  }

  /** Adds a checked adapter; refuses one that fits none of the catalog models unless forced. */
  async function addAdapter(
    path: string,
    options: { name?: string | undefined; tags?: string[] | undefined; notes?: string | undefined; force: boolean },
  ): Promise<AdapterEntry> {
    const { header, size } = await checkAdapterFile(path);
    const models = await deps.models.listModels();
    const slim = slimHeader(header);
    const compatibility = await compatibilityOf(slim, null, models);
    if (!options.force && models.length > 0 && !compatibility.some((c) => c.compatible)) {
      const reasons = compatibility.map((c) => `${c.modelName}: ${c.reason ?? ""}`).join("; ");
      throw new RefusalError("wrong_base", `${fileNameOf(path)} fits none of your models (built for another base?). ${reasons}`, { compatibility });
    }
    headers.set(path, { size, header: slim, error: null });
    const metadata = summarizeHeader(header);
    const metaName = typeof metadata.name === "string" && metadata.name ? metadata.name : null;
    const record = await deps.adapters.upsertAdapter({
      filePath: path,
      name: options.name ?? metaName ?? fileNameOf(path).replace(/\.gguf$/i, ""),
      sha256: await files.sha256(path),
      metadata: { ...metadata, sizeBytes: size },
      ...(options.tags ? { tags: options.tags } : {}),
      ...(options.notes !== undefined ? { notes: options.notes } : {}),
    });
    return { ...record, available: true, sizeBytes: size, compatibility };
  }

  /** Catalog adapters or files as a set with ids and hashes (files outside the catalog keep null ones). */
  async function resolveSet(choices: readonly Choice[]): Promise<AdapterUse[]> {
    if (choices.length === 0) return [];
    const byPath = new Map((await deps.adapters.listAdapters()).map((a) => [a.filePath, a]));
    return Promise.all(
      choices.map(async (c): Promise<AdapterUse> => {
        const r = c.adapterId !== undefined ? await recordOf(c.adapterId) : byPath.get(c.file!);
        return r ? { adapterId: r.id, file: r.filePath, sha256: r.sha256, scale: c.scale } : { adapterId: null, file: c.file!, sha256: null, scale: c.scale };
      }),
    );
  }
  async function adapterNames(): Promise<Map<string, string>> {
    return new Map((await deps.adapters.listAdapters()).map((a) => [a.id, a.name]));
  }

  /** The experiment's config: explicit > preset > greedy; maxTokens from the input; always a fixed seed. */
  async function experimentConfig(input: { presetId?: string | undefined; sampling?: SamplingConfig | undefined; seed?: number | undefined; maxTokens: number }): Promise<SamplingConfig> {
    let config: SamplingConfig = greedySamplingConfig;
    if (input.sampling) config = input.sampling;
    else if (input.presetId) {
      const p = await deps.presets.getPreset(input.presetId);
      if (!p) throw new ApiError("not_found", `No preset with id ${input.presetId}`);
      config = resolveSamplingConfig(p.config as never);
    }
    return { ...structuredClone(config), maxTokens: input.maxTokens, seed: input.seed ?? config.seed ?? newSeed() };
  }

  const typedPrompt = (p: { text: string; chat: boolean; systemPrompt?: string | undefined }): PromptInput =>
    p.chat
      ? { kind: "chat", messages: [{ role: "user", content: p.text }], ...(p.systemPrompt ? { systemPrompt: p.systemPrompt } : {}) }
      : { kind: "raw", text: p.text };

  /** Loads the model if needed, reporting progress packets. */
  async function* loadedWithProgress(record: ModelRecord, signal: AbortSignal): AsyncGenerator<{ type: "progress"; done: number; total: number; label: string }, ModelInfo> {
    const have = sessions.info(record.id);
    if (have) return have;
    return yield* withReports<{ type: "progress"; done: number; total: number; label: string }, ModelInfo>((report) =>
      sessions.ensureLoaded(record, (p) => report({ type: "progress", done: Math.round(p.progress * 1000), total: 1000, label: `Loading ${record.name}` }), signal),
    );
  }

  /** Generates to the end, returning the done packet (an error when the engine gave none). */
  async function generateAll(info: ModelInfo, set: AdapterUse[], prompt: PromptInput, config: SamplingConfig, signal: AbortSignal, onFragment?: (text: string, tokens: number[]) => void): Promise<DonePacket> {
    let done: DonePacket | null = null;
    for await (const p of engine.generate({ modelId: info.id, adapters: toEngine(set), prompt, sampling: config }, { signal })) {
      if (p.type === "fragment") {
        if (p.text || p.tokens.length) onFragment?.(p.text, p.tokens);
      } else done = p;
    }
    if (!done) throw new Error("The engine ended the generation without a result.");
    return done;
  }

  return {
    async list() {
      const [records, models] = await Promise.all([deps.adapters.listAdapters(), deps.models.listModels()]);
      const adapters = await Promise.all(records.map((r) => entryOf(r, models)));
      return { adapters, folder: deps.paths.adapters };
    },

    add: (input) => addAdapter(input.path, input),

    async remove(input) {
      const r = await deps.adapters.getAdapter(input.id);
      if (r) headers.delete(r.filePath);
      return { removed: await deps.adapters.removeAdapter(input.id) };
    },

    async update(input) {
      await recordOf(input.id);
      const patch = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.tags !== undefined ? { tags: [...new Set(input.tags)] } : {}),
        ...(input.notes !== undefined ? { notes: input.notes } : {}),
      };
      const record = await deps.adapters.updateAdapter(input.id, patch);
      return entryOf(record, await deps.models.listModels());
    },

    async scan(): Promise<ScanResult> {
      const folder = deps.paths.adapters;
      const known = new Set((await deps.adapters.listAdapters()).map((a) => a.filePath));
      const result: ScanResult = { folder, added: [], known: 0, refused: [] };
      for (const f of await files.list(folder)) {
        if (known.has(f.path)) {
          result.known++;
          continue;
        }
        const gguf = /\.gguf$/i.test(f.name);
        if (!gguf && !peftNames.test(f.name)) continue; // READMEs, configs of other tools: not ours to judge
        try {
          result.added.push(await addAdapter(f.path, { force: false }));
        } catch (err) {
          if (!(err instanceof RefusalError)) throw err;
          result.refused.push({ path: f.path, fileName: f.name, refusal: err.refusal, reason: err.message });
        }
      }
      return result;
    },

    async prepare(input, ctx) {
      let model: ModelRecord;
      let set: AdapterUse[];
      if (input.conversationId !== undefined) {
        const c = await requireConversation(deps.history, input.conversationId);
        model = await modelOf(c.modelId);
        set = c.adapterSet;
      } else {
        model = await modelOf(input.modelId);
        set = await resolveSet(input.adapters);
      }
      const modelLoaded = !sessions.info(model.id);
      const info = sessions.info(model.id) ?? (await sessions.ensureLoaded(model, undefined, ctx.signal));
      const before = await engine.status({ signal: ctx.signal });
      const probe = info.specialTokens.bos ?? info.specialTokens.eos ?? 0;
      const t0 = performance.now();
      // One token through the set's context: creates it (LoRA attached) unless it is cached.
      await engine.nextTokenDistribution({ modelId: info.id, adapters: toEngine(set), prompt: { kind: "tokens", tokens: [probe] }, topN: 1 }, { signal: ctx.signal });
      const swapMs = performance.now() - t0;
      const after = await engine.status({ signal: ctx.signal });
      return {
        modelId: model.id,
        adapters: set,
        swapMs,
        contextCreated: after.counters.contextsCreated > before.counters.contextsCreated,
        modelLoaded,
        modelLoads: after.counters.modelLoads,
      };
    },

    async *compare(input, ctx): AsyncGenerator<AdapterComparePacket> {
      const model = await modelOf(input.modelId);
      const sets = [await resolveSet(input.setA), await resolveSet(input.setB)] as const;
      const config = await experimentConfig(input);
      const info = yield* loadedWithProgress(model, ctx.signal);
      const names = await adapterNames();
      const prompt = typedPrompt(input.prompt);
      for (const side of [0, 1] as const) yield { type: "start", side, label: setLabel(sets[side], names), adapters: sets[side], config };

      const queue = new AsyncQueue<AdapterComparePacket>();
      const results: (DonePacket | null)[] = [null, null];
      const runs = ([0, 1] as const).map(async (side) => {
        try {
          const done = await generateAll(info, sets[side], prompt, config, ctx.signal, (text, tokens) => queue.push({ type: "fragment", side, text, tokens }));
          results[side] = done;
          queue.push({ type: "done", side, text: done.text, tokens: done.tokens, stopReason: done.stopReason, timings: done.timings });
        } catch (err) {
          if (!ctx.signal.aborted) queue.push({ type: "error", item: side, message: describeEngineFailure(err) });
        }
      });
      const all = Promise.all(runs).finally(() => queue.close());
      yield* queue;
      await all;
      ctx.signal.throwIfAborted();

      // Each side's tokens through the other side's set: what the other side thought of them.
      for (const side of [0, 1] as const) {
        const mine = results[side];
        const other = side === 0 ? 1 : 0;
        if (!mine || !results[other] || mine.tokens.length === 0) continue;
        try {
          const tp = await engine.tokenProbabilities(
            { modelId: info.id, adapters: toEngine(sets[other]), prompt, response: mine.tokens, topN: 0 },
            { signal: ctx.signal },
          );
          const tokens: ComparedToken[] = tp.tokens.map((t) => ({ id: t.id, piece: t.piece, otherProb: t.prob, otherLogprob: flooredLog(t.prob), otherRank: t.rank }));
          yield { type: "tokens", side, tokens };
        } catch (err) {
          ctx.signal.throwIfAborted();
          yield { type: "error", item: side, message: `Scoring under the other set failed: ${describeEngineFailure(err)}` };
        }
      }
      const [a, b] = results;
      if (a && b) {
        const first = firstDifference(a.tokens, b.tokens);
        yield { type: "difference", firstDifference: first, commonPrefix: first ?? a.tokens.length };
      }
    },

    async *scaleSweep(input, ctx): AsyncGenerator<ScaleSweepPacket> {
      const model = await modelOf(input.modelId);
      const [swept] = await resolveSet([input.adapter]);
      const others = await resolveSet(input.others);
      const config = await experimentConfig(input);
      const info = yield* loadedWithProgress(model, ctx.signal);
      const prompt = typedPrompt(input.prompt);
      const points: SweepPoint[] = [];
      for (const [index, scale] of input.scales.entries()) {
        ctx.signal.throwIfAborted();
        yield { type: "progress", done: index, total: input.scales.length, label: `Scale ${scale}` };
        try {
          const set = [...others, { ...swept!, scale }];
          const done = await generateAll(info, set, prompt, config, ctx.signal);
          ctx.signal.throwIfAborted();
          const scored = done.tokens.length
            ? (await engine.tokenProbabilities({ modelId: info.id, adapters: toEngine(others), prompt, response: done.tokens, topN: 0 }, { signal: ctx.signal })).tokens
            : [];
          const point: SweepPoint = { index, scale, text: done.text, tokenIds: done.tokens, stopReason: done.stopReason, metrics: sweepMetrics(scored) };
          points.push(point);
          yield { type: "point", point };
        } catch (err) {
          ctx.signal.throwIfAborted();
          yield { type: "error", item: index, message: describeEngineFailure(err) };
        }
      }
      yield { type: "progress", done: input.scales.length, total: input.scales.length, label: "Done" };
      yield { type: "done", points, seed: config.seed ?? 0, adapter: swept!, others };
    },

    async *drift(input, ctx): AsyncGenerator<DriftPacket> {
      const model = await modelOf(input.modelId);
      const set = await resolveSet(input.adapters);
      const info = yield* loadedWithProgress(model, ctx.signal);
      const all: DriftToken[] = [];
      let maxAt: { text: number; position: number } | null = null;
      let maxKl = -1;
      for (const [index, text] of input.texts.entries()) {
        ctx.signal.throwIfAborted();
        yield { type: "progress", done: index, total: input.texts.length, label: `Text ${index + 1} of ${input.texts.length}` };
        try {
          const ids = (await engine.tokenize({ modelId: info.id, prompt: { kind: "raw", text } }, { signal: ctx.signal })).map((t) => t.id);
          if (ids.length < 2) throw new Error("the text needs at least 2 tokens");
          // KL(set ‖ base): the set's distribution is P, the base's Q (the RLHF penalty's direction).
          const kl = await engine.klDivergence({ modelId: info.id, text, adaptersA: toEngine(set), adaptersB: [] }, { signal: ctx.signal });
          const scored = (adapters: AdapterRef[]) =>
            engine.tokenProbabilities({ modelId: info.id, adapters, prompt: { kind: "tokens", tokens: [ids[0]!] }, response: ids.slice(1), topN: 0 }, { signal: ctx.signal });
          const base = await scored([]);
          const mine = await scored(toEngine(set));
          const n = Math.min(kl.tokens.length, base.tokens.length, mine.tokens.length);
          const tokens: DriftToken[] = [];
          for (let i = 0; i < n; i++) {
            const k = kl.tokens[i]!;
            tokens.push({ id: k.id, piece: k.piece, kl: k.kl, logprobBase: flooredLog(base.tokens[i]!.prob), logprobSet: flooredLog(mine.tokens[i]!.prob) });
            if (k.kl > maxKl) {
              maxKl = k.kl;
              maxAt = { text: index, position: i };
            }
          }
          all.push(...tokens);
          yield { type: "text", index, tokens, summary: driftSummary(tokens) };
        } catch (err) {
          ctx.signal.throwIfAborted();
          yield { type: "error", item: index, message: describeEngineFailure(err) };
        }
      }
      yield { type: "progress", done: input.texts.length, total: input.texts.length, label: "Done" };
      yield { type: "done", summary: driftSummary(all), maxAt, adapters: set };
    },
  };
}
