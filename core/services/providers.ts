// Remote providers: the store port, the port a shell implements to talk HTTP to them
// (engine/remote), the registry that hands out one remote Engine per provider and keeps
// the catalog rows of remote models in step, and the handlers of the `providers` domain.
// Composed by core/services/handlers.ts; the registry also answers evaluation's
// "can this model run this task" and EngineSessions' routing (through RoutedEngine).
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import {
  maskApiKey,
  parseRemoteModelPath,
  remoteModelPath,
  type Provider,
  type ProviderCapabilities,
  type ProviderInput,
  type ProviderTest,
  type providersApi,
} from "../api/providers.ts";
import type { Engine } from "../engine/port.ts";
import type { ModelStore } from "../history/ports.ts";
import type { ModelRecord } from "../history/types.ts";
import type { TaskType } from "../evaluation/types.ts";

/** A stored provider, key in clear (never sent to the renderer). */
export interface ProviderRecord {
  id: string;
  name: string;
  /** Base URL without trailing slash. */
  baseUrl: string;
  /** Bearer key as given; null = none. */
  apiKey: string | null;
  /** Requests evaluation runs keep in flight (1..64). */
  concurrency: number;
  /** Last connection test; null until tested. */
  lastTest: ProviderTest | null;
  createdAt: number;
  updatedAt: number;
}

/** What update may change; apiKey null clears the key. */
export interface ProviderRecordPatch {
  name?: string;
  baseUrl?: string;
  apiKey?: string | null;
  concurrency?: number;
}

/** Providers in SQLite (db/providers.ts). */
export interface ProviderStore {
  /** By name. */
  listProviders(): Promise<ProviderRecord[]>;
  getProvider(id: string): Promise<ProviderRecord | null>;
  /** Rejects with a conflict StoreError when the name is taken. */
  addProvider(input: { name: string; baseUrl: string; apiKey: string | null; concurrency: number }): Promise<ProviderRecord>;
  updateProvider(id: string, patch: ProviderRecordPatch): Promise<ProviderRecord>;
  /** Stores a connection test result. */
  saveProviderTest(id: string, test: ProviderTest): Promise<ProviderRecord>;
  removeProvider(id: string): Promise<boolean>;
}

/** What a remote engine needs to know about its provider. */
export interface ProviderConnection {
  id: string;
  name: string;
  baseUrl: string;
  apiKey: string | null;
  concurrency: number;
  /** From the last test; null = never tested (optional features are then not asked for). */
  capabilities: ProviderCapabilities | null;
}

/** HTTP access to remote providers, implemented by engine/remote (needs fetch). */
export interface RemoteBackend {
  /** An Engine for the provider's models (generation only; other calls reject naming the missing capability). */
  engine(provider: ProviderConnection): Engine;
  /** Lists the models and probes capabilities with `model` (default: the first listed). Never throws: failures are in the result. */
  test(provider: ProviderConnection, options?: { model?: string; signal?: AbortSignal }): Promise<ProviderTest>;
}

const connectionOf = (p: ProviderRecord): ProviderConnection => ({
  id: p.id,
  name: p.name,
  baseUrl: p.baseUrl,
  apiKey: p.apiKey,
  concurrency: p.concurrency,
  capabilities: p.lastTest?.capabilities ?? null,
});

/** The catalog rows of one provider's models. */
const rowsOf = (all: ModelRecord[], providerId: string) => all.filter((m) => parseRemoteModelPath(m.filePath)?.providerId === providerId);

/** One remote Engine per provider (remade when the provider changes), plus catalog upkeep. */
export class ProviderRegistry {
  private readonly engines = new Map<string, { stamp: string; engine: Engine }>();

  constructor(
    private readonly store: ProviderStore,
    private readonly models: ModelStore,
    private readonly backend: RemoteBackend | null,
  ) {}

  /** Whether this shell can reach remote providers at all. */
  get available(): boolean {
    return this.backend !== null;
  }

  private requireBackend(): RemoteBackend {
    if (!this.backend) throw new ApiError("unavailable", "This shell cannot reach remote providers.");
    return this.backend;
  }

  /** The provider or a not_found error naming the id. */
  async provider(id: string): Promise<ProviderRecord> {
    const p = await this.store.getProvider(id);
    if (!p) throw new ApiError("not_found", `No provider with id ${id} (it may have been removed in Settings).`);
    return p;
  }

  /** The Engine serving a provider's models (for RoutedEngine). */
  async engineFor(providerId: string): Promise<Engine> {
    const p = await this.provider(providerId);
    const stamp = JSON.stringify([p.updatedAt, p.baseUrl, p.apiKey, p.concurrency, p.lastTest?.at ?? 0]);
    const have = this.engines.get(p.id);
    if (have && have.stamp === stamp) return have.engine;
    // The old engine is not disposed: requests in flight on it (a running evaluation) finish with the settings they started with.
    const engine = this.requireBackend().engine(connectionOf(p));
    this.engines.set(p.id, { stamp, engine });
    return engine;
  }

  /** Tests the connection, stores the result and puts the listed models in the catalog. */
  async test(id: string, model?: string, signal?: AbortSignal): Promise<ProviderRecord> {
    const p = await this.provider(id);
    const result = await this.requireBackend().test(connectionOf(p), { ...(model ? { model } : {}), ...(signal ? { signal } : {}) });
    const saved = await this.store.saveProviderTest(id, result);
    if (result.ok) await this.syncCatalog(saved, result.models);
    return saved;
  }

