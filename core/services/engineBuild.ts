// Handlers for the `engineBuild` domain ("Build the engine for this machine" in Settings)
// and the parser that turns the build's output (cmake, make or ninja) into progress.
// The shell supplies an EngineBuildPort (engine/build/EngineBuilder.ts) that runs the
// compiler in a child process and restarts the engine; core keeps one build at a time,
// the progress, the log tail and how the last build ended. Composed in handlers.ts.
import { ApiError } from "../api/errors.ts";
import type { engineBuildApi, EngineBuildOutcome, EngineBuildPacket, EngineBuildState } from "../api/engine.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { EngineLibrary } from "../engine/types.ts";

/** What a shell's builder does; the handlers add the bookkeeping. */
export interface EngineBuildPort {
  /** Availability, the persisted library setting and the local build found (running/lastBuild are core's). */
  state(): Promise<Omit<EngineBuildState, "running" | "lastBuild">>;
  /** Runs the build to the end, calling onLine with each output line; rejects with the reason on failure or abort. */
  build(onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
  /** Persists the library setting and restarts the engine on it; resolves with what the new engine really uses. */
  setLibrary(library: EngineLibrary): Promise<{ buildType: "prebuilt" | "localBuild"; libraryReason: string }>;
}

/** One output line, understood. */
export interface BuildLine {
  /** The line without terminal colour and cursor codes, trimmed. */
  text: string;
  /** "clone" (unpacking the bundled source), "configure" (cmake), "compile" (make/ninja steps) or "other". */
  phase: "clone" | "configure" | "compile" | "other";
  /** Progress of that phase in percent, when the line says. */
  percent: number | null;
}

// CSI sequences (colours, cursor moves, line erases) and lone carriage returns.
const ansi = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r/g;

/** Parses one line of node-llama-cpp's source build output: `[ 45%] Building …` (make), `[12/277] Building …` (ninja), `Cloning … 15%`, `-- …` (cmake). */
export function parseBuildLine(line: string): BuildLine {
  const text = line.replace(ansi, "").trim();
  const make = /^\[\s*(\d{1,3})%\]\s*(.*)$/.exec(text);
  if (make) return { text, phase: "compile", percent: Math.min(100, Number(make[1])) };
  const ninja = /^\[(\d+)\/(\d+)\]\s*(.*)$/.exec(text);
  if (ninja) {
    const total = Number(ninja[2]);
    return { text, phase: "compile", percent: total > 0 ? Math.min(100, Math.floor((Number(ninja[1]) / total) * 100)) : null };
  }
  const clone = /^Cloning\b.*?(\d{1,3})%/.exec(text);
  if (clone) return { text, phase: "clone", percent: Math.min(100, Number(clone[1])) };
  if (/^Cloning\b/.test(text)) return { text, phase: "clone", percent: null };
  if (/^--\s/.test(text) || /^CMake\b/.test(text)) return { text, phase: "configure", percent: null };
  return { text, phase: "other", percent: null };
}

/** Whole-build progress from output lines: cloning 0-3 %, configuring 3-5 %, compiling 5-100 %; never goes back. */
export class BuildProgress {
  /** Overall percent so far (0-100). */
  percent = 0;
  /** The current step for people ("Compiling: Building CXX object …"). */
  label = "Starting";

