// StoreErrors for what SQLite reports at open and during queries: a database another
// process holds (locked) and a damaged file (corrupt), with messages that tell people
// what to do. Used by openStore, and by every store through storeRunner.
import { StoreError } from "../core/history/errors.ts";

/** The damaged-file error: says the file was left alone and how to recover. */
export function corrupt(path: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    "corrupt",
    `The history database ${path} is damaged (${detail}). Lathe has not changed it: restore a backup ` +
      `(the .bak files beside it) or move it away to start a new history.`,
    { path, detail },
    { cause },
  );
}

/** The database-in-use error: says which process to close. */
export function locked(path: string, cause?: unknown): StoreError {
  return new StoreError(
    "locked",
    `The history database ${path} is in use by another Lathe (or another program has it open). ` +
      `Close the other Lathe window or "lathe serve" process and try again.`,
    { path },
    { cause },
  );
}

/** Turns SQLite's busy/corrupt errors into StoreErrors; anything else passes through. */
export function translateSqliteError(err: unknown, path: string): unknown {
  if (err instanceof StoreError) return err;
  const code = String((err as { code?: unknown }).code ?? "");
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return locked(path, err);
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB")
    return corrupt(path, (err as Error).message, err);
  return err;
}

/**
 * Wraps a store's synchronous queries as promises: refuses a closed database with a clear
 * StoreError and translates SQLite's busy/corrupt errors (SqliteStore and the
 * critique, evaluation and forgetting stores all run their queries through one of these).
 */
export function storeRunner(db: { readonly open: boolean }, path: string): <T>(fn: () => T) => Promise<T> {
  return <T>(fn: () => T): Promise<T> => {
    try {
      if (!db.open) throw new StoreError("closed", `The history database ${path} is closed.`);
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(translateSqliteError(err, path));
    }
  };
}
