// Everything the host process does with llama.cpp: starts it with the chosen backend,
// loads and unloads models (validating GGUF headers first, hashing files), and serves
// generation, tokenization and scoring on leased sequences. main.ts dispatches protocol
// calls to it; this and the modules it uses are the only importers of node-llama-cpp.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { getLlama, getLlamaGpuTypes, getModuleVersion, LlamaLogLevel, type Llama, type LlamaGpuType, type LlamaModel, type Token } from "node-llama-cpp";
import { EngineError } from "../../core/engine/errors.ts";
import type { HostStatus } from "../../core/engine/protocol.ts";
import type {
  detokenizeRequestSchema,
  generateRequestSchema,
  klDivergenceRequestSchema,
  logLikelihoodRequestSchema,
  nextTokenDistributionRequestSchema,
  perplexityRequestSchema,
  tokenizeRequestSchema,
  tokenProbabilitiesRequestSchema} from "../../core/engine/types.ts";
import {
  type DonePacket,
  type EngineHostOptions,
  type FragmentPacket,
  type GpuBackendName,
  type KlDivergenceResult,
  type LoadModelOptions,
  type LoadProgress,
  type LogLikelihoodResult,
  type ModelInfo,
  type NextTokenDistribution,
  type PerplexityResult,
  type TokenInfo,
  type TokenProbabilities,
} from "../../core/engine/types.ts";
import type { GgufHeader } from "../../core/gguf/header.ts";
import type { z } from "zod";
import { runGeneration, GrammarCache } from "./generate.ts";
import { checkModelFile, readGgufHeader } from "./ggufCheck.ts";
import { tryLocalBuild } from "./localBuild.ts";
import type { LogBuffer } from "./LogBuffer.ts";
import { estimateMemoryFit, type MemoryFitParams } from "./memoryFit.ts";
import type { MemoryFitResult } from "../../core/engine/types.ts";
import { ModelSlot, type Lease } from "./ModelSlot.ts";
import { appendResponse, defaultChatWrapper, rawTokens, renderPrompt } from "./prompt.ts";
import { nativeLogitsEnabled } from "./nativeLogits.ts";
import { assertFits, denseDistributions, klDivergence, nextTokenDistribution, pieceOf, responseProbabilities, scoreContinuations, scoringLanes, slidingPerplexity } from "./scoring.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Streams a file through sha256. */
async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function backendName(gpu: LlamaGpuType): GpuBackendName {
  return gpu === false ? "cpu" : gpu;
}

const logLevels: Record<EngineHostOptions["logLevel"], LlamaLogLevel> = {
  error: LlamaLogLevel.error,
  warn: LlamaLogLevel.warn,
  info: LlamaLogLevel.info,
  debug: LlamaLogLevel.debug,
};

export class HostRuntime {
  private readonly models = new Map<string, ModelSlot>();
  private readonly grammars: GrammarCache;
  private nextModel = 1;
  private readonly hostTag = crypto.randomUUID().slice(0, 6);
  private modelLoads = 0;
  private generations = 0;
  private nativeGenerations = 0;
  private evictedFromUnloaded = 0;
  private createdFromUnloaded = 0;

  private constructor(
    private readonly llama: Llama,
    private readonly options: EngineHostOptions,
    private readonly backendReason: string,
    private readonly logs: LogBuffer,
    private readonly libraryReason: string = "prebuilt library",
  ) {
    this.grammars = new GrammarCache(llama);
  }

