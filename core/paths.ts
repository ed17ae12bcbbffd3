// Where Lathe keeps its data, computed from the environment the shell passes in (core
// reads no env itself). Both shells use the same folder, so the desktop app and
// `lathe serve` share one history: LATHE_HOME wins, else the OS's app-data folder.
import type { DataPaths } from "./api/system.ts";

/** What resolveDataPaths needs from the process. */
export interface DataPathsInput {
  /** `process.platform`. */
  platform: string;
  /** Environment variables (LATHE_HOME, XDG_CONFIG_HOME, APPDATA). */
  env: Record<string, string | undefined>;
  /** The user's home folder. */
  homedir: string;
  /** An explicit data folder (`--data DIR`); beats LATHE_HOME. */
  override?: string;
}

function join(sep: string, ...parts: string[]): string {
  return parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, "") : p.replace(/^[\\/]+|[\\/]+$/g, ""))).join(sep);
}

export function resolveDataPaths(input: DataPathsInput): DataPaths {
  const sep = input.platform === "win32" ? "\\" : "/";
  const home =
    input.override ||
    input.env.LATHE_HOME ||
    (input.platform === "darwin"
      ? join(sep, input.homedir, "Library", "Application Support", "Lathe")
      : input.platform === "win32"
        ? join(sep, input.env.APPDATA || join(sep, input.homedir, "AppData", "Roaming"), "Lathe")
        : join(sep, input.env.XDG_CONFIG_HOME || join(sep, input.homedir, ".config"), "Lathe"));
  return {
    home,
    models: join(sep, home, "models"),
    adapters: join(sep, home, "adapters"),
    database: join(sep, home, "lathe.sqlite"),
  };
}
