// The desktop shell's composition root: the same core services `lathe serve` uses
// (core/services/handlers.ts), over the same store, with the engine host forked as an
// Electron utilityProcess from the bundled host entry (out/main/engineHost.js).
import { dialog, utilityProcess } from "electron";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { DataPaths, HandlersOf, LatheContract } from "../core/api/index.ts";
import { createLatheServices } from "../core/services/handlers.ts";
import { openStore } from "../db/index.ts";
import { nodeFiles } from "../db/files.ts";
import { sqliteCritiqueStore } from "../db/critique.ts";
import { sqliteEvaluationStore } from "../db/evaluation.ts";
import { sqliteProviderStore } from "../db/providers.ts";
import { remoteBackend } from "../engine/remote/index.ts";
import { sqliteForgettingStore } from "../db/forgetting.ts";
import { EngineBuilder, readEngineSettings } from "../engine/build/EngineBuilder.ts";
import { EngineClient } from "../engine/client/EngineClient.ts";
import { utilityProcessLauncher } from "../engine/client/launcher.ts";
import { DownloadClient } from "../engine/download/DownloadClient.ts";
import { desktopHandlers } from "./desktop.ts";

/** Options for createDesktopServices. */
export interface DesktopServicesOptions {
  paths: DataPaths;
  /** app.getVersion(). */
  appVersion: string;
  /** CPU threads for llama.cpp; null = physical cores. Default: LATHE_THREADS or null. */
  threads?: number | null;
}

export interface DesktopServices {
  handlers: HandlersOf<LatheContract>;
  /** Stops the engine and closes the database. */
  dispose(): Promise<void>;
}

function nodeLlamaCppVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve("node-llama-cpp/package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export async function createDesktopServices(options: DesktopServicesOptions): Promise<DesktopServices> {
  const store = openStore({ path: options.paths.database });
  const envThreads = Number(process.env.LATHE_THREADS);
  const threads = options.threads ?? (Number.isInteger(envThreads) && envThreads > 0 ? envThreads : null);
  const hostEntry = join(import.meta.dirname, "engineHost.js");
  // The library setting (prebuilt or the build made on this machine) persists in <data>/engine.json.
  const engineSettingsFile = join(options.paths.home, "engine.json");
  const engine = new EngineClient({
    host: { threads, library: readEngineSettings(engineSettingsFile).library },
    launcher: utilityProcessLauncher((env) =>
      utilityProcess.fork(hostEntry, [], { env: { ...process.env, ...env }, stdio: "pipe", serviceName: "Lathe engine" }),
    ),
  });
  // Downloads run in a utility process of their own (out/main/downloadWorker.js), so they outlive engine restarts.
  const downloads = new DownloadClient({
    roots: [options.paths.models, options.paths.adapters],
    launcher: utilityProcessLauncher((env) =>
      utilityProcess.fork(join(import.meta.dirname, "downloadWorker.js"), [], { env: { ...process.env, ...env }, stdio: "pipe", serviceName: "Lathe downloads" }),
    ),
  });
  const engineBuild = new EngineBuilder({ engine, settingsFile: engineSettingsFile });
  const services = await createLatheServices({
    stores: store,
    engine,
    engineBuild,
    files: nodeFiles,
    paths: options.paths,
    appVersion: options.appVersion,
    shell: "electron",
    platform: `${process.platform}-${process.arch}`,
    nodeLlamaCppVersion: nodeLlamaCppVersion(),
    threads,
    critique: sqliteCritiqueStore(store.db, store.path),
    evaluation: sqliteEvaluationStore(store.db, store.path),
    providers: sqliteProviderStore(store.db),
    remote: remoteBackend,
    downloads,
    forgetting: sqliteForgettingStore(store.db, store.path),
  });
  return {
    handlers: { ...services.handlers, desktop: desktopHandlers((o) => dialog.showOpenDialog(o)) },
    async dispose() {
      services.dispose();
      await downloads.dispose();
      await engine.dispose();
      store.close();
    },
  };
}
