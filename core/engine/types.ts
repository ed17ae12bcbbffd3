// Request, result and packet types of the engine port, with a zod schema for every request
// (the host validates each call with them; shells may validate earlier). Shared by
// core/engine/port.ts (the interface), engine/ (host + client) and the shells.
import { z } from "zod";
import { samplingConfigSchema } from "../sampling/config.ts";

// ---------------------------------------------------------------- settings and status

/** GPU backends a user can ask for; "auto" tries CUDA, Vulkan, then CPU (Metal on Apple Silicon). */
export const gpuSettingSchema = z.enum(["auto", "cuda", "vulkan", "metal", "cpu"]);
export type GpuSetting = z.infer<typeof gpuSettingSchema>;

/** Backend actually in use. */
export type GpuBackendName = "cuda" | "vulkan" | "metal" | "cpu";

/** How the host process starts llama.cpp; sent once at host start. */
export const engineHostOptionsSchema = z.object({
  /** Backend to use. Default "auto". */
  gpu: gpuSettingSchema.default("auto"),
  /** CPU threads for contexts that do not set their own; null = physical cores (llama.cpp's math cores). Default null. */
  threads: z.number().int().min(1).max(512).nullable().default(null),
  /** llama.cpp log level forwarded to the client. Default "warn". */
  logLevel: z.enum(["error", "warn", "info", "debug"]).default("warn"),
  /** At most this many adapter-set contexts stay alive per model (least recently used go first). Default 4. */
  maxContextsPerModel: z.number().int().min(1).max(64).default(4),
  /** Check adapters against the model (core/gguf) before llama.cpp sees them. Default true; false only to observe llama.cpp's own errors. */
  validateAdapters: z.boolean().default(true),
  /** Context memory budget per model in bytes (RAM + VRAM as node-llama-cpp estimates it); null = no byte limit. Default null. */
  contextBudgetBytes: z.number().int().min(0).nullable().default(null),
  /** Which llama.cpp library to run: the "prebuilt" one node-llama-cpp ships, or the "localBuild" made on this machine (Settings, "build the engine for this machine"); a missing or broken local build falls back to the prebuilt one and status says why. Default "prebuilt". */
  library: z.enum(["prebuilt", "localBuild"]).default("prebuilt"),
  /** CMake options that identify the local build to load (node-llama-cpp keys local builds by them). Default: engineLocalBuildCmakeOptions. */
  localBuildCmakeOptions: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string().max(200)).optional(),
});
export type EngineHostOptions = z.output<typeof engineHostOptionsSchema>;

/** Library choice for the engine host (see engineHostOptionsSchema.library). */
export type EngineLibrary = "prebuilt" | "localBuild";

/** The CMake options of "build the engine for this machine": OpenMP (one persistent thread team) and native CPU flags. */
export const engineLocalBuildCmakeOptions: Readonly<Record<string, string>> = { GGML_OPENMP: "ON", GGML_NATIVE: "ON" };
export type EngineHostOptionsInput = z.input<typeof engineHostOptionsSchema>;

/** One live context: a model plus one adapter set. */
export interface ContextStatus {
  /** The adapter set this context carries ([] = base model). */
  adapters: AdapterRef[];
  /** Tokens per sequence. */
  contextSize: number;
  /** Sequences in the context (parallel slots). */
  sequences: number;
  /** Sequences in use right now. */
  busy: number;
  /** Threads the context evaluates with. */
  threads: number;
  /** Estimated memory of the context in bytes. */
  memoryBytes: number;
  /** performance.now() in the host when last used (for LRU). */
  lastUsed: number;
}

/** A loaded model as status reports it. */
export interface ModelStatus {
  id: string;
  path: string;
  name: string;
  contexts: ContextStatus[];
}

