// The `models` domain: the model catalog and the models folder, loading and unloading
// through the engine, and creating the offline demo models (generated GGUF files) so a
// new user can chat at once without downloading anything.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { AdapterRecord, ModelRecord } from "../history/types.ts";
import type { MemoryFitResult, ModelInfo } from "../engine/types.ts";
import type { GgufInspection } from "../gguf/inspect.ts";
import type { ProgressPacket } from "./packets.ts";

const id = z.string().min(1).max(200);

/** A catalog model with what is known about it right now. */
export interface ModelEntry extends ModelRecord {
  /** The file still exists where the catalog says. */
  available: boolean;
  /** Loaded in the engine now (engine info when loaded). */
  loaded: ModelInfo | null;
}

/** A GGUF file found in the models or adapters folder. */
export interface FolderFile {
  /** Absolute path. */
  path: string;
  /** File name. */
  fileName: string;
  sizeBytes: number;
  /** "model", "adapter", or "invalid" when the header check failed. */
  kind: "model" | "adapter" | "invalid";
  /** Why the file cannot be used, naming the fault (for "invalid"). */
  problem: string | null;
  /** Already in the catalog. */
  inCatalog: boolean;
}

export type LoadPacket = ProgressPacket | { type: "done"; model: ModelInfo };

/** Download progress: bytes so far of bytes in all, with speed and time left. */
export interface DownloadProgressPacket extends ProgressPacket {
  type: "progress";
  /** Bytes on disk so far (counting a resumed part). */
  done: number;
  /** Bytes in all, when the server said. */
  total?: number;
  /** Bytes per second over the last seconds; 0 before the first bytes. */
  bytesPerSecond: number;
  /** Seconds left at this speed; null when unknown. */
  etaSeconds: number | null;
}
/** What a finished download became: a catalog model or adapter, with what was checked. */
export type DownloadDonePacket = {
  type: "done";
  /** Where the file now lives. */
  path: string;
  /** Bytes that were already on disk from an earlier, cancelled download of the same URI (0 = fresh). */
  resumedFromBytes: number;
  /** The SHA-256 the server published matched the file; false when none was published. */
  sha256Verified: boolean;
} & ({ kind: "model"; model: ModelRecord } | { kind: "adapter"; adapter: AdapterRecord });
export type DownloadPacket = DownloadProgressPacket | DownloadDonePacket;

/** A small instruct model suggested for a first download. */
export interface CuratedModel {
  /** Display name. */
  name: string;
  /** Download URI (`hf:org/repo:QUANT`). */
  uri: string;
  /** Approximate file size in bytes (the hub's figure rounded; the download reports the real one). */
  approxSizeBytes: number;
  /** Parameter count for people, e.g. "0.5B". */
  parameters: string;
  /** Quantisation of the suggested file. */
  quantization: string;
  /** One line on why it is on the list. */
  note: string;
}
export type CreateDemoPacket =
  | ProgressPacket
  | { type: "done"; models: ModelRecord[]; adapters: AdapterRecord[] };

/** The inspector's methods (core/services/inspect.ts serves them; the rest of the domain is core/services/models.ts). */
export const modelInspectMethods = {
  /** Reads a catalog model's GGUF header (nothing is loaded): architecture, size, quantization, tokenizer, chat template, tensor table. */
  inspect: unary(z.object({ id })).returns<GgufInspection>(),
  /** Estimates the RAM and VRAM a catalog model needs with a context size and GPU layers, against free memory (nothing is loaded). */
  memoryFit: unary(
    z.object({
      id,
      /** Tokens per sequence. Default: min(4096, trained context). */
      contextSize: z.number().int().min(64).max(1 << 21).optional(),
      /** GPU layers: "auto" (as many as fit), "max" or a count. Default "auto". */
      gpuLayers: z.union([z.literal("auto"), z.literal("max"), z.number().int().min(0).max(10_000)]).optional(),
      /** Sequences per context. Default 1. */
      sequences: z.number().int().min(1).max(64).optional(),
    }),
  ).returns<MemoryFitResult>(),
};

/** The download methods (core/services/downloads.ts serves them). */
export const modelDownloadMethods = {
  /**
   * Downloads a GGUF file into the models folder (`hf:org/repo:QUANT`, `hf:org/repo/file.gguf`,
   * an https URL, or http on loopback), with progress; cancelling keeps the partial file so the
   * same URI resumes later. The file's size, published SHA-256 and GGUF header are checked
   * before it joins the catalog (models, or adapters by general.type); a bad file is deleted.
   */
  download: stream(
    z.object({
      uri: z.string().trim().min(3).max(2048),
      /** File name in the models folder. Default: the name the URI resolves to. */
      fileName: z.string().max(255).regex(/^[^/\\]+\.gguf$/i, "a plain file name ending in .gguf").optional(),
    }),
  ).yields<DownloadPacket>(),
  /** Deletes a catalog model's file from disk and removes it from the catalog; only files inside the models folder. */
  deleteFile: unary(z.object({ id, /** The user confirmed; must be true. */ confirmed: z.literal(true) })).returns<{ deleted: boolean; path: string }>(),
  /** A short list of small instruct models to start with (sizes approximate). */
  curated: unary(z.object({})).returns<{ models: CuratedModel[] }>(),
};

export const modelsApi = {
  /** Catalog models, with availability and load state. */
  list: unary(z.object({})).returns<{ models: ModelEntry[]; folder: string }>(),
  /** GGUF files in the models and adapters folders (header-checked, nothing loaded). */
  scanFolder: unary(z.object({})).returns<{ files: FolderFile[] }>(),
  /** Adds a GGUF model file to the catalog after checking its header; refuses adapters and broken files with the reason. */
  add: unary(z.object({ path: z.string().min(1).max(4096) })).returns<ModelRecord>(),
  /** Removes a model from the catalog (the file stays). */
  remove: unary(z.object({ id })).returns<{ removed: boolean }>(),
  /** Writes the offline demo models and adapters into the data folder, with progress, and adds them to the catalog. */
  createDemo: stream(z.object({})).yields<CreateDemoPacket>(),
  /** Loads a catalog model in the engine, with progress; cancelling stops the load. */
  load: stream(
    z.object({
      id,
      /** Tokens per sequence. Default: min(4096, trained context). */
      contextSize: z.number().int().min(64).max(1 << 21).optional(),
      /** GPU layers: "auto", "max" or a count. Default "auto". */
      gpuLayers: z.union([z.literal("auto"), z.literal("max"), z.number().int().min(0)]).optional(),
    }),
  ).yields<LoadPacket>(),
  /** Unloads a catalog model from the engine. */
  unload: unary(z.object({ id })).returns<{ unloaded: boolean }>(),
  ...modelInspectMethods,
  ...modelDownloadMethods,
};
