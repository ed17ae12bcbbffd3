// "Build the engine for this machine": compiles llama.cpp from the source node-llama-cpp
// bundles (its gitRelease.bundle; no network) with OpenMP and native CPU flags, in a child
// process running node-llama-cpp's own `source download` command, and switches the engine
// between that build and the prebuilt library (a persisted setting). Implements core's
// EngineBuildPort; the shells (server/app.ts, electron/) make one beside their EngineClient.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { setPriority } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { z } from "zod";
import type { EngineBuildState } from "../../core/api/engine.ts";
import type { EngineBuildPort } from "../../core/services/engineBuild.ts";
import { engineLocalBuildCmakeOptions, type EngineHostOptionsInput, type EngineLibrary, type EngineStatus } from "../../core/engine/types.ts";
import { patchAddonSources } from "./addonPatch.ts";
import { findLocalBuild, nodeLlamaCppDir } from "./localBuilds.ts";

/** What is persisted about the engine (a small JSON file in the data folder). */
export const engineSettingsSchema = z.object({
  /** Library the engine starts with. Default "prebuilt". */
  library: z.enum(["prebuilt", "localBuild"]).catch("prebuilt").default("prebuilt"),
});
export type EngineSettings = z.output<typeof engineSettingsSchema>;

/** Reads the engine settings file; a missing or unreadable file means the defaults. */
export function readEngineSettings(file: string): EngineSettings {
  try {
    return engineSettingsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return engineSettingsSchema.parse({});
  }
}

/** Writes the engine settings file (creating its folder). */
export function writeEngineSettings(file: string, settings: EngineSettings): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

/** The part of EngineClient the builder drives (restart on another library, then read status). */
export interface ReconfigurableEngine {
  readonly hostOptions: EngineHostOptionsInput;
  reconfigure(host: EngineHostOptionsInput): Promise<void>;
  status(): Promise<EngineStatus>;
}

/** Options for EngineBuilder. */
export interface EngineBuilderOptions {
  /** The engine client to restart on the chosen library. */
  engine: ReconfigurableEngine;
  /** The persisted settings file, e.g. <data>/engine.json. */
  settingsFile: string;
  /** node-llama-cpp's package folder. Default: resolved from this module. */
  packageDir?: string;
  /** Node binary that runs node-llama-cpp's CLI. Default process.execPath (with ELECTRON_RUN_AS_NODE=1, so Electron's binary works too). */
  execPath?: string;
  /** Extra environment for the build. Default {}. */
  env?: Record<string, string>;
  /** Scheduling niceness of the build (compilers inherit it), so the app stays responsive. Default 10. */
  niceness?: number;
  /** CMake options of the build; the engine's localBuildCmakeOptions must match. Default engineLocalBuildCmakeOptions. */
  cmakeOptions?: Readonly<Record<string, string>>;
  /** Lathe's native entry points added to the addon (engine/native/LatheExtensions.cpp); null builds without them. Default: that file. */
  extensionsSource?: string | null;
}

function onPath(names: string[]): string | null {
  const exts = process.platform === "win32" ? ["", ".exe", ".cmd"] : [""];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const name of names) for (const ext of exts) if (existsSync(join(dir, name + ext))) return join(dir, name + ext);
  }
  return null;
}

export class EngineBuilder implements EngineBuildPort {
  private readonly packageDir: string;
  private readonly cmakeOptions: Readonly<Record<string, string>>;

  constructor(private readonly options: EngineBuilderOptions) {
    this.packageDir = options.packageDir ?? nodeLlamaCppDir();
    this.cmakeOptions = options.cmakeOptions ?? engineLocalBuildCmakeOptions;
  }

  /** The library setting as persisted (what the shell starts its EngineClient with). */
  get library(): EngineLibrary {
    return readEngineSettings(this.options.settingsFile).library;
  }

  /** Why a build cannot run here, or null. */
  unavailableReason(): string | null {
    if (!existsSync(join(this.packageDir, "llama", "gitRelease.bundle"))) return `node-llama-cpp's bundled llama.cpp source is missing (${join(this.packageDir, "llama", "gitRelease.bundle")})`;
    if (!existsSync(join(this.packageDir, "dist", "cli", "cli.js"))) return `node-llama-cpp's CLI is missing (${join(this.packageDir, "dist", "cli", "cli.js")})`;
    if (!onPath(["cmake"])) return "cmake was not found on PATH (install cmake 3.19 or newer)";
    if (!onPath(process.platform === "win32" ? ["cl", "clang-cl", "g++"] : ["c++", "g++", "clang++"])) return "no C++ compiler was found on PATH (install g++ or clang)";
    return null;
  }

