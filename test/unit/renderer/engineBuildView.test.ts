// @vitest-environment jsdom
// Settings' engine library section over a fake `engineBuild` API: which library runs and
// why, the build button with progress, log tail and Cancel, the outcome of a build, a
// machine that cannot build, and switching the library.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import EngineBuildView from "../../../renderer/settings/EngineBuildView.svelte";
import { EngineBuildStore } from "../../../renderer/settings/engineBuild.svelte.ts";
import type { Api } from "../../../renderer/api/connect.ts";
import type { EngineBuildPacket, EngineBuildState } from "../../../core/api/engine.ts";
import type { EngineLibrary, EngineStatus } from "../../../core/engine/types.ts";
import { ApiError } from "../../../core/api/errors.ts";

const localBuild = { folder: "linux-x64-abc", path: "/nlc/llama/localBuilds/linux-x64-abc", cmakeOptions: { GGML_NATIVE: "ON", GGML_OPENMP: "ON" }, release: "v0.4.0", builtAt: 0 };

/** The engineBuild domain in memory; `build` plays the given packets, then waits for `finish` or a cancel. */
class FakeBuildApi {
  state: EngineBuildState = { available: true, unavailableReason: null, library: "prebuilt", localBuild: null, running: null, lastBuild: null };
  libraries: EngineLibrary[] = [];
  finish: (() => void) | null = null;
  constructor(private readonly packets: EngineBuildPacket[] = []) {}
  private async *play(signal: AbortSignal | undefined): AsyncGenerator<EngineBuildPacket> {
    for (const p of this.packets.filter((x) => x.type !== "done")) yield p;
    await new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      signal?.addEventListener("abort", () => reject(new ApiError("cancelled", "engineBuild.build cancelled")), { once: true });
    });
    const done = this.packets.find((x) => x.type === "done");
    if (done) {
      this.state = { ...this.state, library: "localBuild", localBuild };
      yield done;
    }
  }
  api(): Api {
    return {
      engineBuild: {
        state: async () => structuredClone(this.state),
        setLibrary: async ({ library }: { library: EngineLibrary }) => {
          this.libraries.push(library);
          this.state = { ...this.state, library };
          return structuredClone(this.state);
        },
        build: (_input: object, options: { signal?: AbortSignal } = {}) => this.play(options.signal),
      },
    } as unknown as Api;
  }
}

const status = (over: Partial<EngineStatus>) => ({ buildType: "prebuilt", libraryReason: "prebuilt library (the library setting is prebuilt)", ...over }) as EngineStatus;

describe("EngineBuildView", () => {
  it("shows the library in use and why, and builds with progress, log lines and Cancel", async () => {
    const fake = new FakeBuildApi([
      { type: "progress", done: 40, total: 100, label: "Compiling: Building CXX object llama.cpp/src/llama.cpp.o" },
      { type: "log", lines: ["[110/277] Building CXX object llama.cpp/src/llama.cpp.o"] },
    ]);
    const store = new EngineBuildStore(fake.api());
    render(EngineBuildView, { store, engine: status({ libraryReason: "prebuilt library: no local build with GGML_NATIVE=ON, GGML_OPENMP=ON in /x" }) });
    expect(screen.getByTestId("engine-library").textContent).toMatch(/prebuilt\s+prebuilt library: no local build with GGML_NATIVE=ON/);
    await vi.waitFor(() => expect(screen.getByTestId("engine-local-build").textContent).toContain("none yet"));
    expect((screen.getByTestId("engine-library-local") as HTMLInputElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId("engine-build-start"));
    await vi.waitFor(() => expect(screen.getByTestId("engine-build-log").textContent).toBe("[110/277] Building CXX object llama.cpp/src/llama.cpp.o"));
    expect(screen.getByTestId("engine-build-progress").textContent).toContain("Compiling: Building CXX object llama.cpp/src/llama.cpp.o");
    expect(screen.getByTestId("engine-build-progress").textContent).toContain("40%");
    await fireEvent.click(screen.getByTestId("engine-build-progress-cancel"));
    await vi.waitFor(() => expect(screen.queryByTestId("engine-build-progress")).toBeNull());
    expect(screen.getByTestId("engine-build-start")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull(); // a cancel is not an error
  });

  it("a finished build reports the library the engine now runs and refreshes the engine", async () => {
    const fake = new FakeBuildApi([
      { type: "progress", done: 100, total: 100, label: "Restarting the engine on the new build" },
      { type: "done", outcome: { result: "succeeded", startedAt: 0, ms: 250_000, error: null, logTail: [], engine: { buildType: "localBuild", libraryReason: "local build linux-x64-abc" } } },
    ]);
    const onEngineChanged = vi.fn();
    const store = new EngineBuildStore(fake.api(), onEngineChanged);
    render(EngineBuildView, { store, engine: status({}) });
    await vi.waitFor(() => screen.getByTestId("engine-build-start"));
    await fireEvent.click(screen.getByTestId("engine-build-start"));
    await vi.waitFor(() => expect(fake.finish).not.toBeNull());
    fake.finish!();
    await vi.waitFor(() => expect(screen.getByTestId("engine-build-outcome").textContent).toMatch(/Built in 4\.2 min\.\s+The engine now runs the local build\./));
    expect(onEngineChanged).toHaveBeenCalled();
    await vi.waitFor(() => expect(screen.getByTestId("engine-local-build").textContent).toContain("linux-x64-abc"));
    expect((screen.getByTestId("engine-library-local") as HTMLInputElement).checked).toBe(true);
  });

  it("says why a machine cannot build, and switches the library when a local build exists", async () => {
    const fake = new FakeBuildApi();
    fake.state = { ...fake.state, available: false, unavailableReason: "cmake was not found on PATH (install cmake 3.19 or newer)", localBuild };
    const onEngineChanged = vi.fn();
    const store = new EngineBuildStore(fake.api(), onEngineChanged);
    render(EngineBuildView, { store, engine: null });
    expect(screen.getByTestId("engine-library").textContent).toContain("the engine has not started");
    await vi.waitFor(() => expect((screen.getByTestId("engine-build-start") as HTMLButtonElement).disabled).toBe(true));
    expect(screen.getByTestId("engine-build").textContent).toContain("Cannot build here: cmake was not found on PATH");
    await fireEvent.click(screen.getByTestId("engine-library-local"));
    await vi.waitFor(() => expect(fake.libraries).toEqual(["localBuild"]));
    expect(onEngineChanged).toHaveBeenCalledTimes(1);
  });
});
