// The `models` domain: the model catalog and the models folder, loading and unloading
// through the engine, and creating the offline demo models (generated GGUF files) so a
// new user can chat at once without downloading anything.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { AdapterRecord, ModelRecord } from "../history/types.ts";
import type { ModelInfo } from "../engine/types.ts";
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
export type CreateDemoPacket =
  | ProgressPacket
  | { type: "done"; models: ModelRecord[]; adapters: AdapterRecord[] };

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
};
