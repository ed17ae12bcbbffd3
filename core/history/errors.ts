// The typed error every history/catalog store throws. `code` is an API error code, so
// core/api's toApiErrorData passes it to callers unchanged; `reason` is the finer cause
// a shell branches on (offer "restore a backup" for corrupt, "close the other Lathe" for
// locked). Thrown by db/ and by any other implementation of the store ports.
import type { ApiErrorCode, JsonValue } from "../api/errors.ts";

/** Why a store operation failed. */
export type StoreErrorReason =
  /** No row with that id. */
  | "not-found"
  /** A unique name/id/path is taken, or a builtin row cannot be changed that way. */
  | "conflict"
  /** An argument breaks a rule (parent in another conversation, unknown role...). */
  | "invalid"
  /** An import file is malformed or foreign; details name the line and field. */
  | "invalid-import"
  /** Another Lathe (or program) holds the database open. */
  | "locked"
  /** The database file is damaged or not a database; it was left untouched. */
  | "corrupt"
  /** The database was written by a newer Lathe (higher schema version). */
  | "newer-schema"
  /** A valid SQLite database that is not Lathe's. */
  | "foreign-database"
  /** The store (or a streaming writer) was already closed. */
  | "closed";

const codeOf: Record<StoreErrorReason, ApiErrorCode> = {
  "not-found": "not_found",
  conflict: "conflict",
  invalid: "invalid_input",
  "invalid-import": "invalid_input",
  locked: "unavailable",
  corrupt: "unavailable",
  "newer-schema": "unavailable",
  "foreign-database": "unavailable",
  closed: "unavailable",
};

/** Where in an import file the fault is. */
export interface ImportErrorLocation {
  /** 1-based line in the file; null when it cannot be told. */
  line: number | null;
  /** 1-based column; null when it cannot be told. */
  column: number | null;
  /** JSON path of the value at fault, e.g. "conversations[0].messages[3].role" ("" for the whole file). */
  path: string;
  /** The field at fault (last key of path), e.g. "role"; "" for the whole file. */
  field: string;
}

export class StoreError extends Error {
  override name = "StoreError";
  /** API error code (not_found, conflict, invalid_input, unavailable). */
  readonly code: ApiErrorCode;
  /** The finer cause. */
  readonly reason: StoreErrorReason;
  /** JSON-safe extras: the import location, the database path... */
  readonly details: JsonValue | undefined;
  constructor(reason: StoreErrorReason, message: string, details?: JsonValue, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.code = codeOf[reason];
    this.details = details;
  }
}

/** True when err is a StoreError (optionally with the given reason). */
export function isStoreError(err: unknown, reason?: StoreErrorReason): err is StoreError {
  return err instanceof StoreError && (reason === undefined || err.reason === reason);
}
