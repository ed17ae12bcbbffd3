// The one place every domain's handlers are composed for a shell (server/app.ts and
// electron/services.ts call it with their store, engine client and paths). Adding a
// domain means adding it here once; both shells then serve it.
import type { HandlersOf } from "../api/rpc.ts";
import type { LatheContract } from "../api/contract.ts";
import type { DataPaths, SystemInfo } from "../api/system.ts";
import type { Engine } from "../engine/port.ts";
import type { EngineStatus } from "../engine/types.ts";
import type { LatheStores } from "../history/ports.ts";
import { adaptersHandlers } from "./adapters.ts";
import { chatHandlers } from "./chat.ts";
import type { CritiqueStore } from "../critique/ports.ts";
import { critiqueHandlers } from "./critique.ts";
import type { EvaluationStore } from "../evaluation/ports.ts";
import { evaluationHandlers } from "./evaluation.ts";
import type { ForgettingStore } from "../evaluation/forgetting.ts";
import { forgettingHandlers } from "./forgetting.ts";
import { feedbackHandlers } from "./feedback.ts";
import { EngineSessions } from "./EngineSessions.ts";
import { engineBuildHandlers, type EngineBuildPort } from "./engineBuild.ts";
import { memoryProviderStore, ProviderRegistry, providersHandlers, type ProviderStore, type RemoteBackend } from "./providers.ts";
import { RoutedEngine } from "./RoutedEngine.ts";
import type { FilesPort } from "./files.ts";
import { historyHandlers } from "./history.ts";
import { inspectHandlers } from "./inspect.ts";
import { modelsHandlers } from "./models.ts";
import { downloadsHandlers, type DownloadPort } from "./downloads.ts";
import { installBuiltinPresets, presetsHandlers } from "./presets.ts";
import { samplingHandlers } from "./sampling.ts";
import { systemHandlers } from "./system.ts";

/** What a shell provides. */
export interface LatheServicesDeps {
  stores: LatheStores;
  engine: Engine;
  files: FilesPort;
  paths: DataPaths;
  appVersion: string;
  shell: SystemInfo["shell"];
  /** `platform-arch` of the shell process. */
  platform: string;
  /** node-llama-cpp's version as installed (known before the engine starts). */
  nodeLlamaCppVersion: string;
  /** Threads the engine was configured with (null = physical cores). */
  threads: number | null;
  /** Constitutions, critique runs, comparisons and preferences (db/critique.ts). */
  critique: CritiqueStore;
  /** Evaluation datasets, suites, runs and per-item results (db/evaluation.ts). */
  evaluation: EvaluationStore;
  /** Builds llama.cpp for this machine and switches the engine library (engine/build/EngineBuilder.ts). Default: none (engineBuild answers `unavailable`). */
  engineBuild?: EngineBuildPort | null;
  /** Remote OpenAI-compatible providers (db/providers.ts). Default: kept in memory only. */
  providers?: ProviderStore;
  /** HTTP access to remote providers (engine/remote). Default: none (remote models are unavailable). */
  remote?: RemoteBackend;
  /** The model download process (engine/download/DownloadClient.ts). Default: none (downloads answer `unavailable`). */
  downloads?: DownloadPort;
  /** Forgetting-check reports (db/forgetting.ts). */
  forgetting: ForgettingStore;
}

/** The handlers both shells serve (the desktop shell adds `desktop`). */
export type SharedHandlers = Omit<HandlersOf<LatheContract>, "desktop">;

export interface LatheServices {
  /** Every domain but `desktop`, which only the desktop shell adds. */
  handlers: SharedHandlers;
  sessions: EngineSessions;
  info(): SystemInfo;
  dispose(): void;
}

export async function createLatheServices(deps: LatheServicesDeps): Promise<LatheServices> {
  const { stores, engine } = deps;
  await installBuiltinPresets(stores.presets);
  const providerStore = deps.providers ?? memoryProviderStore();
  const providers = new ProviderRegistry(providerStore, stores.models, deps.remote ?? null);
  // Remote catalog models (remote://provider/model) load and generate through their provider.
  const sessions = new EngineSessions(new RoutedEngine(engine, (id) => providers.engineFor(id)));
  let lastStatus: EngineStatus | null = null;
  const off = engine.onEvent((e) => {
    if (e.type === "stopped") lastStatus = null;
  });
  const info = (): SystemInfo => ({
    appVersion: deps.appVersion,
    shell: deps.shell,
    platform: deps.platform,
    engine: lastStatus
      ? {
          nodeLlamaCppVersion: lastStatus.nodeLlamaCppVersion,
          llamaCppRelease: lastStatus.llamaCppRelease,
          backend: lastStatus.backend,
          backendReason: lastStatus.backendReason,
          devices: lastStatus.devices,
          threads: lastStatus.threads,
        }
      : {
          nodeLlamaCppVersion: deps.nodeLlamaCppVersion,
          llamaCppRelease: null,
          backend: null,
          backendReason: "the engine starts when a model is first loaded",
          devices: [],
          threads: deps.threads ?? 0,
        },
    paths: deps.paths,
    domains: Object.keys(handlers),
  });
  // One evaluation service: the forgetting check runs its suites through it.
  const evaluation = evaluationHandlers({ evaluation: deps.evaluation, models: stores.models, adapters: stores.adapters, sessions, providers });
  const handlers: SharedHandlers = {
    system: systemHandlers({ info }),
    engine: {
      async status() {
        lastStatus = await engine.status();
        return lastStatus;
      },
    },
    engineBuild: engineBuildHandlers(deps.engineBuild ?? null),
    models: {
      ...modelsHandlers({ models: stores.models, adapters: stores.adapters, sessions, files: deps.files, paths: deps.paths }),
      ...downloadsHandlers({ models: stores.models, adapters: stores.adapters, sessions, files: deps.files, paths: deps.paths, downloads: deps.downloads ?? null }),
      ...inspectHandlers({ models: stores.models, files: deps.files, engine: sessions.engine }),
    },
    history: historyHandlers({ history: stores.history, models: stores.models }),
    presets: presetsHandlers(stores.presets),
    chat: chatHandlers({
      history: stores.history,
      models: stores.models,
      presets: stores.presets,
      sessions,
      appVersion: deps.appVersion,
    }),
    sampling: samplingHandlers({
      history: stores.history,
      models: stores.models,
      presets: stores.presets,
      templates: stores.templates,
      sessions,
      appVersion: deps.appVersion,
    }),
    adapters: {
      ...adaptersHandlers({ adapters: stores.adapters, models: stores.models, history: stores.history, presets: stores.presets, sessions, files: deps.files, paths: deps.paths }),
      ...forgettingHandlers({ evaluation, evaluationStore: deps.evaluation, store: deps.forgetting, models: stores.models, adapters: stores.adapters, presets: stores.presets }),
    },
    critique: critiqueHandlers({ critique: deps.critique, models: stores.models, presets: stores.presets, sessions, appVersion: deps.appVersion, files: deps.files }),
    evaluation,
    providers: providersHandlers({ store: providerStore, models: stores.models, registry: providers }),
    feedback: feedbackHandlers({ critique: deps.critique, models: stores.models, presets: stores.presets, sessions, appVersion: deps.appVersion }),
  };
  return {
    handlers,
    sessions,
    info,
    dispose() {
      off();
      sessions.dispose();
      providers.dispose();
    },
  };
}