/** What status() reports. */
export interface EngineStatus {
  /** Whether a host process is running now. */
  running: boolean;
  /** The host's process id, when running. */
  pid: number | null;
  /** node-llama-cpp version. */
  nodeLlamaCppVersion: string;
  /** llama.cpp release tag, e.g. "v0.4.0". */
  llamaCppRelease: string;
  /** "prebuilt" binaries or a "localBuild" made on this machine. */
  buildType: "prebuilt" | "localBuild";
  /** The library the host was asked for (the `library` host option); absent from hosts that predate it. */
  librarySetting?: EngineLibrary;
  /** Why this library is in use, for people ("local build with GGML_OPENMP=ON, GGML_NATIVE=ON", or why the local build was not used). */
  libraryReason?: string;
  /** libuv pool threads in the host (UV_THREADPOOL_SIZE); 1 keeps successive decodes on one thread and one OpenMP team. */
  uvThreadpoolSize?: number;
  /** Whether scoring reads llama.cpp's logits through Lathe's native entry points (a local build made by Lathe), rather than node-llama-cpp's full probability maps. */
  nativeLogits?: boolean;
  /** The gpu setting the host was started with. */
  gpuSetting: GpuSetting;
  /** The backend in use. */
  backend: GpuBackendName;
  /** Why that backend, for people ("auto: CUDA and Vulkan unavailable, using CPU"). */
  backendReason: string;
  /** GPU device names (empty on CPU). */
  devices: string[];
  /** VRAM in bytes (zeros on CPU). */
  vram: { total: number; used: number; free: number };
  /** System RAM in bytes. */
  ram: { total: number; free: number };
  /** Resident memory of the host process in bytes. */
  hostRssBytes: number;
  /** Default threads for new contexts. */
  threads: number;
  /** llama.cpp's count of CPU cores useful for math (the default for `threads`). */
  cpuMathCores: number;
  /** Loaded models with their contexts. */
  models: ModelStatus[];
  /** Counters since this host started. */
  /** Counters since this host started; nativeGenerations = generations that ran Lathe's native loop (a local build). */
  counters: { modelLoads: number; contextsCreated: number; contextsEvicted: number; generations: number; nativeGenerations?: number };
  /** How many times the client restarted a stopped host. */
  restarts: number;
  /** The last time the host stopped unexpectedly, with the models it took down (null if never). */
  lastStop: EngineStopInfo | null;
}

/** A host that stopped unexpectedly. */
export interface EngineStopInfo {
  /** Epoch ms. */
  at: number;
  /** Exit code or signal, for people ("signal SIGABRT"). */
  reason: string;
  /** Models that were loaded and must be loaded again. */
  lostModels: { id: string; path: string }[];
  /** The last llama.cpp log lines and host stderr before the stop. */
  logs: string[];
}

/** Events a client emits. */
export type EngineEvent =
  | { type: "started"; pid: number | null }
  | ({ type: "stopped" } & EngineStopInfo)
  | { type: "log"; level: string; text: string };

// ---------------------------------------------------------------- models

export const loadModelOptionsSchema = z.object({
  /** Absolute path of a .gguf model file. */
  path: z.string().min(1).max(4096),
  /** Layers to offload to the GPU: "auto" (fit to free VRAM), "max", or a count. Default "auto". */
  gpuLayers: z.union([z.literal("auto"), z.literal("max"), z.number().int().min(0).max(10_000)]).default("auto"),
  /** Tokens per sequence; rounded up to a multiple of 256 by llama.cpp. Default min(4096, trained context). */
  contextSize: z.number().int().min(16).max(1 << 21).optional(),
  /** Flash attention: "auto" uses it where supported. Default "auto". */
  flashAttention: z.union([z.literal("auto"), z.boolean()]).default("auto"),
  /** CPU threads for this model's contexts. Default: the host's `threads`. */
  threads: z.number().int().min(1).max(512).optional(),
  /** Sequences per context: parallel generations / scoring lanes per adapter set. Default 1. */
  sequences: z.number().int().min(1).max(64).default(1),
  /** Run the GGUF header validator before llama.cpp sees the file. Default true; false only for crash tests. */
  validate: z.boolean().default(true),
  /** Hash the file (sha256, streamed in the host) for provenance. Default true. */
  sha256: z.boolean().default(true),
});
export type LoadModelOptions = z.output<typeof loadModelOptionsSchema>;
export type LoadModelOptionsInput = z.input<typeof loadModelOptionsSchema>;

/** A loaded model. */
export interface ModelInfo {
  /** Handle for every other call; valid until unload or a host restart. */
  id: string;
  path: string;
  /** general.name, or the file name. */
  name: string;
  /** general.architecture, e.g. "llama". */
  architecture: string;
  /** llama.cpp's description, e.g. "llama 7B Q4_K - Medium". */
  description: string;
  /** File size in bytes. */
  sizeBytes: number;
  /** Parameter count (sum of tensor elements). */
  parameters: number;
  /** Context length the model was trained with. */
  trainContextSize: number;
  /** Tokens per sequence of this model's contexts (after llama.cpp's rounding). */
  contextSize: number;
  /** Sequences per context. */
  sequences: number;
  /** Threads of this model's contexts. */
  threads: number;
  /** Vocabulary size. */
  vocabSize: number;
  /** Layers on the GPU. */
  gpuLayers: number;
  /** The GGUF's Jinja chat template, if any. */
  chatTemplate: string | null;
  /** Which node-llama-cpp chat wrapper renders chats by default. */
  chatWrapper: string;
  /** Special tokens. */
  specialTokens: { bos: number | null; eos: number | null; eot: number | null; nl: number | null };
  /** Hex sha256 of the file; null when not requested. */
  sha256: string | null;
  /** Milliseconds spent loading (excluding hashing). */
  loadMs: number;
}

