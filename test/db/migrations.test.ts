// The migration runner and each migration: versions, one transaction, refusing newer
// databases, backups before migrating, and (for data-changing steps) migrate N-10 ->
// insert -> migrate N -> compare.
import Database from "better-sqlite3";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isStoreError } from "../../core/history/errors.ts";
import { LATHE_APPLICATION_ID, latestVersion, migrate, schemaVersion } from "../../db/migrate.ts";
import { migrations } from "../../db/migrations/index.ts";
import { openStore } from "../../db/openStore.ts";
import { searchMessages } from "../../db/search.ts";
import { databaseAt, migrateTo, schemaObjects } from "./helpers/migrations.ts";
import { tempDir, track } from "./helpers/store.ts";

const tables = [
  "adapters",
  "conversations",
  "messages",
  "models",
  "presets",
  "prompt_templates",
  "provenance",
];

describe("migration runner", () => {
  it("knows versions 10 to 60, in steps of 10", () => {
    expect(migrations.map((m) => m.version)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(latestVersion()).toBe(60);
  });

  it("migrates an empty database to the latest version and is idempotent", () => {
    const { db } = databaseAt(0);
    expect(migrate(db)).toEqual({ from: 0, to: 60, applied: [10, 20, 30, 40, 50, 60] });
    expect(schemaVersion(db)).toBe(60);
    expect(db.pragma("application_id", { simple: true })).toBe(LATHE_APPLICATION_ID);
    expect(migrate(db)).toEqual({ from: 60, to: 60, applied: [] });
  });

  it("rolls back every step of a run when one step fails", () => {
    const { db } = databaseAt(0);
    const failing = [
      ...migrations,
      {
        version: latestVersion() + 10,
        name: "broken",
        up: (d: typeof db) => {
          d.exec("CREATE TABLE half_done (x INTEGER) STRICT");
          throw new Error("boom");
        },
      },
    ];
    expect(() => migrate(db, { migrations: failing })).toThrow(new RegExp(`Migration ${latestVersion() + 10} \\(broken\\) failed: boom`));
    expect(schemaVersion(db)).toBe(0);
    expect(schemaObjects(db, "table")).toEqual([]);
    expect(db.pragma("application_id", { simple: true })).toBe(0);
  });

  it("rejects a migration list out of order", () => {
    const { db } = databaseAt(0);
    const bad = [migrations[1]!, migrations[0]!];
    expect(() => migrate(db, { migrations: bad })).toThrow(/out of order/);
  });

  it("refuses a database from a newer Lathe with a clear message", () => {
    const newer = latestVersion() + 10;
    const { db } = databaseAt(latestVersion());
    db.pragma(`user_version = ${newer}`);
    let error: unknown;
    try {
      migrate(db);
    } catch (err) {
      error = err;
    }
    expect(isStoreError(error, "newer-schema")).toBe(true);
    expect((error as Error).message).toBe(
      `this database was written by a newer Lathe (schema ${newer}, this build knows ${latestVersion()})`,
    );
    expect(schemaVersion(db)).toBe(newer);
  });

  it("openStore refuses a newer database without changing a byte of it", () => {
    const newer = latestVersion() + 10;
    const { db, path } = databaseAt(latestVersion());
    db.pragma(`user_version = ${newer}`);
    db.close();
    const before = readFileSync(path);
    let error: unknown;
    try {
      openStore({ path });
    } catch (err) {
      error = err;
    }
    expect(isStoreError(error, "newer-schema")).toBe(true);
    expect((error as Error).message).toContain(
      `this database was written by a newer Lathe (schema ${newer}, this build knows ${latestVersion()})`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("backs the file up before migrating an existing database, and only then", () => {
    const { db, path } = databaseAt(10);
    db.prepare(
      "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Kept in the backup', 1, 1)",
    ).run();
    db.close();

    const store = track(openStore({ path }));
    expect(store.report.migration).toEqual({ from: 10, to: 60, applied: [20, 30, 40, 50, 60] });
    const backup = store.report.backupPath!;
    expect(backup).toMatch(/lathe\.sqlite\.schema10-.*\.bak$/);
    const copy = new Database(backup, { readonly: true });
    expect(copy.pragma("user_version", { simple: true })).toBe(10);
    expect(copy.prepare("SELECT title FROM conversations").all()).toEqual([{ title: "Kept in the backup" }]);
    copy.close();
    store.close();

    // Nothing to migrate: no new backup.
    const again = track(openStore({ path }));
    expect(again.report.backupPath).toBeNull();
    expect(readdirSync(dirname(path)).filter((f) => f.endsWith(".bak"))).toHaveLength(1);
  });

  it("does not back up a brand-new (empty) database", () => {
    const home = tempDir();
    writeFileSync(join(home, "lathe.sqlite"), "");
    const store = track(openStore({ home }));
    expect(store.report.migration.from).toBe(0);
    expect(store.report.backupPath).toBeNull();
    expect(readdirSync(home).filter((f) => f.endsWith(".bak"))).toEqual([]);
  });
});

describe("0010 initial", () => {
  it("creates STRICT tables with foreign keys and only named indexes", () => {
    const { db } = databaseAt(10);
    expect(schemaObjects(db, "table")).toEqual(tables);
    const strict = db
      .prepare(
        "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'",
      )
      .all() as {
      name: string;
      strict: number;
    }[];
    expect(strict.filter((t) => t.strict !== 1).map((t) => t.name)).toEqual([]);
    for (const table of tables) {
      const indexes = db.prepare(`SELECT name, origin FROM pragma_index_list('${table}')`).all() as {
        name: string;
        origin: string;
      }[];
      // Unique constraints are declared as named CREATE UNIQUE INDEX, never inline (origin 'u').
      expect(indexes.filter((i) => i.origin === "u")).toEqual([]);
      for (const i of indexes.filter((i) => i.origin === "c"))
        expect(i.name.startsWith(`${table}_`)).toBe(true);
    }
    expect(schemaObjects(db, "index")).toEqual(
      expect.arrayContaining([
        "messages_by_id",
        "messages_by_parent",
        "messages_by_conversation",
        "models_by_file_path",
      ]),
    );
    const fks = db
      .prepare('SELECT "table", "from", on_delete FROM pragma_foreign_key_list(\'messages\')')
      .all();
    expect(fks).toEqual(
      expect.arrayContaining([
        { table: "conversations", from: "conversation_id", on_delete: "CASCADE" },
        { table: "messages", from: "parent_id", on_delete: "CASCADE" },
      ]),
    );
  });

  it("rejects a parent from another conversation and values outside the allowed sets", () => {
    const { db } = databaseAt(10);
    db.exec(`
      INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'a', 1, 1), ('c2', 'b', 1, 1);
      INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at)
        VALUES ('m1', 'c1', 'user', 'hi', 'complete', 1, 1);
    `);
    const insert = db.prepare(
      "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'x', ?, 1, 1)",
    );
    expect(() => insert.run("m2", "c2", "m1", "assistant", "complete")).toThrow(/another conversation/);
    expect(() => insert.run("m3", "c1", "m1", "robot", "complete")).toThrow(/CHECK constraint/);
    expect(() => insert.run("m4", "c1", "m1", "assistant", "done")).toThrow(/CHECK constraint/);
    expect(() => insert.run("m5", "c1", "m1", "assistant", 5)).toThrow(/CHECK constraint|cannot store/);
  });
});

describe("0020 message-search", () => {
  it("indexes the messages that existed before it, except ones still streaming", () => {
    const { db } = databaseAt(10);
    db.exec(`
      INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Old chat', 1, 1);
      INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, updated_at) VALUES
        ('m1', 'c1', NULL, 'user', 'How do lathes cut threads?', 'complete', 1, 1),
        ('m2', 'c1', 'm1', 'assistant', 'A lathe cuts threads with a single-point tool.', 'complete', 2, 2),
        ('m3', 'c1', 'm1', 'assistant', 'Partial threads answer', 'streaming', 3, 3);
    `);
    const before = db.prepare("SELECT id, content, status FROM messages ORDER BY seq").all();
    migrateTo(db, 20);

    expect(schemaVersion(db)).toBe(20);
    expect(db.prepare("SELECT id, content, status FROM messages ORDER BY seq").all()).toEqual(before);
    expect(
      searchMessages(db, "threads")
        .map((h) => h.messageId)
        .sort(),
    ).toEqual(["m1", "m2"]);
    expect(searchMessages(db, "partial")).toEqual([]);
    // The stream ending indexes its final text.
    db.prepare("UPDATE messages SET status = 'interrupted' WHERE id = 'm3'").run();
    expect(searchMessages(db, "partial").map((h) => h.messageId)).toEqual(["m3"]);
    db.prepare("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)").run();
  });
});
