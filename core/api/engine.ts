// The `engine` domain: what the llama.cpp host is doing (backend, devices, memory,
// threads, loaded models), for the status bar and Settings; and the `engineBuild` domain
// (below): building llama.cpp for this machine and choosing the library the engine runs.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { ProgressPacket } from "./packets.ts";
import type { EngineLibrary, EngineStatus } from "../engine/types.ts";

export const engineApi = {
  /** Starts the engine host if needed and reports its status. */
  status: unary(z.object({})).returns<EngineStatus>(),
};

// ---------------------------------------------------------------- engineBuild domain
// "Build the engine for this machine" (Settings): compiles llama.cpp from the source that
// node-llama-cpp bundles, with OpenMP and native CPU flags, then restarts the engine on it.
// Its own domain so shells without a builder (and test fakes of `engine`) stay unchanged.

/** Where a build of llama.cpp for this machine stands, and which library the engine uses. */
export interface EngineBuildState {
  /** Whether this shell can build (cmake and a C++ compiler found, the bundled source present); false with `unavailableReason` otherwise. */
  available: boolean;
  /** Why building is not possible here, for people; null when it is. */
  unavailableReason: string | null;
  /** The persisted library setting the engine starts with. */
  library: EngineLibrary;
  /** The finished local build with the engine's CMake options, if any. */
  localBuild: { folder: string; path: string; cmakeOptions: Record<string, string>; release: string; builtAt: number } | null;
  /** A build running now (started by any window), with its last progress. */
  running: { startedAt: number; percent: number | null; label: string } | null;
  /** How the last build this session ended; null when none ran. */
  lastBuild: EngineBuildOutcome | null;
}

/** How a build ended. */
export interface EngineBuildOutcome {
  /** "succeeded", "failed" (see `error` and `logTail`) or "cancelled". */
  result: "succeeded" | "failed" | "cancelled";
  /** Epoch ms. */
  startedAt: number;
  /** Wall time in ms. */
  ms: number;
  /** Why it failed, for people; null otherwise. */
  error: string | null;
  /** The last lines of the build's output (compiler errors land here). */
  logTail: string[];
  /** After a successful build: the library the restarted engine really uses and why (a local build that fails to load falls back to the prebuilt one). */
  engine: { buildType: "prebuilt" | "localBuild"; libraryReason: string } | null;
}

/** Packets of engineBuild.build: progress (done of 100, with the current step), new output lines, then one `done`. */
export type EngineBuildPacket = ProgressPacket | { type: "log"; lines: string[] } | { type: "done"; outcome: EngineBuildOutcome };

export const engineLibrarySchema = z.enum(["prebuilt", "localBuild"]);

export const setEngineLibraryInputSchema = z.object({
  /** The library the engine should start with from now on (persisted); the engine restarts on it. */
  library: engineLibrarySchema,
});

export const engineBuildApi = {
  /** Build availability, the library setting, the local build found and any build running. */
  state: unary(z.object({})).returns<EngineBuildState>(),
  /** Builds llama.cpp for this machine (minutes); cancelling the call stops the compiler. On success the library becomes "localBuild" and the engine restarts on it. */
  build: stream(z.object({})).yields<EngineBuildPacket>(),
  /** Chooses the library (persisted) and restarts the engine on it; returns the new state. */
  setLibrary: unary(setEngineLibraryInputSchema).returns<EngineBuildState>(),
};
