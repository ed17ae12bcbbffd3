// Handlers for the `models` domain: the catalog, the models folder, loading through the
// engine, and writing the offline demo models (the same generated GGUF files the tests
// use) into the data folder so a new user can chat without downloading anything.
import { ApiError } from "../api/errors.ts";
import { isRemoteModelPath } from "../api/providers.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { FolderFile, modelDownloadMethods, modelInspectMethods, modelsApi } from "../api/models.ts";
import type { DataPaths } from "../api/system.ts";
import type { AdapterStore, ModelStore } from "../history/ports.ts";
import type { AdapterRecord, ModelRecord } from "../history/types.ts";
import { FIXTURE_CATALOG } from "../fixtures/catalog.ts";
import { withReports } from "../util/AsyncQueue.ts";
import type { EngineSessions } from "./EngineSessions.ts";
import type { FilesPort } from "./files.ts";
import { inspectGgufFile } from "./modelFiles.ts";
import { requireModel } from "./lookup.ts";

export interface ModelsDeps {
  models: ModelStore;
  adapters: AdapterStore;
  sessions: EngineSessions;
  files: FilesPort;
  paths: DataPaths;
}

/** The demo files: fixture name → where it goes and what it is called in the catalog. */
export const demoFiles = [
  { fixture: "successor.gguf", kind: "model", name: "Successor (demo: next letter)" },
  { fixture: "demo.gguf", kind: "model", name: "Bigram workshop (demo)" },
  { fixture: "successor-plus2.gguf", kind: "adapter", name: "Successor +2 (demo adapter)" },
  { fixture: "successor-alt.gguf", kind: "adapter", name: "Successor -1 (demo adapter)" },
  { fixture: "demo-lora.gguf", kind: "adapter", name: "Kitchen (demo adapter for Bigram)" },
] as const;

const isGguf = (name: string) => name.toLowerCase().endsWith(".gguf");

/** Every models method but the inspector's (core/services/inspect.ts) and the downloads' (core/services/downloads.ts). */
export function modelsHandlers(
  deps: ModelsDeps,
): DomainHandlers<Omit<typeof modelsApi, keyof typeof modelInspectMethods | keyof typeof modelDownloadMethods>> {
  const { models, files, sessions } = deps;
  const record = (id: string) => requireModel(models, id);

  async function addModel(path: string, name?: string): Promise<ModelRecord> {
    const inspected = await inspectGgufFile(files, path);
    if (inspected.kind === "invalid") throw new ApiError("invalid_input", `${files.basename(path)}: ${inspected.problem}`);
    if (inspected.kind === "adapter") {
      throw new ApiError("invalid_input", `${files.basename(path)} is a LoRA adapter, not a model: add it under Adapters and apply it to its base model.`);
    }
    const sha256 = await files.sha256(path);
    const metaName = typeof inspected.metadata.name === "string" ? inspected.metadata.name : null;
    return models.upsertModel({
      filePath: path,
      name: name ?? metaName ?? files.basename(path).replace(/\.gguf$/i, ""),
      sha256,
      sizeBytes: inspected.sizeBytes,
      metadata: inspected.metadata,
    });
  }

  return {
    async list() {
      const all = await models.listModels();
      const entries = await Promise.all(
        // A remote model (remote://provider/model) has no file here; its provider's test vouches for it.
        all.map(async (m) => ({ ...m, available: isRemoteModelPath(m.filePath) || (await files.size(m.filePath)) !== null, loaded: sessions.info(m.id) })),
      );
      return { models: entries, folder: deps.paths.models };
    },
    async scanFolder() {
      const known = new Set((await models.listModels()).map((m) => m.filePath));
      const knownAdapters = new Set((await deps.adapters.listAdapters()).map((a) => a.filePath));
      const out: FolderFile[] = [];
      for (const dir of [deps.paths.models, deps.paths.adapters]) {
        for (const f of await files.list(dir)) {
          if (!isGguf(f.name)) continue;
          const inspected = await inspectGgufFile(files, f.path);
          out.push({
            path: f.path,
            fileName: f.name,
            sizeBytes: f.size,
            kind: inspected.kind,
            problem: inspected.problem,
            inCatalog: known.has(f.path) || knownAdapters.has(f.path),
          });
        }
      }
      return { files: out };
    },
    add: (input) => addModel(input.path),
    async remove(input) {
      await sessions.unload(input.id).catch(() => false);
      return { removed: await models.removeModel(input.id) };
    },
    async *createDemo(_input, ctx) {
      const plan = demoFiles.map((d) => {
        const entry = FIXTURE_CATALOG.find((e) => e.file === d.fixture);
        if (!entry) throw new ApiError("internal", `Demo fixture ${d.fixture} is missing from the catalog`);
        const source = entry.build();
        const dir = d.kind === "model" ? deps.paths.models : deps.paths.adapters;
        return { ...d, source, path: files.join(dir, d.fixture) };
      });
      const total = plan.reduce((n, p) => n + p.source.totalSize, 0);
      let before = 0;
      const made = { models: [] as ModelRecord[], adapters: [] as AdapterRecord[] };
      for (const p of plan) {
        ctx.signal.throwIfAborted();
        yield* withReports<{ type: "progress"; done: number; total: number; label: string }, void>((report) =>
          files.write(p.path, p.source.chunks(), {
            signal: ctx.signal,
            onProgress: (bytes) => report({ type: "progress", done: before + bytes, total, label: `Writing ${p.fixture}` }),
          }),
        );
        before += p.source.totalSize;
        if (p.kind === "model") made.models.push(await addModel(p.path, p.name));
        else {
          const inspected = await inspectGgufFile(files, p.path);
          made.adapters.push(
            await deps.adapters.upsertAdapter({
              filePath: p.path,
              name: p.name,
              sha256: await files.sha256(p.path),
              metadata: inspected.metadata,
              tags: ["demo"],
            }),
          );
        }
      }
      yield { type: "progress", done: total, total, label: "Done" };
      yield { type: "done", ...made };
    },
    async *load(input, ctx) {
      const r = await record(input.id);
      const model = yield* withReports<{ type: "progress"; done: number; total: number; label: string }, Awaited<ReturnType<EngineSessions["ensureLoaded"]>>>((report) =>
        sessions.ensureLoaded(
          r,
          (p) => report({ type: "progress", done: Math.round(p.progress * 1000), total: 1000, label: `Loading ${r.name}` }),
          ctx.signal,
          {
            ...(input.contextSize ? { contextSize: input.contextSize } : {}),
            ...(input.gpuLayers !== undefined ? { gpuLayers: input.gpuLayers } : {}),
          },
        ),
      );
      yield { type: "done", model };
    },
    unload: async (input) => ({ unloaded: await sessions.unload(input.id) }),
  };
}