  /** Starts llama.cpp with the requested backend; a forced backend that is missing is a clear error. */
  static async create(options: EngineHostOptions, logs: LogBuffer, onLog: (level: string, text: string) => void): Promise<HostRuntime> {
    const logger = (level: LlamaLogLevel, message: string) => {
      const text = message.replace(/\s+$/, "");
      if (!text) return;
      logs.push(`[${level}] ${text}`);
      onLog(level, text);
    };
    const gpu = options.gpu === "cpu" ? false : options.gpu;
    // The library setting: the local build (when asked for and it loads) or the prebuilt one.
    const local = await tryLocalBuild(options, { logLevel: logLevels[options.logLevel], logger });
    if (options.library === "localBuild" && !local.llama) onLog("warn", `engine: ${local.reason}`);
    let llama: Llama;
    try {
      llama = local.llama ?? (await getLlama({
        gpu,
        build: "never",
        skipDownload: true,
        progressLogs: false,
        logLevel: logLevels[options.logLevel],
        logger,
        // No shared thread cap: each context uses exactly the threads it is given.
        maxThreads: 0,
      }));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (options.gpu !== "auto") {
        throw new EngineError(
          "backend_unavailable",
          `the "${options.gpu}" backend is not available on this machine (no working ${options.gpu} build of llama.cpp for this system: ${msg}); choose "auto" or "cpu" in Settings`,
          logs.tail(20),
        );
      }
      throw new EngineError("internal", `llama.cpp failed to start: ${msg}`, logs.tail(20));
    }
    const chosen = backendName(llama.gpu);
    if (options.gpu !== "auto" && chosen !== options.gpu) {
      await llama.dispose().catch(() => {});
      throw new EngineError("backend_unavailable", `the "${options.gpu}" backend is not available on this machine (llama.cpp started on ${chosen}); choose "auto" or "cpu" in Settings`, logs.tail(20));
    }
    let reason: string;
    if (options.gpu !== "auto") reason = `forced by the gpu setting ("${options.gpu}")`;
    else {
      const supported = (await getLlamaGpuTypes("supported").catch(() => [] as LlamaGpuType[])).map(backendName);
      const valid = (await getLlamaGpuTypes("allValid").catch(() => [] as LlamaGpuType[])).map(backendName);
      const unusable = valid.filter((b) => b !== "cpu" && !supported.includes(b));
      const failed = supported.slice(0, Math.max(0, supported.indexOf(chosen))).filter((b) => b !== "cpu");
      const notes = [
        unusable.length ? `${unusable.join(", ")} not supported here (no matching driver or device)` : "",
        failed.length ? `${failed.join(", ")} failed to load` : "",
      ].filter(Boolean);
      reason = chosen === "cpu" ? `auto: using CPU${notes.length ? `; ${notes.join("; ")}` : ""}` : `auto: ${chosen} is the first usable backend${notes.length ? `; ${notes.join("; ")}` : ""}`;
    }
    return new HostRuntime(llama, options, reason, logs, local.reason);
  }

  private defaultThreads(): number {
    return this.options.threads ?? Math.max(1, this.llama.cpuMathCores);
  }

  private slot(modelId: string): ModelSlot {
    const s = this.models.get(modelId);
    if (!s) throw new EngineError("model_not_loaded", `model ${modelId} is not loaded (unloaded, or lost when the engine restarted: load it again)`);
    return s;
  }

  async status(): Promise<HostStatus> {
    const vram = await this.llama.getVramState();
    const ram = await this.llama.getRamState();
    let contextsCreated = this.createdFromUnloaded;
    let contextsEvicted = this.evictedFromUnloaded;
    for (const s of this.models.values()) {
      contextsCreated += s.contextsCreated;
      contextsEvicted += s.contextsEvicted;
    }
    return {
      pid: process.pid,
      nodeLlamaCppVersion: (await getModuleVersion().catch(() => "unknown")) as string,
      llamaCppRelease: this.llama.llamaCppRelease.release,
      buildType: this.llama.buildType,
      librarySetting: this.options.library,
      libraryReason: this.libraryReason,
      uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4,
      nativeLogits: nativeLogitsEnabled(this.llama),
      gpuSetting: this.options.gpu,
      backend: backendName(this.llama.gpu),
      backendReason: this.backendReason,
      devices: await this.llama.getGpuDeviceNames(),
      vram: { total: vram.total, used: vram.used, free: vram.free },
      ram: { total: ram.total, free: ram.free },
      hostRssBytes: process.memoryUsage().rss,
      threads: this.defaultThreads(),
      cpuMathCores: this.llama.cpuMathCores,
      models: [...this.models.values()].map((s) => ({ id: s.info.id, path: s.info.path, name: s.info.name, contexts: s.contextStatus() })),
      counters: { modelLoads: this.modelLoads, contextsCreated, contextsEvicted, generations: this.generations, nativeGenerations: this.nativeGenerations },
    };
  }