/** Progress while loading. */
export interface LoadProgress {
  /** 0..1. */
  progress: number;
}

export const unloadModelOptionsSchema = z.object({
  /** The model handle. */
  modelId: z.string().min(1).max(200),
});

// ---------------------------------------------------------------- adapters and prompts

export const adapterRefSchema = z.object({
  /** Absolute path of a LoRA adapter .gguf. */
  path: z.string().min(1).max(4096),
  /** Scale applied to the adapter (negative subtracts it). Default 1. */
  scale: z.number().min(-100).max(100).default(1),
});
export type AdapterRef = z.output<typeof adapterRefSchema>;

/** An adapter set: adapters stacked with their scales. [] = the base model. */
export const adapterSetSchema = z.array(adapterRefSchema).max(16).default([]);

export const chatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().max(4_000_000),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/**
 * What to condition on.
 * - chat: rendered with the model's chat template (or `chatTemplate`); the assistant turn is
 *   opened for the model, or continued when the last message is the assistant's.
 * - raw: text as is (BOS prepended when the model wants one); for the prompt builder and evaluation.
 * - tokens: exact token ids (nothing added).
 */
export const promptSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("chat"),
    /** History, oldest first. */
    messages: z.array(chatMessageSchema).min(1).max(10_000),
    /** Prepended as a system message when set (instead of any library default). */
    systemPrompt: z.string().max(1_000_000).optional(),
    /** A Jinja chat template overriding the model's own. */
    chatTemplate: z.string().min(1).max(200_000).optional(),
  }),
  z.object({
    kind: z.literal("raw"),
    /** The prompt text. */
    text: z.string().max(20_000_000),
    /** Parse special-token texts (e.g. "<|im_start|>") as special tokens. Default false. */
    specialTokens: z.boolean().default(false),
    /** Prepend BOS when the model asks for it. Default true. */
    addBos: z.boolean().default(true),
  }),
  z.object({
    kind: z.literal("tokens"),
    /** Token ids. */
    tokens: z.array(z.number().int().nonnegative()).min(1).max(2_000_000),
  }),
]);
export type PromptInput = z.input<typeof promptSchema>;
export type Prompt = z.output<typeof promptSchema>;

// ---------------------------------------------------------------- generation

export const generateRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  /** Adapter set; a context per distinct set is created and cached. Default []. */
  adapters: adapterSetSchema,
  prompt: promptSchema,
  /** Sampling; missing fields take the defaults of core/sampling/config.ts. */
  sampling: samplingConfigSchema.default(() => samplingConfigSchema.parse({})),
  /** Overrides sampling.maxTokens. */
  maxTokens: z.number().int().min(1).max(1_000_000).optional(),
  /** Overrides sampling.stopStrings. */
  stopStrings: z.array(z.string().min(1).max(200)).max(16).optional(),
  /**
   * Run on a context (of this adapter set) with at least this many sequences, so that many
   * generations sent at once decode together in one batch (compare columns). That context is
   * made on first use, cached and evicted like any other, and holds `parallel` x contextSize
   * tokens of KV memory. Default: the model's own context (`sequences` at load).
   */
  parallel: z.number().int().min(1).max(16).optional(),
});
export type GenerateRequest = z.input<typeof generateRequestSchema>;

/** Why a generation ended. */
export type StopReason = "eos" | "maxTokens" | "stopString" | "abort" | "contextFull";

/** Timings of one generation. */
export interface GenerationTimings {
  /** Request received by the host to first generated token, ms. */
  ttftMs: number;
  /** Tokens in the prompt. */
  promptTokens: number;
  /** Prompt tokens reused from the context's cache (not evaluated again). */
  cachedPromptTokens: number;
  /** Evaluated prompt tokens per second (up to the first token). */
  promptTokensPerS: number;
  /** Tokens generated (including any cut by a stop string). */
  completionTokens: number;
  /** Generated tokens per second after the first. */
  tokensPerS: number;
  /** Whole generation, ms. */
  totalMs: number;
}

