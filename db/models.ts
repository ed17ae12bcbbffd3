// Model-catalog queries: GGUF files known to Lathe, keyed by path. Functions of the
// handle; SqliteStore wires them to core's ModelStore.
import type { ModelInput, ModelRecord } from "../core/history/types.ts";
import { hydrateModel, type ModelRow } from "./rows.ts";
import { newId, now, stmt, toJson, type Db } from "./sql.ts";

export function getModel(db: Db, id: string): ModelRecord | null {
  const row = stmt<[string], ModelRow>(db, "SELECT * FROM models WHERE id = ?").get(id);
  return row ? hydrateModel(row) : null;
}

export function getModelByPath(db: Db, filePath: string): ModelRecord | null {
  const row = stmt<[string], ModelRow>(db, "SELECT * FROM models WHERE file_path = ?").get(filePath);
  return row ? hydrateModel(row) : null;
}

/** By name. */
export function listModels(db: Db): ModelRecord[] {
  return stmt<[], ModelRow>(db, "SELECT * FROM models ORDER BY name COLLATE NOCASE, id")
    .all()
    .map(hydrateModel);
}

/**
 * Inserts, or updates the entry with the same filePath (id and addedAt kept). An omitted
 * sha256 or metadata keeps the stored one; null clears the hash (the file changed).
 */
export function upsertModel(db: Db, input: ModelInput): ModelRecord {
  return db.transaction(() => {
    const existing = getModelByPath(db, input.filePath);
    const id = existing?.id ?? newId();
    const sha256 = input.sha256 === undefined ? (existing?.sha256 ?? null) : input.sha256;
    const metadata = input.metadata ?? existing?.metadata ?? {};
    if (existing) {
      stmt(db, "UPDATE models SET name = ?, sha256 = ?, size_bytes = ?, metadata = ? WHERE id = ?").run(
        input.name,
        sha256,
        input.sizeBytes,
        toJson(metadata),
        id,
      );
    } else {
      stmt(
        db,
        "INSERT INTO models (id, file_path, name, sha256, size_bytes, metadata, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(id, input.filePath, input.name, sha256, input.sizeBytes, toJson(metadata), now());
    }
    return getModel(db, id)!;
  })();
}

/** Removes the entry; conversations keep the model's file name (their model id becomes null). */
export function removeModel(db: Db, id: string): boolean {
  return stmt(db, "DELETE FROM models WHERE id = ?").run(id).changes > 0;
}
