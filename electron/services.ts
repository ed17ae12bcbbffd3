// The desktop shell's composition root: the same core handlers `lathe serve` uses,
// over the same store and an engine host started as an Electron utilityProcess.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { DataPaths, HandlersOf, LatheContract, SystemInfo } from "../core/api/index.ts";
import { systemHandlers } from "../core/services/system.ts";

/** Options for createDesktopServices. */
export interface DesktopServicesOptions {
  paths: DataPaths;
  /** app.getVersion(). */
  appVersion: string;
}

export interface DesktopServices {
  handlers: Partial<HandlersOf<LatheContract>>;
  /** Stops the engine and closes the database. */
  dispose(): Promise<void>;
}

function nodeLlamaCppVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve("node-llama-cpp/package.json");
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export async function createDesktopServices(options: DesktopServicesOptions): Promise<DesktopServices> {
  const version = nodeLlamaCppVersion();
  const handlers: Partial<HandlersOf<LatheContract>> = {};
  const info = (): SystemInfo => ({
    appVersion: options.appVersion,
    shell: "electron",
    platform: `${process.platform}-${process.arch}`,
    engine: {
      nodeLlamaCppVersion: version,
      llamaCppRelease: null,
      backend: null,
      backendReason: "the engine starts when a model is first loaded",
      devices: [],
      threads: 0,
    },
    paths: options.paths,
    domains: Object.keys(handlers),
  });
  handlers.system = systemHandlers({ info });
  return { handlers, dispose: async () => undefined };
}
