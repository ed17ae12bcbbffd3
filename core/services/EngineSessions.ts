// Which catalog models are loaded in the engine, under which engine handle. Loads on
// demand (concurrent requests share one load), forgets everything when the engine host
// stops (a crash takes its models down; the next use loads again), and caches the
// engine's versions for provenance. Shared by the models and chat services.
import type { Engine } from "../engine/port.ts";
import type { EngineStatus, LoadProgress, ModelInfo } from "../engine/types.ts";
import type { ModelRecord } from "../history/types.ts";

/** Options for EngineSessions. */
export interface EngineSessionsOptions {
  /** Tokens per sequence for models loaded on demand. Default: the engine's default (min(4096, trained)). */
  contextSize?: number;
}

/** Per-load choices. */
export interface LoadChoice {
  contextSize?: number;
  gpuLayers?: "auto" | "max" | number;
}

export class EngineSessions {
  private readonly loaded = new Map<string, ModelInfo>();
  private readonly loading = new Map<string, Promise<ModelInfo>>();
  private status: EngineStatus | null = null;
  private readonly off: () => void;

  constructor(
    readonly engine: Engine,
    private readonly options: EngineSessionsOptions = {},
  ) {
    this.off = engine.onEvent((e) => {
      if (e.type === "stopped") {
        this.loaded.clear();
        this.status = null;
      }
    });
  }

  /** Engine info of a loaded catalog model, or null. */
  info(catalogId: string): ModelInfo | null {
    return this.loaded.get(catalogId) ?? null;
  }

  /** Loads the model unless it is loaded already; concurrent calls share one load. */
  async ensureLoaded(
    record: ModelRecord,
    onProgress?: (p: LoadProgress) => void,
    signal?: AbortSignal,
    choice: LoadChoice = {},
  ): Promise<ModelInfo> {
    const have = this.loaded.get(record.id);
    if (have) return have;
    let pending = this.loading.get(record.id);
    if (!pending) {
      const contextSize = choice.contextSize ?? this.options.contextSize;
      pending = this.engine
        .loadModel(
          {
            path: record.filePath,
            ...(contextSize ? { contextSize } : {}),
            ...(choice.gpuLayers !== undefined ? { gpuLayers: choice.gpuLayers } : {}),
            sha256: record.sha256 === null,
          },
          { ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) },
        )
        .then((info) => {
          this.loaded.set(record.id, info);
          return info;
        })
        .finally(() => this.loading.delete(record.id));
      this.loading.set(record.id, pending);
    }
    return pending;
  }

  /** Unloads a catalog model; false when it was not loaded. */
  async unload(catalogId: string): Promise<boolean> {
    const info = this.loaded.get(catalogId);
    if (!info) return false;
    this.loaded.delete(catalogId);
    await this.engine.unloadModel(info.id);
    return true;
  }

  /** Engine status (starts the host if needed); cached until the host stops. */
  async engineStatus(fresh = false): Promise<EngineStatus> {
    if (!this.status || fresh) this.status = await this.engine.status();
    return this.status;
  }

  dispose(): void {
    this.off();
  }
}