  /** Feeds one output line; returns true when percent or label changed. */
  push(line: string): boolean {
    const p = parseBuildLine(line);
    if (!p.text) return false;
    let percent = this.percent;
    let label = this.label;
    if (p.phase === "clone") {
      percent = Math.max(percent, Math.floor(((p.percent ?? 0) / 100) * 3));
      label = "Unpacking the bundled llama.cpp source";
    } else if (p.phase === "configure") {
      percent = Math.max(percent, 3);
      label = "Configuring (cmake)";
    } else if (p.phase === "compile") {
      if (p.percent !== null) percent = Math.max(percent, 5 + Math.floor((p.percent / 100) * 95));
      label = `Compiling: ${p.text.replace(/^\[[^\]]*\]\s*/, "").slice(0, 120)}`;
    } else return false;
    const changed = percent !== this.percent || label !== this.label;
    this.percent = percent;
    this.label = label;
    return changed;
  }
}

/** Options for engineBuildHandlers. */
export interface EngineBuildHandlersOptions {
  /** Output lines kept for the log tail of an outcome. Default 60. */
  logTailLines?: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The `engineBuild` handlers over a shell's builder; null = this shell cannot build (every call says so, state reports it). */
export function engineBuildHandlers(port: EngineBuildPort | null, options: EngineBuildHandlersOptions = {}): DomainHandlers<typeof engineBuildApi> {
  const tailSize = options.logTailLines ?? 60;
  let running: EngineBuildState["running"] = null;
  let lastBuild: EngineBuildOutcome | null = null;

  const state = async (): Promise<EngineBuildState> => {
    if (!port) {
      return { available: false, unavailableReason: "this shell cannot build the engine", library: "prebuilt", localBuild: null, running: null, lastBuild: null };
    }
    return { ...(await port.state()), running: running ? { ...running } : null, lastBuild };
  };

  return {
    state: () => state(),

    async setLibrary(input) {
      if (!port) throw new ApiError("unavailable", "this shell cannot change the engine library");
      if (running) throw new ApiError("conflict", "a build of the engine is running; wait for it or cancel it first");
      await port.setLibrary(input.library);
      return state();
    },

    async *build(_input, ctx) {
      if (!port) throw new ApiError("unavailable", "this shell cannot build the engine");
      const before = await port.state();
      if (!before.available) throw new ApiError("unavailable", `cannot build the engine here: ${before.unavailableReason ?? "unknown reason"}`);
      if (running) throw new ApiError("conflict", `a build of the engine is already running (since ${new Date(running.startedAt).toISOString()})`);

      const startedAt = Date.now();
      const progress = new BuildProgress();
      const current = { startedAt, percent: 0 as number | null, label: progress.label };
      running = current;
      const tail: string[] = [];
      let pendingLines: string[] = [];
      let progressChanged = true;
      let wake: (() => void) | null = null;
      const notify = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      let finished = false;
      let failure: unknown = null;
      const work = port
        .build((line) => {
          const text = parseBuildLine(line).text;
          if (!text) return;
          tail.push(text);
          if (tail.length > tailSize) tail.splice(0, tail.length - tailSize);
          pendingLines.push(text);
          if (progress.push(line)) {
            current.percent = progress.percent;
            current.label = progress.label;
            progressChanged = true;
          }
          notify();
        }, ctx.signal)
        .then(
          () => {
            finished = true;
            notify();
          },
          (err: unknown) => {
            failure = err;
            finished = true;
            notify();
          },
        );

      try {
        // Coalesce: whatever piled up since the last packet goes out as one progress and one log packet.
        for (;;) {
          if (progressChanged) {
            progressChanged = false;
            yield { type: "progress", done: progress.percent, total: 100, label: progress.label } satisfies EngineBuildPacket;
          }
          if (pendingLines.length) {
            const lines = pendingLines;
            pendingLines = [];
            yield { type: "log", lines } satisfies EngineBuildPacket;
          }
          if (finished && !progressChanged && !pendingLines.length) break;
          if (!finished && !progressChanged && !pendingLines.length) await new Promise<void>((r) => (wake = r));
        }
        await work;
        let outcome: EngineBuildOutcome;
        if (ctx.signal.aborted) {
          outcome = { result: "cancelled", startedAt, ms: Date.now() - startedAt, error: null, logTail: [...tail], engine: null };
        } else if (failure) {
          outcome = { result: "failed", startedAt, ms: Date.now() - startedAt, error: message(failure), logTail: [...tail], engine: null };
        } else {
          current.label = "Restarting the engine on the new build";
          yield { type: "progress", done: 100, total: 100, label: current.label } satisfies EngineBuildPacket;
          let engine: EngineBuildOutcome["engine"];
          try {
            engine = await port.setLibrary("localBuild");
          } catch (err) {
            engine = { buildType: "prebuilt", libraryReason: `the engine did not start on the local build: ${message(err)}` };
          }
          outcome = { result: "succeeded", startedAt, ms: Date.now() - startedAt, error: null, logTail: [...tail], engine };
        }
        lastBuild = outcome;
        yield { type: "done", outcome } satisfies EngineBuildPacket;
      } finally {
        if (!finished) {
          // The caller went away mid-build: the port sees ctx.signal abort and stops the compiler.
          lastBuild = { result: "cancelled", startedAt, ms: Date.now() - startedAt, error: null, logTail: [...tail], engine: null };
        }
        running = null;
      }
    },
  };
}
