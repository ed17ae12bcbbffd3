// The engine port: everything core services and shells may ask of llama.cpp. Implemented
// by engine/client/EngineClient.ts (a separate host process) and by fakes in unit tests.
// All payloads are JSON-safe; failures reject with EngineError (core/engine/errors.ts).
import type {
  DetokenizeRequest,
  EngineEvent,
  EngineStatus,
  GeneratePacket,
  GenerateRequest,
  KlDivergenceRequest,
  KlDivergenceResult,
  LoadModelOptionsInput,
  LoadProgress,
  LogLikelihoodRequest,
  LogLikelihoodResult,
  MemoryFitRequest,
  MemoryFitResult,
  ModelInfo,
  NextTokenDistribution,
  NextTokenDistributionRequest,
  PerplexityRequest,
  PerplexityResult,
  TokenInfo,
  TokenizeRequest,
  TokenProbabilities,
  TokenProbabilitiesRequest,
} from "./types.ts";

/** Per-call options. */
export interface EngineCallOptions {
  /** Cancels the call. Generation then ends with a done packet (stopReason "abort", partial text kept); other calls reject with reason "cancelled". */
  signal?: AbortSignal;
}

/** Options of loadModel besides the model options. */
export interface LoadModelCallOptions extends EngineCallOptions {
  /** Called with load progress (0..1). */
  onProgress?: (progress: LoadProgress) => void;
}

export interface Engine {
  /** Backend, devices, memory, threads, loaded models and contexts. Starts the host if needed. */
  status(options?: EngineCallOptions): Promise<EngineStatus>;
  /** Validates the file's GGUF header, then loads it. Several models may be loaded at once. */
  loadModel(options: LoadModelOptionsInput, callOptions?: LoadModelCallOptions): Promise<ModelInfo>;
  /** Frees the model and all its contexts. */
  unloadModel(modelId: string, options?: EngineCallOptions): Promise<void>;
  /**
   * Streams a generation: fragments, then exactly one done packet. Chat prompts use the
   * model's chat template; raw prompts go in as they are.
   */
  generate(request: GenerateRequest, options?: EngineCallOptions): AsyncIterable<GeneratePacket>;
  /** Token ids, pieces and special flags of a prompt. */
  tokenize(request: TokenizeRequest, options?: EngineCallOptions): Promise<TokenInfo[]>;
  /** Text of token ids. */
  detokenize(request: DetokenizeRequest, options?: EngineCallOptions): Promise<string>;
  /** Top-N next tokens with probabilities and entropy, raw and after a sampling config. */
  nextTokenDistribution(request: NextTokenDistributionRequest, options?: EngineCallOptions): Promise<NextTokenDistribution>;
  /** Per-token probabilities and top-N alternatives of a finished response. */
  tokenProbabilities(request: TokenProbabilitiesRequest, options?: EngineCallOptions): Promise<TokenProbabilities>;
  /** Log-likelihood of continuations given a context (shared prefix evaluated once; never truncates). */
  logLikelihood(request: LogLikelihoodRequest, options?: EngineCallOptions): Promise<LogLikelihoodResult>;
  /** Perplexity of a text with a sliding window. */
  perplexity(request: PerplexityRequest, options?: EngineCallOptions): Promise<PerplexityResult>;
  /** Per-token KL(A || B) between two adapter sets over the same text. */
  klDivergence(request: KlDivergenceRequest, options?: EngineCallOptions): Promise<KlDivergenceResult>;
  /** Whether a model file would fit in RAM/VRAM with a context size and GPU layers (node-llama-cpp's estimate; nothing is loaded). */
  memoryFit(request: MemoryFitRequest, options?: EngineCallOptions): Promise<MemoryFitResult>;
  /** Subscribes to host start/stop and log events; returns the unsubscribe function. */
  onEvent(listener: (event: EngineEvent) => void): () => void;
  /** Stops the host for good; later calls reject. */
  dispose(): Promise<void>;
}
