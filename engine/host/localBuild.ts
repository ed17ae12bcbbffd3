// Starts llama.cpp from the build made on this machine ("build the engine for this
// machine" in Settings) when the host options ask for it, and otherwise says why not.
// HostRuntime.create calls it before the prebuilt path; a null `llama` means "use the
// prebuilt library", and `reason` is what status shows either way.
import { getLlama, type Llama, type LlamaLogLevel } from "node-llama-cpp";
import { engineLocalBuildCmakeOptions, type EngineHostOptions } from "../../core/engine/types.ts";
import { describeCmakeOptions, findLocalBuild, localBuildsDir } from "../build/localBuilds.ts";

/** What tryLocalBuild found. */
export interface LocalBuildAttempt {
  /** The started local build; null = use the prebuilt library. */
  llama: Llama | null;
  /** Which library and why, for people. */
  reason: string;
}

/** Logging the host already uses for llama.cpp. */
export interface LocalBuildLogging {
  logLevel: LlamaLogLevel;
  logger: (level: LlamaLogLevel, message: string) => void;
}

/** node-llama-cpp reports why a local build failed to load only on the console; keep those lines while it tries. */
async function withConsoleCapture<T>(run: () => Promise<T>): Promise<{ value: T | null; error: unknown; lines: string[] }> {
  const lines: string[] = [];
  const { error: origError, warn: origWarn } = console;
  const keep =
    (orig: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      lines.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" "));
      orig(...args);
    };
  console.error = keep(origError);
  console.warn = keep(origWarn);
  try {
    return { value: await run(), error: null, lines };
  } catch (error) {
    return { value: null, error, lines };
  } finally {
    console.error = origError;
    console.warn = origWarn;
  }
}

// node-llama-cpp prefixes its console lines with a coloured "[node-llama-cpp]".
const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "").replace(/^\[node-llama-cpp\]\s*/, "").trim();

/** Loads the local build the options name, or explains why the prebuilt library is used instead. */
export async function tryLocalBuild(options: EngineHostOptions, logging: LocalBuildLogging): Promise<LocalBuildAttempt> {
  if (options.library !== "localBuild") return { llama: null, reason: "prebuilt library (the library setting is prebuilt)" };
  const cmakeOptions = options.localBuildCmakeOptions ?? engineLocalBuildCmakeOptions;
  const described = describeCmakeOptions(cmakeOptions);
  if (options.gpu !== "auto" && options.gpu !== "cpu") {
    return { llama: null, reason: `prebuilt library: the local build is CPU-only and the gpu setting asks for "${options.gpu}"` };
  }
  let found;
  try {
    found = findLocalBuild(cmakeOptions);
  } catch (err) {
    return { llama: null, reason: `prebuilt library: cannot read the local builds folder (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!found) {
    return {
      llama: null,
      reason: `prebuilt library: no local build with ${described} in ${localBuildsDir()} (use "Build the engine for this machine" in Settings)`,
    };
  }
  const attempt = await withConsoleCapture(() =>
    getLlama({
      gpu: false,
      build: "never",
      skipDownload: true,
      // Never fall back silently inside node-llama-cpp: the fallback and its reason are ours.
      usePrebuiltBinaries: false,
      progressLogs: false,
      cmakeOptions: { ...cmakeOptions },
      logLevel: logging.logLevel,
      logger: logging.logger,
      maxThreads: 0,
    }),
  );
  const llama = attempt.value;
  if (llama && llama.buildType === "localBuild") {
    return { llama, reason: `local build ${found.folder} (${described}; llama.cpp ${found.release}; built ${new Date(found.builtAt).toISOString()})` };
  }
  if (llama) await llama.dispose().catch(() => {});
  const why = [
    ...attempt.lines.map(plain).filter((l) => l && !/^Falling back/i.test(l)),
    attempt.error ? (attempt.error instanceof Error ? attempt.error.message : String(attempt.error)) : "",
  ]
    .filter(Boolean)
    .join("; ")
    .slice(0, 600);
  return { llama: null, reason: `prebuilt library: the local build ${found.folder} failed to load (${why || "node-llama-cpp gave no reason"})` };
}
