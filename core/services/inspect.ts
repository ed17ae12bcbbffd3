// Handlers for the inspector's methods of the `models` domain: `inspect` reads a catalog
// model's GGUF header through the files port (header bytes only, core/gguf/inspect.ts) and
// `memoryFit` asks the engine for node-llama-cpp's memory estimate. Nothing is loaded.
// core/services/handlers.ts merges these into the models domain.
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { modelInspectMethods } from "../api/models.ts";
import type { Engine } from "../engine/port.ts";
import { GgufError } from "../gguf/header.ts";
import { inspectGguf } from "../gguf/inspect.ts";
import type { ModelStore } from "../history/ports.ts";
import type { FilesPort } from "./files.ts";
import { requireModel } from "./lookup.ts";

/** What the inspector needs. */
export interface InspectDeps {
  /** The model catalog (ids to file paths). */
  models: ModelStore;
  /** Bounded reads of the model files. */
  files: FilesPort;
  /** The engine, for memory estimates (they need llama.cpp's view of RAM and VRAM). */
  engine: Engine;
}

export function inspectHandlers(deps: InspectDeps): DomainHandlers<typeof modelInspectMethods> {
  const { models, files, engine } = deps;

  async function existingFile(id: string): Promise<{ path: string; name: string }> {
    const r = await requireModel(models, id);
    // Remote providers' models (remote://provider/model) have no local file to read.
    if (/^remote:\/\//.test(r.filePath)) throw new ApiError("unavailable", `${r.name} runs on a remote provider: there is no local file to inspect or size`);
    if ((await files.size(r.filePath)) === null) throw new ApiError("not_found", `${r.name}: the file ${r.filePath} is missing`);
    return { path: r.filePath, name: r.name };
  }

  return {
    async inspect(input) {
      const { path, name } = await existingFile(input.id);
      const reader = await files.open(path);
      try {
        return await inspectGguf(reader.readAt, reader.size);
      } catch (err) {
        if (err instanceof GgufError) throw new ApiError("invalid_input", `${name} (${files.basename(path)}) is not a readable GGUF file: ${err.message}`);
        throw err;
      } finally {
        await reader.close();
      }
    },
    async memoryFit(input, ctx) {
      const { path } = await existingFile(input.id);
      return engine.memoryFit(
        {
          path,
          ...(input.contextSize !== undefined ? { contextSize: input.contextSize } : {}),
          ...(input.gpuLayers !== undefined ? { gpuLayers: input.gpuLayers } : {}),
          ...(input.sequences !== undefined ? { sequences: input.sequences } : {}),
        },
        { signal: ctx.signal },
      );
    },
  };
}
