// The migration runner: applies every pending migration of db/migrations in one
// transaction and records the schema version in `PRAGMA user_version`. openStore calls
// it after backing the file up; migration tests call it with `target` to stop at N-10.
// Released migrations never change; a new one is a new file (see docs/db.md).
import { StoreError } from "../core/history/errors.ts";
import { migrations as allMigrations, type Migration } from "./migrations/index.ts";
import type { Db } from "./sql.ts";

/** `PRAGMA application_id` of Lathe databases ("Lath"), so foreign SQLite files are told apart. */
export const LATHE_APPLICATION_ID = 0x4c617468;

export interface MigrateOptions {
  /** The migrations to know about. Default: db/migrations' list. */
  migrations?: readonly Migration[];
  /** Stop after this version (tests migrate to N-10 first). Default: the latest. */
  target?: number;
  /** Called once before anything is applied, only when something is pending (openStore backs up here). */
  beforeMigrate?: (from: number, to: number) => void;
}

export interface MigrateResult {
  /** user_version before. */
  from: number;
  /** user_version after. */
  to: number;
  /** Versions applied, in order. */
  applied: number[];
}

/** The schema version a database is at. */
export function schemaVersion(db: Db): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** The newest schema version this build knows. */
export function latestVersion(migrations: readonly Migration[] = allMigrations): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** The message for a database newer than this build. */
export function newerSchemaMessage(found: number, known: number): string {
  return `this database was written by a newer Lathe (schema ${found}, this build knows ${known})`;
}

function checkList(migrations: readonly Migration[]): void {
  let prev = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= prev || m.version % 10 !== 0) {
      throw new Error(
        `Migration list out of order at ${m.version} (${m.name}): versions rise in steps of 10.`,
      );
    }
    prev = m.version;
  }
}

/**
 * Brings db to `target` (default: latest). All pending steps run in one transaction with
 * foreign keys checked at the end (table rebuilds need them off while they run); any
 * failure leaves the database exactly as it was.
 */
export function migrate(db: Db, options: MigrateOptions = {}): MigrateResult {
  const list = options.migrations ?? allMigrations;
  checkList(list);
  const known = latestVersion(list);
  const target = options.target ?? known;
  const from = schemaVersion(db);
  if (from > known)
    throw new StoreError("newer-schema", newerSchemaMessage(from, known), { found: from, known });
  const pending = list.filter((m) => m.version > from && m.version <= target);
  if (pending.length === 0) return { from, to: from, applied: [] };
  const to = pending[pending.length - 1]!.version;
  options.beforeMigrate?.(from, to);

  const foreignKeys = db.pragma("foreign_keys", { simple: true }) as number;
  db.pragma("foreign_keys = OFF");
  try {
    db.transaction(() => {
      if (from === 0) db.pragma(`application_id = ${LATHE_APPLICATION_ID}`);
      for (const m of pending) {
        try {
          m.up(db);
        } catch (err) {
          throw new Error(`Migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
            cause: err,
          });
        }
        db.pragma(`user_version = ${m.version}`);
      }
      const violations = db.pragma("foreign_key_check") as unknown[];
      if (violations.length) {
        throw new Error(
          `Migration to ${to} broke ${violations.length} foreign key(s): ${JSON.stringify(violations.slice(0, 3))}`,
        );
      }
    })();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  }
  return { from, to, applied: pending.map((m) => m.version) };
}
