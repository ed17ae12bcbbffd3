// `npm run fixtures [-- --bench]`: writes the generated GGUF fixtures into <repo>/.fixtures/.
// Files already present with the expected content are skipped (a small manifest remembers
// hashes, sizes and mtimes so a warm run hashes nothing). Also imported by
// test/helpers/fixtures.ts (ensureFixtures) and bench/, which call writeFixtures directly.
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURE_CATALOG } from "../core/fixtures/catalog.ts";
import type { FixtureEntry, FixtureSource } from "../core/fixtures/catalog.ts";

/** Absolute path of <repo>/.fixtures. */
export const DEFAULT_FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", ".fixtures");
const MANIFEST = "manifest.json";

/** Options for `writeFixtures`. */
export interface WriteFixturesOptions {
  /** Target folder. Default <repo>/.fixtures. */
  dir?: string;
  /** Also write the ~160M-parameter bench models. Default false. */
  bench?: boolean;
  /** Only the bench models (implies bench). Default false. */
  benchOnly?: boolean;
  /** Progress lines. Default: none. */
  log?: (line: string) => void;
}

/** What happened to one file. */
export interface FixtureResult {
  /** File name relative to the fixtures folder. */
  file: string;
  /** "written" or "kept" (already present with the expected content). */
  action: "written" | "kept";
  /** Size in bytes. */
  bytes: number;
  /** Milliseconds spent building (and writing) it. */
  ms: number;
}

interface ManifestEntry {
  key: string;
  size: number;
  mtimeMs: number;
}
type Manifest = Record<string, ManifestEntry>;

async function readManifest(dir: string): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as Manifest;
  } catch {
    return {};
  }
}

async function writeAtomic(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function hashFile(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Key that identifies the expected content: the content hash, or for lazily generated sources a header hash + data version. */
function sourceKey(src: FixtureSource, bytes: Uint8Array[] | undefined): string {
  const h = createHash("sha256");
  if (src.identity) {
    h.update(src.identity.header);
    return `id:${src.identity.version}:${h.digest("hex")}`;
  }
  for (const b of bytes ?? []) h.update(b);
  return h.digest("hex");
}

async function ensureOne(dir: string, entry: FixtureEntry, manifest: Manifest): Promise<FixtureResult> {
  const t0 = performance.now();
  const path = join(dir, entry.file);
  const src = entry.build();
  // Small sources are materialized so the content hash is known before touching the disk.
  const bytes = src.identity ? undefined : [...src.chunks()];
  const key = sourceKey(src, bytes);
  const have = await stat(path).catch(() => undefined);
  const known = manifest[entry.file];
  if (
    have &&
    have.size === src.totalSize &&
    known &&
    known.key === key &&
    known.size === have.size &&
    known.mtimeMs === have.mtimeMs
  ) {
    return { file: entry.file, action: "kept", bytes: have.size, ms: performance.now() - t0 };
  }
  if (have && have.size === src.totalSize && !src.identity && (await hashFile(path)) === key) {
    manifest[entry.file] = { key, size: have.size, mtimeMs: have.mtimeMs };
    return { file: entry.file, action: "kept", bytes: have.size, ms: performance.now() - t0 };
  }
  await writeAtomic(path, async (tmp) => {
    const fh = await open(tmp, "w");
    try {
      let written = 0;
      for (const chunk of bytes ?? src.chunks()) {
        await fh.write(chunk);
        written += chunk.length;
      }
      if (written !== src.totalSize)
        throw new Error(`${entry.file}: wrote ${written} bytes, expected ${src.totalSize}`);
    } finally {
      await fh.close();
    }
  });
  const now = await stat(path);
  manifest[entry.file] = { key, size: now.size, mtimeMs: now.mtimeMs };
  return { file: entry.file, action: "written", bytes: now.size, ms: performance.now() - t0 };
}

/** Writes every missing or stale fixture (test ones; bench ones with `bench`). Returns what it did per file. */
export async function writeFixtures(options: WriteFixturesOptions = {}): Promise<FixtureResult[]> {
  const dir = options.dir ?? DEFAULT_FIXTURES_DIR;
  await mkdir(dir, { recursive: true });
  const manifest = await readManifest(dir);
  const results: FixtureResult[] = [];
  const wanted = FIXTURE_CATALOG.filter((e) =>
    options.benchOnly
      ? e.group === "bench"
      : e.group === "test" || (options.bench === true && e.group === "bench"),
  );
  for (const entry of wanted) {
    const r = await ensureOne(dir, entry, manifest);
    options.log?.(
      `${r.action === "written" ? "wrote" : "kept "} ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.ms.toFixed(0)} ms)`,
    );
    results.push(r);
  }
  // Merge with whatever another process recorded meanwhile, then replace atomically.
  const merged = { ...(await readManifest(dir)), ...manifest };
  await writeAtomic(join(dir, MANIFEST), (tmp) => writeFile(tmp, JSON.stringify(merged, null, 1)));
  return results;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const bench = process.argv.includes("--bench");
  const t0 = performance.now();
  const results = await writeFixtures({ bench, log: (l) => console.log(l) });
  const total = results.reduce((a, r) => a + r.bytes, 0);
  console.log(
    `${results.length} fixtures in ${DEFAULT_FIXTURES_DIR}: ${(total / 1048576).toFixed(1)} MiB, ${(performance.now() - t0).toFixed(0)} ms`,
  );
}
