// EngineBuilder without compiling anything: a fake node-llama-cpp package whose CLI prints
// build lines and succeeds, fails or hangs. Checks the command and environment it runs,
// streamed lines, the failure reason, Cancel stopping the whole process group, the state
// (local build found, availability) and the persisted library setting.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineBuilder, readEngineSettings, type ReconfigurableEngine } from "../../engine/build/EngineBuilder.ts";
import { addonPatchMarker, extensionsSourcePath, patchAddonCpp } from "../../engine/build/addonPatch.ts";
import { nodeLlamaCppDir } from "../../engine/build/localBuilds.ts";
import type { EngineHostOptionsInput, EngineStatus } from "../../core/engine/types.ts";

let dir: string;
let pkg: string;

// The fake CLI: echoes its argv and the CMake options it was given, then acts on FAKE_MODE.
const cli = `
const fs = require("node:fs");
const { spawn } = require("node:child_process");
console.log("args " + process.argv.slice(2).join(" "));
console.log("cmake " + Object.keys(process.env).filter((k) => k.startsWith("NODE_LLAMA_CPP_CMAKE_OPTION_")).sort().map((k) => k + "=" + process.env[k]).join(" "));
process.stdout.write("Cloning ggml-org/llama.cpp (local bundle) 50%\\rCloning ggml-org/llama.cpp (local bundle) 100%\\n");
console.log("[1/2] Building CXX object a.o");
const mode = process.env.FAKE_MODE;
if (mode === "fail") { console.error("a.cpp:1:1: error: boom"); console.log("[2/2] Linking"); process.exit(1); }
if (mode === "hang") {
  const g = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  fs.writeFileSync(process.env.FAKE_PIDS, String(g.pid));
  setInterval(() => {}, 1000);
} else console.log("[2/2] Linking CXX shared module Release/llama-addon.node");
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lathe-builder-"));
  pkg = join(dir, "node-llama-cpp");
  await mkdir(join(pkg, "dist", "cli"), { recursive: true });
  await mkdir(join(pkg, "llama"), { recursive: true });
  await writeFile(join(pkg, "dist", "cli", "cli.js"), cli);
  await writeFile(join(pkg, "package.json"), "{}"); // CommonJS: the fake CLI uses require
  await writeFile(join(pkg, "llama", "gitRelease.bundle"), "");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

class FakeEngine implements ReconfigurableEngine {
  hostOptions: EngineHostOptionsInput = { threads: 2, gpu: "cpu" };
  reconfigured: EngineHostOptionsInput[] = [];
  async reconfigure(host: EngineHostOptionsInput) {
    this.reconfigured.push(host);
    this.hostOptions = host;
  }
  async status() {
    const local = this.hostOptions.library === "localBuild";
    return { buildType: local ? "localBuild" : "prebuilt", libraryReason: local ? "local build x" : "prebuilt library" } as EngineStatus;
  }
}

function builder(env: Record<string, string>, engine = new FakeEngine()) {
  return new EngineBuilder({ engine, settingsFile: join(dir, "data", "engine.json"), packageDir: pkg, env });
}

async function runBuild(b: EngineBuilder, signal = new AbortController().signal) {
  const lines: string[] = [];
  const result = await b.build((l) => lines.push(l), signal).then(
    () => "ok",
    (e: unknown) => (e as Error).message,
  );
  return { lines, result };
}

/** node-llama-cpp's own addon.cpp as installed, without Lathe's lines (a local build here may have added them). */
function installedAddonCpp(): string {
  const text = readFileSync(join(nodeLlamaCppDir(), "llama", "addon", "addon.cpp"), "utf8");
  return text
    .split("\n")
    .filter((l) => !l.includes(addonPatchMarker))
    .join("\n");
}

describe("addon patch", () => {
  it("registers latheRegister inside node-llama-cpp 3.21.1's module init, before it returns, and is idempotent", () => {
    const text = installedAddonCpp();
    const patched = patchAddonCpp(text)!;
    expect(patched).not.toBeNull();
    const lines = patched.split("\n");
    const decl = lines.findIndex((l) => l.includes("void latheRegister(") && l.includes(addonPatchMarker));
    const init = lines.findIndex((l) => l.startsWith("Napi::Object registerCallback("));
    const call = lines.findIndex((l) => l.trim().startsWith("latheRegister(env, exports);"));
    const ret = lines.findIndex((l, i) => i > init && l === "    return exports;");
    expect(decl).toBe(init - 1);
    expect(call).toBe(ret - 1);
    expect(call).toBeGreaterThan(init);
    // Everything else is node-llama-cpp's text, unchanged.
    expect(lines.filter((l) => !l.includes(addonPatchMarker)).join("\n")).toBe(text);
    expect(patchAddonCpp(patched)).toBe(patched);
  });

  it("leaves an addon.cpp without the module init alone", () => {
    expect(patchAddonCpp("int main() { return 0; }\n")).toBeNull();
    expect(patchAddonCpp("Napi::Object registerCallback(Napi::Env env, Napi::Object exports) {\n  return 1;\n}\n")).toBeNull();
  });
});

describe("EngineBuilder", () => {
  it("runs node-llama-cpp's source download with the OpenMP and native CMake options, streaming lines split on \\n and \\r", async () => {
    const { lines, result } = await runBuild(builder({ FAKE_MODE: "ok" }));
    expect(result).toBe("ok");
    expect(lines).toEqual([
      `Lathe extensions skipped: ${join(pkg, "llama", "addon", "addon.cpp")} is missing`,
      "args source download --gpu false --noUsageExample",
      "cmake NODE_LLAMA_CPP_CMAKE_OPTION_GGML_NATIVE=ON NODE_LLAMA_CPP_CMAKE_OPTION_GGML_OPENMP=ON",
      "Cloning ggml-org/llama.cpp (local bundle) 50%",
      "Cloning ggml-org/llama.cpp (local bundle) 100%",
      "[1/2] Building CXX object a.o",
      "[2/2] Linking CXX shared module Release/llama-addon.node",
    ]);
  });

  it("adds Lathe's native entry points to the addon sources before building, once", async () => {
    const addonDir = join(pkg, "llama", "addon");
    await mkdir(addonDir, { recursive: true });
    await writeFile(join(addonDir, "addon.cpp"), installedAddonCpp());
    try {
      const first = await runBuild(builder({ FAKE_MODE: "ok" }));
      expect(first.result).toBe("ok");
      expect(first.lines[0]).toBe("Lathe extensions added to the addon sources");
      expect(await readFile(join(addonDir, "LatheExtensions.cpp"), "utf8")).toBe(await readFile(extensionsSourcePath(), "utf8"));
      const patched = await readFile(join(addonDir, "addon.cpp"), "utf8");
      expect(patched.split("\n").filter((l) => l.includes(addonPatchMarker))).toEqual([
        `void latheRegister(Napi::Env env, Napi::Object exports); ${addonPatchMarker}`,
        `    latheRegister(env, exports); ${addonPatchMarker}`,
      ]);
      const second = await runBuild(builder({ FAKE_MODE: "ok" }));
      expect(second.lines[0]).toBe("Lathe extensions already in the addon sources");
      expect(await readFile(join(addonDir, "addon.cpp"), "utf8")).toBe(patched);
      // Opting out builds node-llama-cpp's addon as it is.
      const plain = new EngineBuilder({ engine: new FakeEngine(), settingsFile: join(dir, "data", "engine.json"), packageDir: pkg, env: { FAKE_MODE: "ok" }, extensionsSource: null });
      expect((await runBuild(plain)).lines[0]).toMatch(/^args source download/);
    } finally {
      await rm(addonDir, { recursive: true, force: true });
    }
  });

  it("a failing build rejects with the compiler's error line and exit code", async () => {
    const { result } = await runBuild(builder({ FAKE_MODE: "fail" }));
    expect(result).toBe("the build stopped (exit code 1): a.cpp:1:1: error: boom");
  });

  it.runIf(process.platform !== "win32")("cancel stops the build and the processes it started", async () => {
    const pids = join(dir, "pids");
    const ac = new AbortController();
    const b = builder({ FAKE_MODE: "hang", FAKE_PIDS: pids });
    const done = runBuild(b, ac.signal);
    while (!existsSync(pids)) await new Promise((r) => setTimeout(r, 50));
    const grandchild = Number(await readFile(pids, "utf8"));
    ac.abort();
    expect((await done).result).toBe("build cancelled");
    // The compiler-like grandchild went with it (its process group was signalled). A killed
    // process whose new parent has not reaped it yet is a zombie: dead, though kill(pid, 0)
    // still finds it (containers whose pid 1 is no init reap late, under load even later).
    const running = (pid: number) => {
      try {
        process.kill(pid, 0);
      } catch {
        return false;
      }
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return true; // no /proc (macOS): trust kill()
      }
    };
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      alive = running(grandchild);
      if (alive) await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive).toBe(false);
  });

  it("state finds a finished local build with the engine's CMake options and ignores unfinished ones", async () => {
    const make = async (folder: string, cmake: Record<string, string>, finished: boolean) => {
      const f = join(pkg, "llama", "localBuilds", folder);
      await mkdir(join(f, "Release"), { recursive: true });
      await writeFile(join(f, "Release", "llama-addon.node"), "");
      await writeFile(join(f, "Release", "_nlcBuildMetadata.json"), JSON.stringify({ buildOptions: { customCmakeOptions: cmake, gpu: false, llamaCpp: { release: "v0.4.0" } } }));
      if (finished) await writeFile(join(f, "buildDone.status"), "");
    };
    const b = builder({});
    expect((await b.state()).localBuild).toBeNull();
    await make("linux-x64-half", { GGML_OPENMP: "ON", GGML_NATIVE: "ON" }, false);
    await make("linux-x64-other", { GGML_OPENMP: "OFF" }, true);
    expect((await b.state()).localBuild).toBeNull();
    await make("linux-x64-ours", { GGML_NATIVE: "ON", GGML_OPENMP: "ON" }, true);
    const s = await b.state();
    expect(s.localBuild).toMatchObject({ folder: "linux-x64-ours", release: "v0.4.0", cmakeOptions: { GGML_NATIVE: "ON", GGML_OPENMP: "ON" } });
    // This machine has cmake and a C++ compiler (the engine tests build nothing, but the check must pass here).
    expect(s).toMatchObject({ available: true, unavailableReason: null, library: "prebuilt" });
  });

  it("setLibrary persists the choice and restarts the engine on it, keeping the other host options", async () => {
    const engine = new FakeEngine();
    const b = builder({}, engine);
    expect(await b.setLibrary("localBuild")).toEqual({ buildType: "localBuild", libraryReason: "local build x" });
    expect(engine.reconfigured).toEqual([{ threads: 2, gpu: "cpu", library: "localBuild", localBuildCmakeOptions: { GGML_OPENMP: "ON", GGML_NATIVE: "ON" } }]);
    expect(readEngineSettings(join(dir, "data", "engine.json"))).toEqual({ library: "localBuild" });
    expect(b.library).toBe("localBuild");
    await b.setLibrary("prebuilt");
    expect(readEngineSettings(join(dir, "data", "engine.json"))).toEqual({ library: "prebuilt" });
    expect(readEngineSettings(join(dir, "missing.json"))).toEqual({ library: "prebuilt" });
  });
});
