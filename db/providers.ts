// SQLite implementation of the provider store port (core/services/providers.ts): remote
// OpenAI-compatible endpoints with their key as given, concurrency and last connection
// test (a JSON column). Both shells construct it with `sqliteProviderStore`.
import { StoreError } from "../core/history/errors.ts";
import type { ProviderTest } from "../core/api/providers.ts";
import type { ProviderRecord, ProviderRecordPatch, ProviderStore } from "../core/services/providers.ts";
import { fromJson, isUniqueViolation, newId, notFound, now, stmt, toJson, type Db } from "./sql.ts";

interface ProviderRow {
  id: string;
  name: string;
  base_url: string;
  api_key: string | null;
  concurrency: number;
  last_test: string | null;
  created_at: number;
  updated_at: number;
}

const hydrate = (r: ProviderRow): ProviderRecord => ({
  id: r.id,
  name: r.name,
  baseUrl: r.base_url,
  apiKey: r.api_key,
  concurrency: r.concurrency,
  lastTest: r.last_test === null ? null : fromJson<ProviderTest>(r.last_test),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const nameTaken = (name: string, cause: unknown) =>
  new StoreError("conflict", `A provider named "${name}" exists already; choose another name.`, { name }, { cause });

export function getProvider(db: Db, id: string): ProviderRecord | null {
  const row = stmt<[string], ProviderRow>(db, "SELECT * FROM providers WHERE id = ?").get(id);
  return row ? hydrate(row) : null;
}

/** By name. */
export function listProviders(db: Db): ProviderRecord[] {
  return stmt<[], ProviderRow>(db, "SELECT * FROM providers ORDER BY name COLLATE NOCASE, id").all().map(hydrate);
}

export function addProvider(db: Db, input: { name: string; baseUrl: string; apiKey: string | null; concurrency: number }): ProviderRecord {
  const id = newId();
  const t = now();
  try {
    stmt(db, "INSERT INTO providers (id, name, base_url, api_key, concurrency, last_test, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)").run(
      id,
      input.name,
      input.baseUrl,
      input.apiKey,
      input.concurrency,
      t,
      t,
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name, err);
    throw err;
  }
  return getProvider(db, id)!;
}

/** Changes the given fields; a new URL or key forgets the last test (it described another server). */
export function updateProvider(db: Db, id: string, patch: ProviderRecordPatch): ProviderRecord {
  const p = getProvider(db, id);
  if (!p) throw notFound("provider", id);
  const next = { ...p, ...patch };
  const retest = next.baseUrl !== p.baseUrl || next.apiKey !== p.apiKey;
  try {
    stmt(db, "UPDATE providers SET name = ?, base_url = ?, api_key = ?, concurrency = ?, last_test = ?, updated_at = ? WHERE id = ?").run(
      next.name,
      next.baseUrl,
      next.apiKey,
      next.concurrency,
      retest || p.lastTest === null ? null : toJson(p.lastTest),
      Math.max(now(), p.updatedAt + 1),
      id,
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(next.name, err);
    throw err;
  }
  return getProvider(db, id)!;
}

export function saveProviderTest(db: Db, id: string, test: ProviderTest): ProviderRecord {
  const changed = stmt(db, "UPDATE providers SET last_test = ? WHERE id = ?").run(toJson(test), id).changes;
  if (!changed) throw notFound("provider", id);
  return getProvider(db, id)!;
}

export function removeProvider(db: Db, id: string): boolean {
  return stmt(db, "DELETE FROM providers WHERE id = ?").run(id).changes > 0;
}

/** The ProviderStore port over a handle. */
export function sqliteProviderStore(db: Db): ProviderStore {
  return {
    listProviders: async () => listProviders(db),
    getProvider: async (id) => getProvider(db, id),
    addProvider: async (input) => addProvider(db, input),
    updateProvider: async (id, patch) => updateProvider(db, id, patch),
    saveProviderTest: async (id, test) => saveProviderTest(db, id, test),
    removeProvider: async (id) => removeProvider(db, id),
  };
}