  async loadModel(opts: LoadModelOptions, onProgress: (p: LoadProgress) => void, signal: AbortSignal): Promise<ModelInfo> {
    const t0 = performance.now();
    let header: GgufHeader | null;
    if (opts.validate) header = await checkModelFile(opts.path);
    else {
      await stat(opts.path).catch((err: unknown) => {
        throw new EngineError("file_not_found", `cannot read ${opts.path}: ${err instanceof Error ? err.message : String(err)}`);
      });
      header = await readGgufHeader(opts.path).catch(() => null);
    }
    const hash = opts.sha256 ? sha256File(opts.path) : Promise.resolve(null);
    hash.catch(() => {}); // awaited below; a load failure must not leave it unhandled
    const mark = this.logs.mark();
    this.modelLoads++;
    let model: LlamaModel;
    try {
      model = await this.llama.loadModel({
        modelPath: opts.path,
        gpuLayers: opts.gpuLayers,
        defaultContextFlashAttention: opts.flashAttention,
        onLoadProgress: (progress) => onProgress({ progress }),
        loadSignal: signal,
      });
    } catch (err) {
      await wait(30); // the logger's reason can trail the rejection
      const logs = this.logs.since(mark);
      if (signal.aborted) throw new EngineError("cancelled", `loading ${opts.path} was cancelled`, logs);
      const msg = err instanceof Error ? err.message : String(err);
      if (err instanceof Error && err.name === "InvalidGgufMagicError") throw new EngineError("invalid_gguf", `${opts.path} is not a GGUF file: ${msg}`, logs);
      const detail = logs.find((l) => /error loading model|wrong shape|corrupt/i.test(l)) ?? logs.filter((l) => /error|fail/i.test(l)).at(-1);
      throw new EngineError("load_failed", `failed to load ${opts.path}${detail ? `: ${detail.replace(/^\[\w+\]\s*/, "")}` : `: ${msg}`}`, logs);
    }
    // Ids never repeat across host restarts, so a lost model's id cannot name a new one.
    const id = `m${this.nextModel++}-${this.hostTag}-${basename(opts.path).replace(/\.gguf$/i, "").slice(0, 40)}`;
    const train = model.trainContextSize;
    const contextSize = opts.contextSize ?? Math.min(4096, train > 0 ? train : 4096);
    const threads = opts.threads ?? this.defaultThreads();
    const meta = model.fileInfo.metadata as { general?: { name?: string }; tokenizer?: { chat_template?: string } };
    const tensors = model.fileInfo.fullTensorInfo ?? model.fileInfo.tensorInfo ?? [];
    let parameters = 0;
    for (const t of tensors) parameters += t.dimensions.reduce<number>((a, d) => a * Number(d), 1);
    let vocabSize = 0;
    for (const _ of model.iterateAllTokens()) vocabSize++;
    const size = (await stat(opts.path)).size;
    const info: ModelInfo = {
      id,
      path: opts.path,
      name: meta.general?.name || basename(opts.path),
      architecture: String(model.fileInfo.metadata.general.architecture),
      description: model.typeDescription,
      sizeBytes: size,
      parameters,
      trainContextSize: train,
      contextSize,
      sequences: opts.sequences,
      threads,
      vocabSize,
      gpuLayers: model.gpuLayers,
      chatTemplate: meta.tokenizer?.chat_template ?? null,
      chatWrapper: defaultChatWrapper(model).wrapperName,
      specialTokens: { bos: model.tokens.bos, eos: model.tokens.eos, eot: model.tokens.eot, nl: model.tokens.nl },
      sha256: null,
      loadMs: 0,
    };
    const slot = new ModelSlot(
      info,
      model,
      header,
      { contextSize, sequences: opts.sequences, threads, flashAttention: opts.flashAttention },
      { maxContexts: this.options.maxContextsPerModel, maxBytes: this.options.contextBudgetBytes, validateAdapters: this.options.validateAdapters },
      this.logs,
    );
    try {
      // The base context is made now, so a context that cannot be allocated fails the load, not the first chat.
      const lease = await slot.lease([], signal);
      info.contextSize = lease.context.contextSize;
      lease.release();
      info.loadMs = performance.now() - t0;
      info.sha256 = await hash;
      // A cancel that arrived after llama.cpp finished must not leave a model nobody knows about.
      if (signal.aborted) throw new EngineError("cancelled", `loading ${opts.path} was cancelled`);
    } catch (err) {
      await slot.dispose().catch(() => {});
      throw err instanceof EngineError ? err : new EngineError("load_failed", `failed to set up ${opts.path}: ${String(err)}`, this.logs.since(mark));
    }
    this.models.set(id, slot);
    return info;
  }

