// Adapter-catalog queries: LoRA files known to Lathe with tags and notes, keyed by path.
// Functions of the handle; SqliteStore wires them to core's AdapterStore.
import type { AdapterInput, AdapterRecord } from "../core/history/types.ts";
import { hydrateAdapter, type AdapterRow } from "./rows.ts";
import { newId, notFound, now, stmt, toJson, type Db } from "./sql.ts";

export function getAdapter(db: Db, id: string): AdapterRecord | null {
  const row = stmt<[string], AdapterRow>(db, "SELECT * FROM adapters WHERE id = ?").get(id);
  return row ? hydrateAdapter(row) : null;
}

export function getAdapterByPath(db: Db, filePath: string): AdapterRecord | null {
  const row = stmt<[string], AdapterRow>(db, "SELECT * FROM adapters WHERE file_path = ?").get(filePath);
  return row ? hydrateAdapter(row) : null;
}

/** By name. */
export function listAdapters(db: Db): AdapterRecord[] {
  return stmt<[], AdapterRow>(db, "SELECT * FROM adapters ORDER BY name COLLATE NOCASE, id")
    .all()
    .map(hydrateAdapter);
}

/**
 * Inserts, or updates the entry with the same filePath (id and addedAt kept). Omitted
 * sha256, metadata, tags and notes keep the stored values.
 */
export function upsertAdapter(db: Db, input: AdapterInput): AdapterRecord {
  return db.transaction(() => {
    const existing = getAdapterByPath(db, input.filePath);
    const id = existing?.id ?? newId();
    const row = {
      sha256: input.sha256 === undefined ? (existing?.sha256 ?? null) : input.sha256,
      metadata: toJson(input.metadata ?? existing?.metadata ?? {}),
      tags: toJson(input.tags ?? existing?.tags ?? []),
      notes: input.notes ?? existing?.notes ?? "",
    };
    if (existing) {
      stmt(
        db,
        "UPDATE adapters SET name = ?, sha256 = ?, metadata = ?, tags = ?, notes = ? WHERE id = ?",
      ).run(input.name, row.sha256, row.metadata, row.tags, row.notes, id);
    } else {
      stmt(
        db,
        `INSERT INTO adapters (id, file_path, name, sha256, metadata, tags, notes, added_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(id, input.filePath, input.name, row.sha256, row.metadata, row.tags, row.notes, now());
    }
    return getAdapter(db, id)!;
  })();
}

/** Changes name, tags or notes; omitted fields stay. */
export function updateAdapter(
  db: Db,
  id: string,
  patch: Partial<Pick<AdapterRecord, "name" | "tags" | "notes">>,
): AdapterRecord {
  return db.transaction(() => {
    const existing = getAdapter(db, id);
    if (!existing) throw notFound("adapter", id);
    stmt(db, "UPDATE adapters SET name = ?, tags = ?, notes = ? WHERE id = ?").run(
      patch.name ?? existing.name,
      toJson(patch.tags ?? existing.tags),
      patch.notes ?? existing.notes,
      id,
    );
    return getAdapter(db, id)!;
  })();
}

export function removeAdapter(db: Db, id: string): boolean {
  return stmt(db, "DELETE FROM adapters WHERE id = ?").run(id).changes > 0;
}
