// `lathe serve`'s composition root: resolves the data folder, builds the domain handlers
// over the store and the engine, and serves them to every authenticated WebSocket.
import { mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { contract, serveApi, type HandlersOf, type LatheContract, type SystemInfo } from "../core/api/index.ts";
import { resolveDataPaths } from "../core/paths.ts";
import { systemHandlers } from "../core/services/system.ts";
import { startHttpServer, type RunningHttpServer } from "./http.ts";

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
}

export interface RunningLathe {
  http: RunningHttpServer;
  info(): SystemInfo;
  close(): Promise<void>;
}

function packageVersion(pkgJson: string): string {
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

  const appVersion = packageVersion(join(repoRoot, "package.json"));
  const nodeLlamaCppVersion = packageVersion(join(repoRoot, "node_modules", "node-llama-cpp", "package.json"));
  const info = (): SystemInfo => ({
    appVersion,
    shell: "browser",
    platform: `${process.platform}-${process.arch}`,
    engine: {
      nodeLlamaCppVersion,
      llamaCppRelease: null,
      backend: null,
      backendReason: "the engine starts when a model is first loaded",
      devices: [],
      threads: 0,
    },
    paths,
    domains: Object.keys(handlers),
  });
  const handlers: Partial<HandlersOf<LatheContract>> = {
    system: systemHandlers({ info }),
  };

  const servers = new Set<{ dispose(): void }>();
  const http = await startHttpServer({
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    allowRemote: options.allowRemote ?? false,
    staticDir: options.staticDir === undefined ? join(repoRoot, "out", "renderer") : options.staticDir,
    ...(options.token ? { token: options.token } : {}),
    onConnection(channel) {
      const s = serveApi(contract, handlers, channel);
      servers.add(s);
      channel.onClose(() => {
        s.dispose();
        servers.delete(s);
      });
    },
  });
  return {
    http,
    info,
    async close() {
      for (const s of servers) s.dispose();
      await http.close();
    },
  };
}
