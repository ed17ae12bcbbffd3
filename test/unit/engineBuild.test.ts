// "Build the engine for this machine" in core: the build-output parser (lines copied from
// real make, ninja and node-llama-cpp runs) and the engineBuild handlers over a fake
// builder: progress and log packets, success restarting on the local build, failure with
// its reason and log tail, cancel, one build at a time, and a shell that cannot build.
import { describe, expect, it } from "vitest";
import type { EngineBuildPacket, EngineBuildState } from "../../core/api/engine.ts";
import type { CallContext } from "../../core/api/rpc.ts";
import { BuildProgress, engineBuildHandlers, parseBuildLine, type EngineBuildPort } from "../../core/services/engineBuild.ts";
import type { EngineLibrary } from "../../core/engine/types.ts";

describe("parseBuildLine", () => {
  it("reads make's [ NN%] lines", () => {
    expect(parseBuildLine("[ 16%] Building CXX object src/CMakeFiles/llama.dir/llama-grammar.cpp.o")).toEqual({
      text: "[ 16%] Building CXX object src/CMakeFiles/llama.dir/llama-grammar.cpp.o",
      phase: "compile",
      percent: 16,
    });
    expect(parseBuildLine("[100%] Built target llama-bench").percent).toBe(100);
  });

  it("reads ninja's [N/M] lines as a percent", () => {
    expect(parseBuildLine("[35/277] Building C object llama.cpp/ggml/src/CMakeFiles/ggml-cpu.dir/ggml-cpu/quants.c.o")).toMatchObject({ phase: "compile", percent: 12 });
    expect(parseBuildLine("[277/277] Linking CXX shared module Release/llama-addon.node").percent).toBe(100);
  });

  it("strips terminal codes from node-llama-cpp's clone progress", () => {
    const line = "\x1b[2K\x1b[1A\x1b[2K\x1b[GCloning ggml-org/llama.cpp (local bundle)                    21%";
    expect(parseBuildLine(line)).toEqual({ text: "Cloning ggml-org/llama.cpp (local bundle)                    21%", phase: "clone", percent: 21 });
    expect(parseBuildLine("\x1b[?25l\x1b[?25lCloning ggml-org/llama.cpp (local bundle)").percent).toBeNull();
  });

  it("tells cmake's configure lines from the rest", () => {
    expect(parseBuildLine("-- Configuring done")).toEqual({ text: "-- Configuring done", phase: "configure", percent: null });
    expect(parseBuildLine("Release: v0.4.0")).toEqual({ text: "Release: v0.4.0", phase: "other", percent: null });
    expect(parseBuildLine("  \r ").text).toBe("");
  });
});

describe("BuildProgress", () => {
  it("maps clone to 0-3 %, configure to 3 %, compile to 5-100 %, and never goes back", () => {
    const p = new BuildProgress();
    expect(p.push("Cloning ggml-org/llama.cpp (local bundle) 100%")).toBe(true);
    expect(p.percent).toBe(3);
    expect(p.label).toBe("Unpacking the bundled llama.cpp source");
    p.push("-- The C compiler identification is GNU 12.2.0");
    expect([p.percent, p.label]).toEqual([3, "Configuring (cmake)"]);
    p.push("[50/100] Building CXX object a.o");
    expect([p.percent, p.label]).toEqual([52, "Compiling: Building CXX object a.o"]);
    p.push("[ 10%] Building CXX object b.o"); // a second target restarting its count
    expect(p.percent).toBe(52);
    expect(p.push("Release: v0.4.0")).toBe(false);
    p.push("[100/100] Linking CXX shared module Release/llama-addon.node");
    expect(p.percent).toBe(100);
  });
});

/** A builder that prints the given lines, then ends as told; records setLibrary calls. */
class FakeBuilder implements EngineBuildPort {
  library: EngineLibrary = "prebuilt";
  calls: EngineLibrary[] = [];
  available = true;
  release: (() => void) | null = null;
  constructor(
    private readonly lines: string[],
    private readonly end: "ok" | "fail" | "hang",
  ) {}
  async state() {
    return { available: this.available, unavailableReason: this.available ? null : "cmake was not found on PATH", library: this.library, localBuild: null };
  }
  build(onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        for (const l of this.lines) onLine(l);
        if (this.end === "ok") resolve();
        else if (this.end === "fail") reject(new Error("the build stopped (exit code 1): error: 'foo' was not declared"));
        this.release = resolve;
      }, 1);
      signal.addEventListener("abort", () => reject(new Error("build cancelled")), { once: true });
    });
  }
  async setLibrary(library: EngineLibrary) {
    this.calls.push(library);
    this.library = library;
    return { buildType: library, libraryReason: library === "localBuild" ? "local build linux-x64-abc" : "prebuilt library" } as const;
  }
}

