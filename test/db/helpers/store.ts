// Shared fixtures for test/db: temporary data folders (removed after each test), stores
// opened in them, and sample provenance. Every db test works on real SQLite files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type OpenStoreOptions } from "../../../db/openStore.ts";
import type { SqliteStore } from "../../../db/SqliteStore.ts";
import type { ProvenanceStart, Provenance } from "../../../core/history/types.ts";

const dirs: string[] = [];
const stores: SqliteStore[] = [];

/** A fresh temporary folder, removed after the current test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lathe-db-test-"));
  dirs.push(dir);
  return dir;
}

/** Opens a store in a fresh temporary folder (closed after the current test). */
export function openTempStore(options: OpenStoreOptions = {}): SqliteStore {
  const store = openStore({ home: tempDir(), ...options });
  stores.push(store);
  return store;
}

/** Opens a store at an explicit path and closes it after the current test. */
export function track(store: SqliteStore): SqliteStore {
  stores.push(store);
  return store;
}

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Provenance known at the start of a generation. */
export function sampleStart(overrides: Partial<ProvenanceStart> = {}): ProvenanceStart {
  return {
    modelFile: "tiny-llama.Q4_K_M.gguf",
    modelSha256: "a".repeat(64),
    modelMetadata: { architecture: "llama", parameters: 1_100_000, quantization: "Q4_K_M" },
    adapters: [{ adapterId: null, file: "pirate.lora.gguf", sha256: "b".repeat(64), scale: 0.75 }],
    sampling: {
      temperature: 0.7,
      topK: 40,
      topP: 0.95,
      minP: 0.05,
      repeatPenalty: { penalty: 1.1, lastTokens: 64 },
    },
    seed: 1234,
    chatTemplate: "chatml",
    latheVersion: "0.1.0",
    nodeLlamaCppVersion: "3.21.1",
    llamaCppVersion: "v0.4.0",
    startedAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** Complete provenance of a finished generation. */
export function sampleProvenance(overrides: Partial<Provenance> = {}): Provenance {
  return {
    ...sampleStart(),
    promptTokens: 42,
    completionTokens: 17,
    ttftMs: 85.5,
    tokensPerSecond: 31.25,
    finishedAt: 1_700_000_001_000,
    ...overrides,
  };
}
