// Opens Lathe's SQLite database: finds the file (LATHE_HOME or the app-data folder),
// refuses damaged, foreign, newer or locked files with a typed StoreError and without
// writing to them, takes an exclusive lock (one Lathe per database), backs up and
// migrates, and marks messages cut off by a crash `interrupted`. Called by both shells.
import Database from "better-sqlite3";
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { StoreError } from "../core/history/errors.ts";
import { corrupt, translateSqliteError } from "./errors.ts";
import { resolveDataPaths } from "../core/paths.ts";
import {
  LATHE_APPLICATION_ID,
  latestVersion,
  migrate,
  newerSchemaMessage,
  type MigrateResult,
} from "./migrate.ts";
import { recoverInterrupted } from "./messages.ts";
import type { Db } from "./sql.ts";
import { SqliteStore } from "./SqliteStore.ts";

/** Where to open the store; `path` wins over `home`. */
export interface OpenStoreOptions {
  /** The database file. Default: `lathe.sqlite` in `home`. */
  path?: string;
  /** The data folder. Default: LATHE_HOME, else the OS app-data folder (core/paths.ts). */
  home?: string;
  /** How long to wait for another process's lock before failing with `locked`, in ms. Default 2000. */
  lockTimeoutMs?: number;
  /**
   * Integrity check at open. "quick" runs `PRAGMA quick_check` (reads every page, so it
   * catches damaged pages before anything is written; about 1.2 s for an 80 MB store);
   * "header" checks the file header and reads the schema; "auto" is "quick" up to
   * QUICK_CHECK_MAX_BYTES and "header" above. Damage found later by a query is reported
   * as a `corrupt` StoreError too. Default "auto".
   */
  check?: "auto" | "quick" | "header";
  /** Copy the file to `<file>.schema<N>-<time>.bak` before migrating an existing database. Default true. */
  backup?: boolean;
}

/** What happened while opening. */
export interface OpenReport {
  /** The database file. */
  path: string;
  /** Schema versions before and after, and the migrations applied. */
  migration: MigrateResult;
  /** The backup written before migrating; null when nothing was migrated (or backup is off). */
  backupPath: string | null;
  /** Messages found still `streaming` (cut off by a crash) and marked `interrupted`. */
  interrupted: number;
}

const SQLITE_MAGIC = "SQLite format 3\0";

/** Largest file that check "auto" reads in full at open (16 MiB, about 20k messages, ~0.2 s). */
export const QUICK_CHECK_MAX_BYTES = 16 * 1024 * 1024;

/** The database file openStore would use for these options (and this environment). */
export function resolveStorePath(options: Pick<OpenStoreOptions, "path" | "home"> = {}): string {
  if (options.path) return options.path;
  if (options.home) return join(options.home, "lathe.sqlite");
  return resolveDataPaths({ platform: process.platform, env: process.env, homedir: homedir() }).database;
}

/**
 * Refuses a non-empty file without the SQLite header before SQLite gets to touch it.
 * Returns the file's size (0 for a new or empty file).
 */
function checkHeader(path: string): number {
  if (!existsSync(path)) return 0;
  const size = statSync(path).size;
  if (size === 0) return 0;
  if (size < 100) throw corrupt(path, `${size} bytes, shorter than an SQLite header`);
  const buf = Buffer.alloc(16);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.toString("latin1") !== SQLITE_MAGIC)
    throw corrupt(path, "not an SQLite database: the file header is wrong");
  return size;
}

function backupName(path: string, version: number): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let name = `${path}.schema${version}-${stamp}.bak`;
  for (let n = 2; existsSync(name); n++) name = `${path}.schema${version}-${stamp}-${n}.bak`;
  return name;
}

/**
 * Opens (creating if needed) and prepares the database: the lower half of openStore,
 * returning the raw handle. Throws StoreError locked / corrupt / newer-schema /
 * foreign-database; on any failure the file is left as it was and the handle closed.
 */
export function openDatabase(options: OpenStoreOptions = {}): { db: Db; report: OpenReport } {
  const path = resolveStorePath(options);
  mkdirSync(dirname(path), { recursive: true });
  const size = checkHeader(path);
  let db: Db;
  try {
    db = new Database(path, { timeout: options.lockTimeoutMs ?? 2000 });
  } catch (err) {
    throw translateSqliteError(err, path);
  }
  try {
    // One Lathe per database: the exclusive lock is taken now and held until close.
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE; COMMIT");
    const version = db.pragma("user_version", { simple: true }) as number;
    const appId = db.pragma("application_id", { simple: true }) as number;
    const objects = (db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number }).n;
    const known = latestVersion();
    if (version > known) {
      throw new StoreError(
        "newer-schema",
        `Cannot open ${path}: ${newerSchemaMessage(version, known)}. Update Lathe to open it.`,
        {
          path,
          found: version,
          known,
        },
      );
    }
    if ((appId !== 0 && appId !== LATHE_APPLICATION_ID) || (version === 0 && objects > 0)) {
      throw new StoreError(
        "foreign-database",
        `${path} is an SQLite database but not a Lathe history (application id ${appId}, schema ${version}, ${objects} objects). Lathe has not changed it.`,
        { path },
      );
    }
    const check = options.check ?? "auto";
    if (size > 0 && (check === "quick" || (check === "auto" && size <= QUICK_CHECK_MAX_BYTES))) {
      const problems = (db.pragma("quick_check") as { quick_check: string }[]).map((r) => r.quick_check);
      if (problems.length !== 1 || problems[0] !== "ok") throw corrupt(path, problems.slice(0, 3).join("; "));
    }
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("temp_store = MEMORY");
    db.pragma("cache_size = -32768");
    let backupPath: string | null = null;
    const migration = migrate(db, {
      beforeMigrate: (from) => {
        if (from === 0 || options.backup === false) return;
        backupPath = backupName(path, from);
        db.prepare("VACUUM INTO ?").run(backupPath);
      },
    });
    const interrupted = recoverInterrupted(db);
    return { db, report: { path, migration, backupPath, interrupted } };
  } catch (err) {
    db.close();
    throw translateSqliteError(err, path);
  }
}

/** Opens the store both shells use; close it with store.close(). */
export function openStore(options: OpenStoreOptions = {}): SqliteStore {
  const { db, report } = openDatabase(options);
  return new SqliteStore(db, report);
}