const ctx = (signal = new AbortController().signal): CallContext => ({ signal, method: "engineBuild.build" }) as CallContext;
const lines = ["Cloning ggml-org/llama.cpp (local bundle) 100%", "-- Configuring done", "[1/2] Building CXX object a.o", "[2/2] Linking CXX shared module Release/llama-addon.node"];

async function collect(iter: AsyncIterable<EngineBuildPacket>): Promise<EngineBuildPacket[]> {
  const out: EngineBuildPacket[] = [];
  for await (const p of iter) out.push(p);
  return out;
}

describe("engineBuild handlers", () => {
  it("streams progress and log lines, then restarts the engine on the local build", async () => {
    const port = new FakeBuilder(lines, "ok");
    const h = engineBuildHandlers(port);
    const packets = await collect(h.build({}, ctx()) as AsyncIterable<EngineBuildPacket>);
    const logged = packets.flatMap((p) => (p.type === "log" ? p.lines : []));
    expect(logged).toEqual(lines);
    const progress = packets.filter((p) => p.type === "progress");
    expect(progress.at(-1)).toEqual({ type: "progress", done: 100, total: 100, label: "Restarting the engine on the new build" });
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).toBe(true);
    const done = packets.at(-1);
    expect(done).toMatchObject({ type: "done", outcome: { result: "succeeded", error: null, engine: { buildType: "localBuild", libraryReason: "local build linux-x64-abc" } } });
    expect(port.calls).toEqual(["localBuild"]);
    const state = (await h.state({}, ctx())) as EngineBuildState;
    expect(state).toMatchObject({ library: "localBuild", running: null, lastBuild: { result: "succeeded" } });
  });

  it("a failed build keeps the library, reports the reason and the log tail", async () => {
    const port = new FakeBuilder([...lines.slice(0, 3), "a.cpp:1:1: error: 'foo' was not declared"], "fail");
    const h = engineBuildHandlers(port, { logTailLines: 2 });
    const packets = await collect(h.build({}, ctx()) as AsyncIterable<EngineBuildPacket>);
    expect(packets.at(-1)).toEqual({
      type: "done",
      outcome: expect.objectContaining({
        result: "failed",
        error: "the build stopped (exit code 1): error: 'foo' was not declared",
        logTail: ["[1/2] Building CXX object a.o", "a.cpp:1:1: error: 'foo' was not declared"],
        engine: null,
      }),
    });
    expect(port.calls).toEqual([]);
  });

  it("cancel ends the build as cancelled; only one build runs at a time", async () => {
    const port = new FakeBuilder(lines.slice(0, 3), "hang");
    const h = engineBuildHandlers(port);
    const ac = new AbortController();
    const iter = (h.build({}, ctx(ac.signal)) as AsyncIterable<EngineBuildPacket>)[Symbol.asyncIterator]();
    const first = await iter.next();
    expect(first.value).toMatchObject({ type: "progress" });
    const running = (await h.state({}, ctx())) as EngineBuildState;
    expect(running.running).toMatchObject({ percent: expect.any(Number) });
    const second = await collect(h.build({}, ctx()) as AsyncIterable<EngineBuildPacket>).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: "conflict", message: expect.stringContaining("already running") });
    await expect(h.setLibrary({ library: "prebuilt" }, ctx())).rejects.toMatchObject({ code: "conflict" });
    ac.abort();
    const rest: EngineBuildPacket[] = [];
    for (let r = await iter.next(); !r.done; r = await iter.next()) rest.push(r.value);
    expect(rest.at(-1)).toMatchObject({ type: "done", outcome: { result: "cancelled", engine: null } });
    expect(port.calls).toEqual([]);
    expect(((await h.state({}, ctx())) as EngineBuildState).running).toBeNull();
  });

  it("says why when the shell cannot build", async () => {
    const port = new FakeBuilder([], "ok");
    port.available = false;
    const err = await collect(engineBuildHandlers(port).build({}, ctx()) as AsyncIterable<EngineBuildPacket>).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "unavailable", message: "cannot build the engine here: cmake was not found on PATH" });
    const none = engineBuildHandlers(null);
    expect(await none.state({}, ctx())).toMatchObject({ available: false, unavailableReason: "this shell cannot build the engine" });
    await expect(none.setLibrary({ library: "localBuild" }, ctx())).rejects.toMatchObject({ code: "unavailable" });
  });

  it("setLibrary persists through the port and returns the new state", async () => {
    const port = new FakeBuilder([], "ok");
    const state = (await engineBuildHandlers(port).setLibrary({ library: "localBuild" }, ctx())) as EngineBuildState;
    expect(port.calls).toEqual(["localBuild"]);
    expect(state.library).toBe("localBuild");
  });
});