  async unloadModel(modelId: string): Promise<null> {
    const s = this.slot(modelId);
    this.models.delete(modelId);
    this.createdFromUnloaded += s.contextsCreated;
    this.evictedFromUnloaded += s.contextsEvicted;
    await s.dispose();
    return null;
  }

  async *generate(params: z.output<typeof generateRequestSchema>, signal: AbortSignal): AsyncGenerator<FragmentPacket, DonePacket, void> {
    const startedAt = performance.now();
    const s = this.slot(params.modelId);
    const prompt = renderPrompt(s.model, params.prompt);
    const grammar = await this.grammars.get(params.sampling);
    let lease: Lease;
    try {
      if (signal.aborted) throw new EngineError("cancelled", "cancelled before it started");
      lease = await s.lease(params.adapters, signal, 1, params.parallel);
    } catch (err) {
      // Cancelled before the first token (or while waiting for a free sequence): still a done packet.
      if (!signal.aborted) throw err;
      const totalMs = performance.now() - startedAt;
      const timings = { ttftMs: totalMs, promptTokens: prompt.tokens.length, cachedPromptTokens: 0, promptTokensPerS: 0, completionTokens: 0, tokensPerS: 0, totalMs };
      return { type: "done", text: "", stopReason: "abort", seed: params.sampling.seed ?? 0, tokens: [], timings };
    }
    this.generations++;
    try {
      return yield* runGeneration({
        model: s.model,
        lease,
        prompt,
        sampling: params.sampling,
        maxTokens: params.maxTokens ?? params.sampling.maxTokens,
        stopStrings: params.stopStrings ?? params.sampling.stopStrings,
        grammar,
        signal,
        startedAt,
        onNative: () => void this.nativeGenerations++,
      });
    } finally {
      lease.release();
    }
  }

  tokenize(params: z.output<typeof tokenizeRequestSchema>): { tokens: TokenInfo[] } {
    const s = this.slot(params.modelId);
    const { tokens } = renderPrompt(s.model, params.prompt);
    return { tokens: tokens.map((id) => ({ id, piece: pieceOf(s.model, id), special: s.model.isSpecialToken(id) })) };
  }

  detokenize(params: z.output<typeof detokenizeRequestSchema>): { text: string } {
    const s = this.slot(params.modelId);
    return { text: s.model.detokenize(params.tokens as Token[], params.specialTokens) };
  }

  private async withLease<T>(s: ModelSlot, adapters: z.output<typeof generateRequestSchema>["adapters"], signal: AbortSignal, want: number, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await s.lease(adapters, signal, want);
    try {
      return await fn(lease);
    } finally {
      lease.release();
    }
  }

  async nextTokenDistribution(params: z.output<typeof nextTokenDistributionRequestSchema>, signal: AbortSignal): Promise<NextTokenDistribution> {
    const s = this.slot(params.modelId);
    const rendered = renderPrompt(s.model, params.prompt);
    const { tokens, responseStart } = params.response !== undefined ? appendResponse(s.model, params.prompt, rendered.tokens, params.response) : { tokens: rendered.tokens, responseStart: rendered.tokens.length };
    if (tokens.length === 0) throw new EngineError("invalid_input", "the prompt is empty (no tokens)");
    return this.withLease(s, params.adapters, signal, 1, async (lease) => {
      const r = await nextTokenDistribution(s.model, lease.sequences[0]!, tokens, tokens.slice(responseStart), params.topN, params.sampling);
      return { contextTokens: tokens.length, ...r };
    });
  }

  async tokenProbabilities(params: z.output<typeof tokenProbabilitiesRequestSchema>, signal: AbortSignal): Promise<TokenProbabilities> {
    const s = this.slot(params.modelId);
    const rendered = renderPrompt(s.model, params.prompt);
    const { tokens, responseStart } = appendResponse(s.model, params.prompt, rendered.tokens, params.response);
    if (responseStart >= tokens.length) throw new EngineError("invalid_input", "the response has no tokens");
    return this.withLease(s, params.adapters, signal, 1, async (lease) => {
      const rows = await responseProbabilities(s.model, lease.sequences[0]!, tokens, responseStart, params.topN, signal);
      const out = rows.map((r) => ({ id: r.id, piece: pieceOf(s.model, r.id as Token), prob: r.prob, logprob: Math.log(r.prob), rank: r.rank, alternatives: r.alternatives }));
      return { tokens: out, sumLogprob: out.reduce((a, t) => a + t.logprob, 0) };
    });
  }