  async state(): Promise<Omit<EngineBuildState, "running" | "lastBuild">> {
    const reason = this.unavailableReason();
    const found = findLocalBuild(this.cmakeOptions, this.packageDir);
    return {
      available: reason === null,
      unavailableReason: reason,
      library: this.library,
      localBuild: found ? { folder: found.folder, path: found.path, cmakeOptions: found.cmakeOptions, release: found.release, builtAt: found.builtAt } : null,
    };
  }

  /** The command the build runs, for docs and logs: node <cli> source download --gpu false with NODE_LLAMA_CPP_CMAKE_OPTION_* set. */
  command(): { file: string; args: string[]; env: Record<string, string> } {
    const env: Record<string, string> = { ELECTRON_RUN_AS_NODE: "1", FORCE_COLOR: "0", NO_COLOR: "1" };
    for (const [k, v] of Object.entries(this.cmakeOptions)) env[`NODE_LLAMA_CPP_CMAKE_OPTION_${k}`] = v;
    return {
      file: this.options.execPath ?? process.execPath,
      args: [join(this.packageDir, "dist", "cli", "cli.js"), "source", "download", "--gpu", "false", "--noUsageExample"],
      env: { ...env, ...(this.options.env ?? {}) },
    };
  }

  build(onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error("build cancelled"));
      if (this.options.extensionsSource !== null) {
        try {
          onLine(patchAddonSources(this.packageDir, this.options.extensionsSource).message);
        } catch (err) {
          onLine(`Lathe extensions skipped: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const { file, args, env } = this.command();
      const posix = process.platform !== "win32";
      const child = spawn(file, args, {
        cwd: this.packageDir,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        // Own process group, so Cancel stops cmake and the compilers too, not just node.
        detached: posix,
      });
      if (child.pid !== undefined) {
        try {
          setPriority(child.pid, this.options.niceness ?? 10);
        } catch {
          /* not permitted here: build at normal priority */
        }
      }
      const tail: string[] = [];
      const partial = { stdout: "", stderr: "" };
      const feed = (stream: "stdout" | "stderr", text: string) => {
        const parts = (partial[stream] + text).split(/\r\n|\n|\r/);
        partial[stream] = parts.pop() ?? "";
        for (const line of parts) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 200) tail.shift();
          onLine(line);
        }
      };
      child.stdout.setEncoding("utf8").on("data", (t: string) => feed("stdout", t));
      child.stderr.setEncoding("utf8").on("data", (t: string) => feed("stderr", t));
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (posix && child.pid !== undefined) process.kill(-child.pid, sig);
          else child.kill(sig);
        } catch {
          /* already gone */
        }
      };
      const onAbort = () => {
        kill("SIGTERM");
        killTimer = setTimeout(() => kill("SIGKILL"), 3000);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      // A detached group outlives its parent: stop the compilers when the shell exits mid-build.
      const onParentExit = () => kill("SIGKILL");
      process.once("exit", onParentExit);
      child.on("error", (err) => {
        signal.removeEventListener("abort", onAbort);
        process.removeListener("exit", onParentExit);
        reject(new Error(`could not start the build (${file}): ${err.message}`));
      });
      child.on("close", (code, sig) => {
        clearTimeout(killTimer);
        process.removeListener("exit", onParentExit);
        signal.removeEventListener("abort", onAbort);
        for (const s of ["stdout", "stderr"] as const) if (partial[s].trim()) onLine(partial[s]);
        if (signal.aborted) return reject(new Error("build cancelled"));
        if (code === 0) return resolve();
        // The most telling line: a compiler or cmake error, else the last line printed.
        const clean = tail.map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").trim()).filter(Boolean);
        const telling = [...clean].reverse().find((l) => /error|failed|not found/i.test(l)) ?? clean.at(-1) ?? "no output";
        reject(new Error(`the build stopped (${sig ? `signal ${sig}` : `exit code ${code}`}): ${telling.slice(0, 400)}`));
      });
    });
  }

  async setLibrary(library: EngineLibrary): Promise<{ buildType: "prebuilt" | "localBuild"; libraryReason: string }> {
    writeEngineSettings(this.options.settingsFile, { library });
    const engine = this.options.engine;
    await engine.reconfigure({ ...engine.hostOptions, library, localBuildCmakeOptions: { ...this.cmakeOptions } });
    const s = await engine.status();
    return { buildType: s.buildType, libraryReason: s.libraryReason ?? "" };
  }
}