  /** Upserts catalog rows for `models` (all of the provider's listed models) and drops rows no longer listed. */
  async syncCatalog(p: ProviderRecord, models: readonly string[]): Promise<void> {
    const keep = new Set(models.map((m) => remoteModelPath(p.id, m)));
    for (const row of rowsOf(await this.models.listModels(), p.id)) if (!keep.has(row.filePath)) await this.models.removeModel(row.id);
    for (const m of models) {
      await this.models.upsertModel({
        filePath: remoteModelPath(p.id, m),
        name: `${p.name} / ${m}`,
        sha256: null,
        sizeBytes: 0,
        metadata: { remote: true, providerId: p.id, provider: p.name, baseUrl: p.baseUrl, remoteModel: m },
      });
    }
  }

  /** Removes the provider's catalog rows (conversations keep the model's name). */
  async dropCatalog(providerId: string): Promise<void> {
    for (const row of rowsOf(await this.models.listModels(), providerId)) await this.models.removeModel(row.id);
  }

  /** The provider behind a catalog model; null for a local model. */
  async providerOfModel(record: ModelRecord): Promise<ProviderRecord | null> {
    const remote = parseRemoteModelPath(record.filePath);
    return remote ? this.provider(remote.providerId) : null;
  }

  /**
   * Why `task` cannot run on this model, or null when it can. Log-likelihood tasks need
   * prompt log-probabilities, which only a successful probe proves.
   */
  async refusal(record: ModelRecord, task: TaskType): Promise<string | null> {
    const p = await this.providerOfModel(record);
    if (!p || task === "generation") return null;
    const probe = p.lastTest?.capabilities?.promptLogprobs;
    if (probe?.supported) return null;
    const why = probe ? `its probe said: ${probe.detail}` : "it has not been tested yet";
    return `${p.name} cannot score ${task === "multiple_choice" ? "multiple-choice" : "perplexity"} items: log-likelihood scoring needs prompt log-probabilities (echo + logprobs on /v1/completions), and ${why}. Run a generation suite on it, or score with a local model.`;
  }

  dispose(): void {
    for (const { engine } of this.engines.values()) void engine.dispose().catch(() => undefined);
    this.engines.clear();
  }
}

/** The renderer's view of a provider: key masked, catalog models attached. */
export function providerView(p: ProviderRecord, catalog: ModelRecord[]): Provider {
  return {
    id: p.id,
    name: p.name,
    baseUrl: p.baseUrl,
    apiKeyMasked: maskApiKey(p.apiKey),
    concurrency: p.concurrency,
    lastTest: p.lastTest,
    models: rowsOf(catalog, p.id).map((m) => ({ catalogId: m.id, remoteModel: parseRemoteModelPath(m.filePath)!.model, label: m.name })),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** What the providers handlers need. */
export interface ProvidersDeps {
  store: ProviderStore;
  models: ModelStore;
  registry: ProviderRegistry;
}

export function providersHandlers(deps: ProvidersDeps): DomainHandlers<typeof providersApi> {
  const { store, registry } = deps;
  const view = async (p: ProviderRecord) => providerView(p, await deps.models.listModels());
  const keyOf = (k: string | null | undefined) => (k ? k : null);
  return {
    async list() {
      const catalog = await deps.models.listModels();
      return (await store.listProviders()).map((p) => providerView(p, catalog));
    },
    async add(input: ProviderInput) {
      return view(await store.addProvider({ name: input.name, baseUrl: input.baseUrl, apiKey: keyOf(input.apiKey), concurrency: input.concurrency }));
    },
    async update(input) {
      await registry.provider(input.id);
      const updated = await store.updateProvider(input.id, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.baseUrl !== undefined ? { baseUrl: input.baseUrl } : {}),
        ...(input.apiKey !== undefined ? { apiKey: keyOf(input.apiKey) } : {}),
        ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      });
      // Renames and new URLs show in the catalog at once; the model list stays that of the last test.
      const models = updated.lastTest?.ok ? updated.lastTest.models : [];
      if (models.length) await registry.syncCatalog(updated, models);
      return view(updated);
    },
    async remove(input) {
      await registry.dropCatalog(input.id);
      return { removed: await store.removeProvider(input.id) };
    },
    async test(input, ctx) {
      return view(await registry.test(input.id, input.model, ctx.signal));
    },
  };
}

/** A ProviderStore in memory, for shells without a database table for providers and for unit tests. */
export function memoryProviderStore(): ProviderStore {
  const rows = new Map<string, ProviderRecord>();
  const taken = (name: string, except?: string) => [...rows.values()].some((p) => p.name.toLowerCase() === name.toLowerCase() && p.id !== except);
  const need = (id: string) => {
    const p = rows.get(id);
    if (!p) throw new ApiError("not_found", `No provider with id ${id}.`);
    return p;
  };
  return {
    listProviders: async () => [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)),
    getProvider: async (id) => rows.get(id) ?? null,
    async addProvider(input) {
      if (taken(input.name)) throw new ApiError("conflict", `A provider named "${input.name}" exists already; choose another name.`);
      const t = Date.now();
      const p: ProviderRecord = { id: crypto.randomUUID(), ...input, lastTest: null, createdAt: t, updatedAt: t };
      rows.set(p.id, p);
      return p;
    },
    async updateProvider(id, patch) {
      const p = need(id);
      if (patch.name !== undefined && taken(patch.name, id)) throw new ApiError("conflict", `A provider named "${patch.name}" exists already; choose another name.`);
      const next = { ...p, ...patch, updatedAt: Math.max(Date.now(), p.updatedAt + 1) };
      if (next.baseUrl !== p.baseUrl || next.apiKey !== p.apiKey) next.lastTest = null;
      rows.set(id, next);
      return next;
    },
    async saveProviderTest(id, test) {
      const next = { ...need(id), lastTest: test };
      rows.set(id, next);
      return next;
    },
    removeProvider: async (id) => rows.delete(id),
  };
}
