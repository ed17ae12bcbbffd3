// Small helpers every query module shares: the handle type, a per-handle cache of prepared
// statements, JSON column encoding, ids and the clock. Keeps query modules to their SQL.
import type Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { StoreError } from "../core/history/errors.ts";

/** The database handle every query function takes. */
export type Db = Database.Database;

const cache = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement for sql, prepared once per handle. */
export function stmt<P extends unknown[] | object = unknown[], R = unknown>(
  db: Db,
  sql: string,
): Database.Statement<P, R> {
  let map = cache.get(db);
  if (!map) cache.set(db, (map = new Map()));
  let s = map.get(sql);
  if (!s) map.set(sql, (s = db.prepare(sql)));
  return s as unknown as Database.Statement<P, R>;
}

/** A new random id. */
export function newId(): string {
  return randomUUID();
}

/** Milliseconds since the epoch; the one clock every row timestamp comes from. */
export function now(): number {
  return Date.now();
}

/** JSON text for a JSON column. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Parses a JSON column (the schema's json_valid checks guarantee it parses). */
export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** 1/0 for a boolean column. */
export function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

/** Throws not-found with a message naming what was missing. */
export function notFound(what: string, id: string): StoreError {
  return new StoreError("not-found", `No ${what} with id ${id}.`, { id });
}

/** True for SQLite's unique/primary-key constraint errors. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
