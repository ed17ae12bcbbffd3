// `lathe serve`'s composition root: resolves the data folder, opens the store, starts
// the engine client (host as a child process), composes the domain handlers and serves
// them to every authenticated WebSocket.
import { mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { contract, serveApi, type SystemInfo } from "../core/api/index.ts";
import { resolveDataPaths } from "../core/paths.ts";
import { createLatheServices } from "../core/services/handlers.ts";
import { openStore, type SqliteStore } from "../db/index.ts";
import { nodeFiles } from "../db/files.ts";
import { sqliteCritiqueStore } from "../db/critique.ts";
import { sqliteEvaluationStore } from "../db/evaluation.ts";
import { sqliteProviderStore } from "../db/providers.ts";
import { remoteBackend } from "../engine/remote/index.ts";
import { sqliteForgettingStore } from "../db/forgetting.ts";
import { EngineClient } from "../engine/client/EngineClient.ts";
import { EngineBuilder, readEngineSettings } from "../engine/build/EngineBuilder.ts";
import { DownloadClient } from "../engine/download/DownloadClient.ts";
import { startHttpServer, type RunningHttpServer } from "./http.ts";
import { openAiRoutes } from "./openai.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Options for startLathe. */
export interface StartLatheOptions {
  /** Data folder; default LATHE_HOME or the OS app-data folder. */
  dataDir?: string;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 = any free port. Default 0. */
  port?: number;
  /** Needed to listen on a non-loopback interface. Default false. */
  allowRemote?: boolean;
  /** Built renderer folder. Default <repo>/out/renderer. */
  staticDir?: string | null;
  /** Fixed token (tests); random per launch otherwise. */
  token?: string;
  /** CPU threads for llama.cpp. Default: LATHE_THREADS, else the physical cores. */
  threads?: number;
  /** Hugging Face endpoint for hf: downloads (tests point it at a local server). Default: node-llama-cpp's (MODEL_ENDPOINT / HF_ENDPOINT, else huggingface.co). */
  hfEndpoint?: string;
}

export interface RunningLathe {
  http: RunningHttpServer;
  /** The engine client (tests kill its host to check crash recovery). */
  engine: EngineClient;
  /** The history store. */
  store: SqliteStore;
  info(): SystemInfo;
  close(): Promise<void>;
}

export function packageVersion(pkgJson: string): string {
  try {
    return (JSON.parse(readFileSync(pkgJson, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export async function startLathe(options: StartLatheOptions = {}): Promise<RunningLathe> {
  const paths = resolveDataPaths({
    platform: process.platform,
    env: process.env,
    homedir: homedir(),
    ...(options.dataDir ? { override: resolve(options.dataDir) } : {}),
  });
  for (const dir of [paths.home, paths.models, paths.adapters]) mkdirSync(dir, { recursive: true });

  const store = openStore({ path: paths.database });
  const envThreads = Number(process.env.LATHE_THREADS);
  const threads = options.threads ?? (Number.isInteger(envThreads) && envThreads > 0 ? envThreads : null);
  // The library setting (prebuilt or the build made on this machine) persists in <data>/engine.json.
  const engineSettingsFile = join(paths.home, "engine.json");
  const engine = new EngineClient({ host: { threads, library: readEngineSettings(engineSettingsFile).library } });
  const engineBuild = new EngineBuilder({ engine, settingsFile: engineSettingsFile });
  // Downloads run in a process of their own, so they outlive engine restarts.
  const downloads = new DownloadClient({ roots: [paths.models, paths.adapters], ...(options.hfEndpoint ? { hfEndpoint: options.hfEndpoint } : {}) });
  const services = await createLatheServices({
    stores: store,
    engine,
    engineBuild,
    files: nodeFiles,
    paths,
    appVersion: packageVersion(join(repoRoot, "package.json")),
    shell: "browser",
    platform: `${process.platform}-${process.arch}`,
    nodeLlamaCppVersion: packageVersion(join(repoRoot, "node_modules", "node-llama-cpp", "package.json")),
    threads,
    critique: sqliteCritiqueStore(store.db, store.path),
    evaluation: sqliteEvaluationStore(store.db, store.path),
    providers: sqliteProviderStore(store.db),
    remote: remoteBackend,
    downloads,
    forgetting: sqliteForgettingStore(store.db, store.path),
  });

  const servers = new Set<{ dispose(): void }>();
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 0,
      allowRemote: options.allowRemote ?? false,
      staticDir: options.staticDir === undefined ? join(repoRoot, "out", "renderer") : options.staticDir,
      ...(options.token ? { token: options.token } : {}),
      onRequest: openAiRoutes({ models: store.models, adapters: store.adapters, sessions: services.sessions, engine: services.sessions.engine }),
      onConnection(channel) {
        const s = serveApi(contract, services.handlers, channel);
        servers.add(s);
        channel.onClose(() => {
          s.dispose();
          servers.delete(s);
        });
      },
    });
  } catch (err) {
    services.dispose();
    await downloads.dispose();
    await engine.dispose();
    store.close();
    throw err;
  }
  return {
    http,
    engine,
    store,
    info: services.info,
    async close() {
      for (const s of servers) s.dispose();
      await http.close();
      services.dispose();
      await downloads.dispose();
      await engine.dispose();
      store.close();
    },
  };
}
