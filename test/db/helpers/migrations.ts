// The migration-test harness (Signal Desktop's pattern): open a raw database file at
// schema N-10, insert rows the way that schema stores them, migrate to N, and compare.
// Each data-changing migration gets one test built on these helpers.
import Database from "better-sqlite3";
import { join } from "node:path";
import { migrate } from "../../../db/migrate.ts";
import type { Db } from "../../../db/sql.ts";
import { tempDir } from "./store.ts";

const open: Db[] = [];

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

/** A new database file migrated to exactly `version` (0 = empty), foreign keys on as the app runs. */
export function databaseAt(version: number): { db: Db; path: string } {
  const path = join(tempDir(), "lathe.sqlite");
  const db = new Database(path);
  open.push(db);
  db.pragma("foreign_keys = ON");
  if (version > 0) migrate(db, { target: version });
  return { db, path };
}

/** Migrates db from where it is to `version`. */
export function migrateTo(db: Db, version: number): void {
  migrate(db, { target: version });
}

/** Names of the user tables, indexes and triggers, for schema assertions. */
export function schemaObjects(db: Db, type: "table" | "index" | "trigger"): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_schema WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all(type) as { name: string }[]
  ).map((r) => r.name);
}
