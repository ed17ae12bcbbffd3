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
import { EngineClient } from "../engine/client/EngineClient.ts";
import { utilityProcessLauncher } from "../engine/client/launcher.ts";
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
  const engine = new EngineClient({
    host: { threads },
    launcher: utilityProcessLauncher((env) =>
      utilityProcess.fork(hostEntry, [], { env: { ...process.env, ...env }, stdio: "pipe", serviceName: "Lathe engine" }),
    ),
  });
  const services = await createLatheServices({
    stores: store,
    engine,
    files: nodeFiles,
    paths: options.paths,
    appVersion: options.appVersion,
    shell: "electron",
    platform: `${process.platform}-${process.arch}`,
    nodeLlamaCppVersion: nodeLlamaCppVersion(),
    threads,
    critique: sqliteCritiqueStore(store.db, store.path),
    evaluation: sqliteEvaluationStore(store.db, store.path),
  });
  return {
    handlers: { ...services.handlers, desktop: desktopHandlers((o) => dialog.showOpenDialog(o)) },
    async dispose() {
      services.dispose();
      await engine.dispose();
      store.close();
    },
  };
}
