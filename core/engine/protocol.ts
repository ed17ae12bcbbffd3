// The message protocol between the engine client (shell process) and the engine host
// (the process that runs llama.cpp). Transport-agnostic: Node child_process IPC and
// Electron's utilityProcess both carry these JSON-safe objects. The host validates every
// incoming message and call with these schemas; the client validates what comes back.
import { z } from "zod";
import { engineErrorReasons, type EngineErrorData } from "./errors.ts";
import {
  detokenizeRequestSchema,
  engineHostOptionsSchema,
  generateRequestSchema,
  klDivergenceRequestSchema,
  loadModelOptionsSchema,
  memoryFitRequestSchema,
  logLikelihoodRequestSchema,
  nextTokenDistributionRequestSchema,
  perplexityRequestSchema,
  tokenizeRequestSchema,
  tokenProbabilitiesRequestSchema,
  unloadModelOptionsSchema,
  type DonePacket,
  type EngineStatus,
  type GeneratePacket,
  type KlDivergenceResult,
  type LoadProgress,
  type LogLikelihoodResult,
  type MemoryFitResult,
  type ModelInfo,
  type NextTokenDistribution,
  type PerplexityResult,
  type TokenInfo,
  type TokenProbabilities,
} from "./types.ts";

/** Bumped when messages change incompatibly; the host refuses a client with another version. */
export const engineProtocolVersion = 1;

/** Every method the host serves: its params schema. */
export const engineMethodSchemas = {
  /** First call on a fresh host: starts llama.cpp with these options. */
  init: z.object({ protocol: z.number().int(), options: engineHostOptionsSchema }),
  status: z.object({}),
  loadModel: loadModelOptionsSchema,
  unloadModel: unloadModelOptionsSchema,
  generate: generateRequestSchema,
  tokenize: tokenizeRequestSchema,
  detokenize: detokenizeRequestSchema,
  nextTokenDistribution: nextTokenDistributionRequestSchema,
  tokenProbabilities: tokenProbabilitiesRequestSchema,
  logLikelihood: logLikelihoodRequestSchema,
  perplexity: perplexityRequestSchema,
  klDivergence: klDivergenceRequestSchema,
  /** Estimated RAM/VRAM of a model file with a context, without loading it. */
  memoryFit: memoryFitRequestSchema,
} as const;
export type EngineMethod = keyof typeof engineMethodSchemas;
export const engineMethods = Object.keys(engineMethodSchemas) as EngineMethod[];

/** What the host's status method returns (the client adds its own fields). */
export type HostStatus = Omit<EngineStatus, "running" | "restarts" | "lastStop" | "pid"> & { pid: number };

/** Result type per method. */
export interface EngineMethodResults {
  init: HostStatus;
  status: HostStatus;
  loadModel: ModelInfo;
  unloadModel: null;
  generate: DonePacket;
  tokenize: { tokens: TokenInfo[] };
  detokenize: { text: string };
  nextTokenDistribution: NextTokenDistribution;
  tokenProbabilities: TokenProbabilities;
  logLikelihood: LogLikelihoodResult;
  perplexity: PerplexityResult;
  klDivergence: KlDivergenceResult;
  memoryFit: MemoryFitResult;
}

/** Packets a method streams before its result. */
export interface EngineMethodPackets {
  loadModel: LoadProgress;
  generate: GeneratePacket;
}

// ---------------------------------------------------------------- client -> host

export const clientToHostSchema = z.discriminatedUnion("t", [
  /** Start a call. */
  z.object({ t: z.literal("call"), id: z.number().int().nonnegative(), method: z.string().max(100), params: z.unknown() }),
  /** Cancel a call in flight (generation then ends with stopReason "abort"). */
  z.object({ t: z.literal("cancel"), id: z.number().int().nonnegative() }),
]);
export type ClientToHost = z.infer<typeof clientToHostSchema>;

// ---------------------------------------------------------------- host -> client

const errorDataSchema = z.object({
  reason: z.enum(engineErrorReasons),
  message: z.string(),
  logs: z.array(z.string()),
});

export const hostToClientSchema = z.discriminatedUnion("t", [
  /** The host process is up and listening (sent once, before any call). */
  z.object({ t: z.literal("ready"), pid: z.number().int() }),
  /** A call's result; ends the call. */
  z.object({ t: z.literal("result"), id: z.number().int(), value: z.unknown() }),
  /** A call's failure; ends the call. */
  z.object({ t: z.literal("error"), id: z.number().int(), error: errorDataSchema }),
  /** A streamed packet of a call in flight. */
  z.object({ t: z.literal("packet"), id: z.number().int(), packet: z.unknown() }),
  /** A llama.cpp log line (or a host notice), sent as it happens so it survives a crash. */
  z.object({ t: z.literal("log"), level: z.string(), text: z.string() }),
]);
export type HostToClient = z.infer<typeof hostToClientSchema>;

/** The error member of an error message. */
export type WireError = EngineErrorData;
