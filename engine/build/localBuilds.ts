// Where node-llama-cpp keeps llama.cpp builds made on this machine, and which of them
// matches a set of CMake options. Read by the engine host (engine/host/localBuild.ts,
// before it asks node-llama-cpp for a local build) and by EngineBuilder (build state).
// Reads files only: nothing here imports node-llama-cpp.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One finished local build of llama.cpp (node-llama-cpp's `llama/localBuilds/<folder>`). */
export interface LocalBuildInfo {
  /** Folder name, e.g. "linux-x64-2n5v65…" (platform, arch, then a hash of the CMake options). */
  folder: string;
  /** Absolute path of the build folder. */
  path: string;
  /** CMake options it was built with. */
  cmakeOptions: Record<string, string>;
  /** GPU backend it was built for (false = CPU only). */
  gpu: string | false;
  /** llama.cpp release it was built from, e.g. "v0.4.0". */
  release: string;
  /** When it finished (epoch ms, from its buildDone.status file). */
  builtAt: number;
}

/** node-llama-cpp's package folder (holds dist/, llama/, bins/). Resolved from this module, like the host resolves the package. */
export function nodeLlamaCppDir(): string {
  // dist/index.js -> package root
  return dirname(dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))));
}

/** The folder node-llama-cpp writes local builds into: <node-llama-cpp>/llama/localBuilds. */
export function localBuildsDir(packageDir: string = nodeLlamaCppDir()): string {
  return join(packageDir, "llama", "localBuilds");
}

/** "GGML_NATIVE=ON, GGML_OPENMP=ON" (sorted, as node-llama-cpp hashes them). */
export function describeCmakeOptions(options: Readonly<Record<string, string>>): string {
  return Object.keys(options)
    .sort()
    .map((k) => `${k}=${options[k]}`)
    .join(", ");
}

function sameOptions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return describeCmakeOptions(a) === describeCmakeOptions(b);
}

/** Every finished local build (a build folder with llama-addon.node, its metadata and buildDone.status). */
export function listLocalBuilds(packageDir: string = nodeLlamaCppDir()): LocalBuildInfo[] {
  const dir = localBuildsDir(packageDir);
  if (!existsSync(dir)) return [];
  const out: LocalBuildInfo[] = [];
  for (const folder of readdirSync(dir)) {
    const path = join(dir, folder);
    const done = join(path, "buildDone.status");
    const meta = join(path, "Release", "_nlcBuildMetadata.json");
    if (!existsSync(done) || !existsSync(meta) || !existsSync(join(path, "Release", "llama-addon.node"))) continue;
    try {
      const { buildOptions } = JSON.parse(readFileSync(meta, "utf8")) as {
        buildOptions: { customCmakeOptions?: Record<string, string>; gpu?: string | false; llamaCpp?: { release?: string } };
      };
      out.push({
        folder,
        path,
        cmakeOptions: buildOptions.customCmakeOptions ?? {},
        gpu: buildOptions.gpu ?? false,
        release: buildOptions.llamaCpp?.release ?? "unknown",
        builtAt: statSync(done).mtimeMs,
      });
    } catch {
      // A half-written or foreign folder is not a build we can use.
    }
  }
  return out;
}

/** The finished CPU-only local build with exactly these CMake options, or null. */
export function findLocalBuild(cmakeOptions: Readonly<Record<string, string>>, packageDir: string = nodeLlamaCppDir()): LocalBuildInfo | null {
  return listLocalBuilds(packageDir).find((b) => b.gpu === false && sameOptions(b.cmakeOptions, cmakeOptions)) ?? null;
}