  async logLikelihood(params: z.output<typeof logLikelihoodRequestSchema>, signal: AbortSignal): Promise<LogLikelihoodResult> {
    const s = this.slot(params.modelId);
    const contextTokens = rawTokens(s.model, params.context, false, true);
    const items = params.continuations.map((c, i) => {
      const whole = rawTokens(s.model, params.context + c, false, true);
      const start = Math.min(contextTokens.length, whole.length);
      if (start >= whole.length) throw new EngineError("invalid_input", `continuation ${i} adds no tokens after the context`);
      if (start < 1) throw new EngineError("invalid_input", "the context must have at least one token (BOS or text)");
      return { whole, start };
    });
    const lanes = params.strategy === "naive" ? 1 : scoringLanes(items, s.settings.sequences);
    return this.withLease(s, params.adapters, signal, lanes, async (lease) => {
      const { scores, evaluatedTokens } = await scoreContinuations(lease.sequences, items, params.strategy, signal);
      return { results: scores, contextTokens: contextTokens.length, evaluatedTokens };
    });
  }

  async perplexity(params: z.output<typeof perplexityRequestSchema>, signal: AbortSignal): Promise<PerplexityResult> {
    const s = this.slot(params.modelId);
    const tokens = rawTokens(s.model, params.text, false, true);
    return this.withLease(s, params.adapters, signal, 1, async (lease) => {
      const seq = lease.sequences[0]!;
      const windowSize = Math.min(params.windowSize ?? seq.contextSize - 1, seq.contextSize - 1);
      const stride = Math.min(params.stride ?? Math.max(1, Math.floor(windowSize / 2)), windowSize);
      const { nll, scored, windows } = await slidingPerplexity(seq, tokens, windowSize, stride, signal);
      const meanNll = nll / scored;
      return { perplexity: Math.exp(meanNll), meanNll, tokens: scored, windows };
    });
  }

  async klDivergence(params: z.output<typeof klDivergenceRequestSchema>, signal: AbortSignal): Promise<KlDivergenceResult> {
    const s = this.slot(params.modelId);
    const tokens = rawTokens(s.model, params.text, false, true);
    if (tokens.length < 2) throw new EngineError("invalid_input", "KL divergence needs a text of at least 2 tokens");
    const out: KlDivergenceResult["tokens"] = [];
    const positions = tokens.length - 1;
    const step = 32;
    for (let from = 0; from < positions; from += step) {
      const to = Math.min(positions, from + step);
      const dist = (adapters: typeof params.adaptersA) =>
        this.withLease(s, adapters, signal, 1, async (lease) => {
          assertFits(lease.sequences[0]!, tokens.length, "the text");
          return denseDistributions(lease.sequences[0]!, tokens, from, to, s.info.vocabSize, signal);
        });
      const a = await dist(params.adaptersA);
      const b = await dist(params.adaptersB);
      for (let i = 0; i < a.length; i++) {
        const id = tokens[from + i + 1]!;
        out.push({ id, piece: pieceOf(s.model, id), kl: klDivergence(a[i]!, b[i]!) });
      }
    }
    const kls = out.map((t) => t.kl);
    return { tokens: out, meanKl: kls.reduce((x, y) => x + y, 0) / kls.length, maxKl: Math.max(...kls) };
  }

  /** Estimated RAM/VRAM of a model file with a context, against free memory (memoryFit.ts); nothing is loaded. */
  memoryFit(params: MemoryFitParams, signal: AbortSignal): Promise<MemoryFitResult> {
    return estimateMemoryFit(this.llama, params, signal);
  }

  /** Frees every model (host shutdown). */
  async dispose(): Promise<void> {
    for (const id of [...this.models.keys()]) await this.unloadModel(id).catch(() => {});
    await this.llama.dispose();
  }
}