/** A piece of streamed output: one per generated token (a few when a UTF-8 character spans tokens). */
export interface FragmentPacket {
  type: "fragment";
  /** New text; empty for control tokens and while text is held back for a possible stop string. */
  text: string;
  /** The token ids this fragment covers. */
  tokens: number[];
}

/** The end of a generation; `text` is the whole output (partial when aborted). */
export interface DonePacket {
  type: "done";
  text: string;
  stopReason: StopReason;
  /** Which stop string ended it, when stopReason is "stopString". */
  stopString?: string;
  /** The seed dist() used (chosen by the engine when the config had none). */
  seed: number;
  /** All generated token ids. */
  tokens: number[];
  timings: GenerationTimings;
}

export type GeneratePacket = FragmentPacket | DonePacket;

// ---------------------------------------------------------------- tokens

export const tokenizeRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  prompt: promptSchema,
});
export type TokenizeRequest = z.input<typeof tokenizeRequestSchema>;

/** One token with its text. */
export interface TokenInfo {
  id: number;
  /** Text of the token alone (bytes that are not valid UTF-8 alone show as U+FFFD). */
  piece: string;
  /** Control/special token (BOS, EOS, template markers). */
  special: boolean;
}

export const detokenizeRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  tokens: z.array(z.number().int().nonnegative()).max(2_000_000),
  /** Render special tokens as their text. Default false. */
  specialTokens: z.boolean().default(false),
});
export type DetokenizeRequest = z.input<typeof detokenizeRequestSchema>;

// ---------------------------------------------------------------- introspection

/** A token with its probability. */
export interface TokenProb {
  id: number;
  piece: string;
  prob: number;
  /** Natural log of prob (-Infinity when prob underflows to 0). */
  logprob: number;
}

/** A distribution summarised as its top entries plus entropy. */
export interface DistributionSummary {
  /** Most likely tokens first. */
  top: TokenProb[];
  /** Shannon entropy in nats over all tokens left. */
  entropy: number;
  /** How many tokens have nonzero probability. */
  candidates: number;
}

export const nextTokenDistributionRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  adapters: adapterSetSchema,
  prompt: promptSchema,
  /** Response generated so far (text or ids), appended after the prompt; penalties look at it. */
  response: z.union([z.string().max(4_000_000), z.array(z.number().int().nonnegative())]).optional(),
  /** How many top tokens to return. Default 10. */
  topN: z.number().int().min(1).max(1000).default(10),
  /** When set, also return the distribution after this sampling chain. */
  sampling: samplingConfigSchema.optional(),
});
export type NextTokenDistributionRequest = z.input<typeof nextTokenDistributionRequestSchema>;

export interface NextTokenDistribution {
  /** Tokens the distribution is conditioned on. */
  contextTokens: number;
  /** The model's own softmax (no sampling). */
  raw: DistributionSummary;
  /** After the sampling chain (when `sampling` was given); DRY has no history here, so it is inert. */
  sampled: DistributionSummary | null;
}

export const tokenProbabilitiesRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  adapters: adapterSetSchema,
  prompt: promptSchema,
  /** The finished response: text (tokenized after the prompt) or exact ids. */
  response: z.union([z.string().max(4_000_000), z.array(z.number().int().nonnegative()).min(1)]),
  /** Alternatives per position. Default 5. */
  topN: z.number().int().min(0).max(100).default(5),
});
export type TokenProbabilitiesRequest = z.input<typeof tokenProbabilitiesRequestSchema>;

/** One response token with its probability and the alternatives the model preferred. */
export interface ResponseTokenProb extends TokenProb {
  /** 1-based rank of this token in the distribution. */
  rank: number;
  /** The topN most likely tokens at this position. */
  alternatives: TokenProb[];
}

export interface TokenProbabilities {
  tokens: ResponseTokenProb[];
  /** Sum of logprobs. */
  sumLogprob: number;
}

export const logLikelihoodRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  adapters: adapterSetSchema,
  /** Conditioning text (raw, BOS prepended when the model wants one). */
  context: z.string().max(20_000_000),
  /** Continuations to score; each is tokenized together with the context and split at the context's length. */
  continuations: z.array(z.string().min(1).max(1_000_000)).min(1).max(1000),
  /** "sharedPrefix" evaluates the context once per sequence; "naive" evaluates context + continuation afresh each time (for benchmarks). Default "sharedPrefix". */
  strategy: z.enum(["sharedPrefix", "naive"]).default("sharedPrefix"),
});
export type LogLikelihoodRequest = z.input<typeof logLikelihoodRequestSchema>;

