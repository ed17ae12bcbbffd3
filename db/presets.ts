// Preset queries: saved sampling configurations, builtin ones protected from deletion
// and user edits. Functions of the handle; SqliteStore wires them to core's PresetStore.
import { StoreError } from "../core/history/errors.ts";
import type { Preset, PresetInput } from "../core/history/types.ts";
import { hydratePreset, type PresetRow } from "./rows.ts";
import { isUniqueViolation, newId, notFound, now, stmt, toFlag, toJson, type Db } from "./sql.ts";

export function getPreset(db: Db, id: string): Preset | null {
  const row = stmt<[string], PresetRow>(db, "SELECT * FROM presets WHERE id = ?").get(id);
  return row ? hydratePreset(row) : null;
}

/** Builtin first, then by name. */
export function listPresets(db: Db): Preset[] {
  return stmt<[], PresetRow>(db, "SELECT * FROM presets ORDER BY builtin DESC, name COLLATE NOCASE, id")
    .all()
    .map(hydratePreset);
}

/**
 * Inserts, or updates the preset with input.id. A builtin preset is only changed by a
 * save that is itself builtin (Lathe updating its defaults); people save a copy instead.
 */
export function savePreset(db: Db, input: PresetInput): Preset {
  return db.transaction(() => {
    const t = now();
    const existing = input.id === undefined ? null : getPreset(db, input.id);
    const builtin = input.builtin ?? false;
    if (existing?.builtin && !builtin) {
      throw new StoreError(
        "conflict",
        `Preset "${existing.name}" is built in; save it under a new name instead.`,
        {
          id: existing.id,
        },
      );
    }
    const id = existing?.id ?? input.id ?? newId();
    try {
      if (existing) {
        stmt(db, "UPDATE presets SET name = ?, config = ?, builtin = ?, updated_at = ? WHERE id = ?").run(
          input.name,
          toJson(input.config),
          toFlag(builtin),
          t,
          id,
        );
      } else {
        stmt(
          db,
          "INSERT INTO presets (id, name, config, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(id, input.name, toJson(input.config), toFlag(builtin), t, t);
      }
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new StoreError("conflict", `A preset named "${input.name}" already exists.`, {
          name: input.name,
        });
      }
      throw err;
    }
    return getPreset(db, id)!;
  })();
}

/** Removes a user preset (conversations using it keep their own settings); builtin ones throw conflict. */
export function deletePreset(db: Db, id: string): boolean {
  const existing = getPreset(db, id);
  if (!existing) return false;
  if (existing.builtin) {
    throw new StoreError("conflict", `Preset "${existing.name}" is built in and cannot be deleted.`, { id });
  }
  return stmt(db, "DELETE FROM presets WHERE id = ?").run(id).changes > 0;
}

/** The preset, or a not-found StoreError. */
export function requirePreset(db: Db, id: string): Preset {
  const p = getPreset(db, id);
  if (!p) throw notFound("preset", id);
  return p;
}
