// The library setting of the engine host: the prebuilt library by default; a local build
// that does not exist, or that fails to load, falls back to the prebuilt one with the reason
// in status; reconfigure() restarts the host with the new setting. Never builds llama.cpp
// (that takes minutes): the local builds asked for here use CMake options nobody built.
import { createHash, randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import { describeCmakeOptions, findLocalBuild, localBuildsDir } from "../../engine/build/localBuilds.ts";
import { fixture } from "../helpers/fixtures.ts";
import { expectedText, generateAll, testEngine } from "./engineTestUtils.ts";
import { successorNext } from "../../core/fixtures/successor.ts";

const engines: EngineClient[] = [];
const cleanup: string[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
  await Promise.all(cleanup.map((p) => rm(p, { recursive: true, force: true })));
});

function engine(...args: Parameters<typeof testEngine>): EngineClient {
  const e = testEngine(...args);
  engines.push(e);
  return e;
}

/** node-llama-cpp's folder name for a CPU build with these CMake options (its getBuildFolderNameForBuildOptions). */
function nlcFolderName(options: Record<string, string>): string {
  const joined = Object.keys(options)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(options[k]!)}`)
    .join(";");
  const hash = [...createHash("sha1").update(joined).digest()].map((b) => b.toString(36)).join("");
  return `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "mac" : process.platform}-${process.arch}-${hash}`;
}

const raw = (text: string) => ({ kind: "raw" as const, text });

describe("engine library setting", () => {
  it("uses the prebuilt library by default, says so, and runs libuv with one thread", async () => {
    const e = engine({ gpu: "cpu" });
    const s = await e.status();
    expect(s.buildType).toBe("prebuilt");
    expect(s.librarySetting).toBe("prebuilt");
    expect(s.libraryReason).toBe("prebuilt library (the library setting is prebuilt)");
    expect(s.uvThreadpoolSize).toBe(1);
  });

  it("asking for a local build that does not exist falls back to the prebuilt library with the reason, and generation works", async () => {
    const options = { GGML_OPENMP: "ON", GGML_NATIVE: "ON", LATHE_NEVER_BUILT: randomUUID().slice(0, 8).toUpperCase().replace(/[^A-Z0-9]/g, "X") };
    expect(findLocalBuild(options)).toBeNull();
    const e = engine({ gpu: "cpu", library: "localBuild", localBuildCmakeOptions: options });
    const logs: string[] = [];
    e.onEvent((ev) => {
      if (ev.type === "log") logs.push(ev.text);
    });
    const s = await e.status();
    expect(s.librarySetting).toBe("localBuild");
    expect(s.buildType).toBe("prebuilt");
    expect(s.libraryReason).toBe(
      `prebuilt library: no local build with ${describeCmakeOptions(options)} in ${localBuildsDir()} (use "Build the engine for this machine" in Settings)`,
    );
    expect(logs.some((l) => l.startsWith("engine: prebuilt library: no local build with"))).toBe(true);
    const model = await e.loadModel({ path: fixture.successor, contextSize: 256, sha256: false });
    const { done } = await generateAll(e, { modelId: model.id, prompt: raw("a"), sampling: { temperature: 0, maxTokens: 5 } });
    expect(done.text).toBe(expectedText(successorNext, "a", 5));
  });

  it("a local build that fails to load falls back to the prebuilt library and status carries node-llama-cpp's reason", async () => {
    const options = { GGML_NATIVE: "ON", LATHE_BROKEN_BUILD: randomUUID().slice(0, 8).toUpperCase().replace(/[^A-Z0-9]/g, "X") };
    const folder = join(localBuildsDir(), nlcFolderName(options));
    cleanup.push(folder);
    await mkdir(join(folder, "Release"), { recursive: true });
    // Not a shared library: dlopen (or node-llama-cpp's binary test) must reject it.
    await writeFile(join(folder, "Release", "llama-addon.node"), "not an ELF file");
    const buildOptions = {
      customCmakeOptions: options,
      progressLogs: true,
      platform: process.platform === "win32" ? "win" : process.platform === "darwin" ? "mac" : process.platform,
      platformInfo: { name: "lathe-test", version: "0" },
      arch: process.arch,
      gpu: false,
      llamaCpp: { repo: "ggml-org/llama.cpp", release: "v0.4.0" },
    };
    await writeFile(join(folder, "Release", "_nlcBuildMetadata.json"), JSON.stringify({ buildOptions }));
    await writeFile(join(folder, "buildDone.status"), "");
    expect(findLocalBuild(options)?.folder).toBe(nlcFolderName(options));

    const e = engine({ gpu: "cpu", library: "localBuild", localBuildCmakeOptions: options });
    const s = await e.status();
    expect(s.buildType).toBe("prebuilt");
    expect(s.libraryReason).toMatch(new RegExp(`^prebuilt library: the local build ${nlcFolderName(options)} failed to load \\(.+\\)$`));
    expect(s.libraryReason).not.toContain("node-llama-cpp gave no reason");
  });

  it("reconfigure() restarts the host with the new library setting", async () => {
    const e = engine({ gpu: "cpu" });
    const stops: string[] = [];
    e.onEvent((ev) => {
      if (ev.type === "stopped") stops.push(ev.reason);
    });
    const before = await e.status();
    expect(before.librarySetting).toBe("prebuilt");
    const options = { GGML_OPENMP: "ON", LATHE_NEVER_BUILT: "RECONFIGURE" };
    await e.reconfigure({ ...e.hostOptions, library: "localBuild", localBuildCmakeOptions: options });
    expect(e.hostOptions).toMatchObject({ threads: 1, gpu: "cpu", library: "localBuild" });
    const after = await e.status();
    expect(after.pid).not.toBe(before.pid);
    expect(after.librarySetting).toBe("localBuild");
    expect(after.libraryReason).toContain(`no local build with ${describeCmakeOptions(options)}`);
    expect(stops).toEqual(["restarted with new settings (reconfigure)"]);
    expect(after.lastStop?.reason).toBe("restarted with new settings (reconfigure)");
  });
});