export interface ContinuationScore {
  /** Sum of natural-log probabilities of the continuation's tokens. */
  logprob: number;
  /** Continuation tokens scored. */
  tokens: number;
  /** Whether greedy decoding would have produced exactly this continuation. */
  isGreedy: boolean;
}

export interface LogLikelihoodResult {
  results: ContinuationScore[];
  /** Tokens of the context. */
  contextTokens: number;
  /** Tokens run through the model for this call (the cost the strategies differ in). */
  evaluatedTokens: number;
}

export const perplexityRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  adapters: adapterSetSchema,
  text: z.string().min(1).max(50_000_000),
  /** Window length in tokens; default (and maximum) the context size. */
  windowSize: z.number().int().min(2).max(1 << 21).optional(),
  /** Tokens the window moves each step; default windowSize / 2. */
  stride: z.number().int().min(1).max(1 << 21).optional(),
});
export type PerplexityRequest = z.input<typeof perplexityRequestSchema>;

export interface PerplexityResult {
  /** exp(mean negative log-likelihood). */
  perplexity: number;
  /** Mean negative log-likelihood per scored token (nats). */
  meanNll: number;
  /** Tokens scored. */
  tokens: number;
  /** Windows evaluated. */
  windows: number;
}

export const klDivergenceRequestSchema = z.object({
  modelId: z.string().min(1).max(200),
  text: z.string().min(1).max(20_000_000),
  /** Adapter set P (reference). [] = base. */
  adaptersA: adapterSetSchema,
  /** Adapter set Q. [] = base. */
  adaptersB: adapterSetSchema,
});
export type KlDivergenceRequest = z.input<typeof klDivergenceRequestSchema>;

/** KL(P || Q) of the next-token distributions at one position. */
export interface TokenKl {
  /** The token this position predicts (the text's next token). */
  id: number;
  piece: string;
  /** KL divergence in nats. */
  kl: number;
}

export interface KlDivergenceResult {
  tokens: TokenKl[];
  meanKl: number;
  maxKl: number;
}

// ---------------------------------------------------------------- memory fit (issue 10)

export const memoryFitRequestSchema = z.object({
  /** Absolute path of a .gguf model file (validated first; nothing is loaded). */
  path: z.string().min(1).max(4096),
  /** Tokens per sequence to plan for. Default min(4096, trained context). */
  contextSize: z.number().int().min(16).max(1 << 21).optional(),
  /** Layers to put on the GPU: "auto" (as many as fit), "max", or a count. Default "auto". */
  gpuLayers: z.union([z.literal("auto"), z.literal("max"), z.number().int().min(0).max(10_000)]).default("auto"),
  /** Sequences per context (each holds `contextSize` tokens). Default 1. */
  sequences: z.number().int().min(1).max(64).default(1),
});
export type MemoryFitRequest = z.input<typeof memoryFitRequestSchema>;

/** Whether a model with a context fits: all on the GPU (or in RAM on a CPU backend), split between GPU and CPU, or not at all. */
export type MemoryFitVerdict = "fits" | "partly offloaded" | "won't fit";

/** node-llama-cpp's estimate of what loading a model with a context would take, against what is free now. */
export interface MemoryFitResult {
  verdict: MemoryFitVerdict;
  /** For people: why this verdict ("needs 1.2 GB RAM, 0.8 GB free"). */
  reason: string;
  /** Backend the estimate is for. */
  backend: GpuBackendName;
  /** Layers the model has (blocks + the output layer, as llama.cpp counts gpu layers). */
  totalLayers: number;
  /** GPU layers the estimate uses (the request's, resolved). */
  gpuLayers: number;
  /** Most GPU layers that fit with this context (0 on a CPU backend). */
  maxGpuLayersThatFit: number;
  /** Tokens per sequence the estimate is for (what llama.cpp would use). */
  contextSize: number;
  /** Sequences the estimate is for. */
  sequences: number;
  /** Context the model was trained with. */
  trainContextSize: number;
  /** RAM in bytes: the model's and the context's share, their sum, what is free and total. */
  ram: { model: number; context: number; needed: number; free: number; total: number };
  /** VRAM in bytes (zeros on CPU). */
  vram: { model: number; context: number; needed: number; free: number; total: number };
  /** Milliseconds the estimate took. */
  ms: number;
}
