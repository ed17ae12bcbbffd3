// Opening the store: where the file lives, the settings it runs with, and refusing
// damaged, foreign or locked databases with a typed error and without touching them.
import { readFileSync, writeFileSync, existsSync, openSync, writeSync, closeSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { isStoreError, type StoreError } from "../../core/history/errors.ts";
import { openStore, resolveStorePath } from "../../db/openStore.ts";
import { migrations } from "../../db/migrations/index.ts";
import { latestVersion } from "../../db/migrate.ts";
import { startChild } from "./helpers/children.ts";
import { openTempStore, tempDir, track } from "./helpers/store.ts";

function openError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (isStoreError(err)) return err;
    throw err;
  }
  throw new Error("expected openStore to fail");
}

describe("openStore", () => {
  it("puts lathe.sqlite in LATHE_HOME, or in the home folder given", () => {
    const home = tempDir();
    const previous = process.env.LATHE_HOME;
    process.env.LATHE_HOME = home;
    try {
      expect(resolveStorePath()).toBe(join(home, "lathe.sqlite"));
      const store = track(openStore());
      expect(store.path).toBe(join(home, "lathe.sqlite"));
      expect(existsSync(join(home, "lathe.sqlite"))).toBe(true);
    } finally {
      if (previous === undefined) delete process.env.LATHE_HOME;
      else process.env.LATHE_HOME = previous;
    }
    expect(resolveStorePath({ home: "/x/y" })).toBe("/x/y/lathe.sqlite");
    expect(resolveStorePath({ home: "/x/y", path: "/z/custom.db" })).toBe("/z/custom.db");
  });

  it("creates missing folders and runs with WAL, foreign keys and an exclusive lock", () => {
    const path = join(tempDir(), "nested", "deeper", "lathe.sqlite");
    const store = track(openStore({ path }));
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(store.db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(store.db.pragma("locking_mode", { simple: true })).toBe("exclusive");
    expect(store.report.migration).toEqual({ from: 0, to: latestVersion(), applied: migrations.map((m) => m.version) });
  });

  it("reports a file that is not a database as corrupt and leaves its bytes alone", () => {
    const home = tempDir();
    const path = join(home, "lathe.sqlite");
    const garbage = Buffer.from("This is not a database. ".repeat(200));
    writeFileSync(path, garbage);
    const err = openError(() => openStore({ path }));
    expect(err.reason).toBe("corrupt");
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not an SQLite database.*has not changed it/);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("reports a truncated file as corrupt", () => {
    const path = join(tempDir(), "lathe.sqlite");
    writeFileSync(path, "SQLite format 3\0");
    expect(openError(() => openStore({ path })).reason).toBe("corrupt");
    expect(readFileSync(path, "latin1")).toBe("SQLite format 3\0");
  });

  it("detects damaged pages behind a valid header and does not write to the file", async () => {
    const store = openTempStore();
    const path = store.path;
    const conv = await store.history.createConversation({ title: "Will be damaged" });
    for (let i = 0; i < 60; i++) {
      await store.history.addMessage({
        conversationId: conv.id,
        parentId: null,
        role: "user",
        content: `message ${i} `.repeat(80),
      });
    }
    store.close();
    const pageSize = 4096;
    const pages = statSync(path).size / pageSize;
    expect(pages).toBeGreaterThan(8);
    const fd = openSync(path, "r+");
    for (let p = 2; p < pages; p += 2) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, p * pageSize);
    closeSync(fd);
    const before = readFileSync(path);

    const err = openError(() => openStore({ path }));
    expect(err.reason).toBe("corrupt");
    expect(err.message).toContain("is damaged");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("with the header-only check, reports damage met later by a query as corrupt", async () => {
    const store = openTempStore();
    const path = store.path;
    const conv = await store.history.createConversation({ title: "Will be damaged" });
    for (let i = 0; i < 60; i++) {
      await store.history.addMessage({
        conversationId: conv.id,
        parentId: null,
        role: "user",
        content: `message ${i} `.repeat(80),
      });
    }
    const leafPages = store.db
      .prepare("SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf'")
      .all() as { pageno: number }[];
    store.close();
    const fd = openSync(path, "r+");
    for (const { pageno } of leafPages) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (pageno - 1) * 4096);
    closeSync(fd);

    const damaged = track(openStore({ path, check: "header" }));
    await expect(damaged.history.listMessages(conv.id)).rejects.toMatchObject({
      reason: "corrupt",
      code: "unavailable",
    });
  });

  it("refuses an SQLite database that is not Lathe's", () => {
    const path = join(tempDir(), "other.sqlite");
    const other = new Database(path);
    other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
    other.close();
    const before = readFileSync(path);
    const err = openError(() => openStore({ path }));
    expect(err.reason).toBe("foreign-database");
    expect(err.message).toContain("not a Lathe history");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("says the database is in use when another Lathe process holds it", async () => {
    const path = join(tempDir(), "lathe.sqlite");
    const holder = startChild("hold", path);
    await holder.waitFor((l) => l === "ready");
    const err = openError(() => openStore({ path, lockTimeoutMs: 50 }));
    expect(err.reason).toBe("locked");
    expect(err.message).toContain("in use by another Lathe");
    expect(err.message).toContain(path);

    await holder.kill();
    const store = track(openStore({ path }));
    expect(store.report.migration.from).toBe(latestVersion());
  });

  it("refuses a second store on the same file in one process too", () => {
    const store = openTempStore();
    const err = openError(() => openStore({ path: store.path, lockTimeoutMs: 10 }));
    expect(err.reason).toBe("locked");
  });

  it("rejects calls after close with a closed error", async () => {
    const store = openTempStore();
    store.close();
    await expect(store.history.listConversations()).rejects.toMatchObject({
      reason: "closed",
      code: "unavailable",
    });
    store.close();
  });
});
