// The provider store on real SQLite: migration 50 adds the table and keeps earlier rows,
// names are unique, keys are stored as given, a new URL or key forgets the last test,
// the concurrency range is enforced by the schema, and removing works by id.
import { migrate, schemaVersion } from "../../db/migrate.ts";
import { sqliteProviderStore } from "../../db/providers.ts";
import type { ProviderTest } from "../../core/api/providers.ts";
import { isStoreError } from "../../core/history/errors.ts";
import { databaseAt, migrateTo, schemaObjects } from "./helpers/migrations.ts";
import { openTempStore } from "./helpers/store.ts";

const test1: ProviderTest = {
  at: 5,
  ok: true,
  error: null,
  models: ["m1", "m2"],
  probedModel: "m1",
  capabilities: {
    streaming: { supported: true, detail: "2 deltas" },
    logprobs: { supported: true, detail: "3 tokens" },
    promptLogprobs: { supported: false, detail: "HTTP 400: echo" },
  },
  latencyMs: 4,
};

describe("migration 50 (providers)", () => {
  it("adds the providers table and keeps existing rows", () => {
    const { db } = databaseAt(0);
    migrateTo(db, 40);
    db.prepare("INSERT INTO models (id, file_path, name, sha256, size_bytes, metadata, added_at) VALUES ('m1', '/x.gguf', 'X', NULL, 1, '{}', 1)").run();
    expect(schemaObjects(db, "table")).not.toContain("providers");
    migrate(db);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(50);
    expect(schemaObjects(db, "table")).toContain("providers");
    expect(schemaObjects(db, "index")).toContain("providers_by_name");
    expect(db.prepare("SELECT name FROM models WHERE id = 'm1'").pluck().get()).toBe("X");
  });

  it("enforces the concurrency range and JSON test column in the schema", () => {
    const { db } = databaseAt(50);
    const insert = db.prepare("INSERT INTO providers (id, name, base_url, api_key, concurrency, last_test, created_at, updated_at) VALUES (?, ?, 'http://h', NULL, ?, ?, 1, 1)");
    expect(() => insert.run("a", "A", 0, null)).toThrow(/CHECK constraint failed/);
    expect(() => insert.run("b", "B", 65, null)).toThrow(/CHECK constraint failed/);
    expect(() => insert.run("c", "C", 2, "{not json")).toThrow(/CHECK constraint failed/);
    insert.run("d", "D", 64, "{}");
    expect(db.prepare("SELECT concurrency FROM providers WHERE id = 'd'").pluck().get()).toBe(64);
  });
});

describe("sqliteProviderStore", () => {
  const open = () => sqliteProviderStore(openTempStore().db);

  it("adds providers with unique names and lists them by name, keys as given", async () => {
    const s = open();
    const b = await s.addProvider({ name: "vllm", baseUrl: "http://gpu:8000/v1", apiKey: "sk-secret-1234", concurrency: 8 });
    await s.addProvider({ name: "Box", baseUrl: "http://box:8080", apiKey: null, concurrency: 1 });
    expect(b).toMatchObject({ name: "vllm", baseUrl: "http://gpu:8000/v1", apiKey: "sk-secret-1234", concurrency: 8, lastTest: null });
    expect((await s.listProviders()).map((p) => p.name)).toEqual(["Box", "vllm"]);
    await expect(s.addProvider({ name: "vllm", baseUrl: "http://x", apiKey: null, concurrency: 1 })).rejects.toSatisfy(
      (e) => isStoreError(e, "conflict") && /"vllm" exists already/.test((e as Error).message),
    );
    expect(await s.getProvider(b.id)).toEqual(b);
  });

  it("stores the last test and forgets it when the URL or key changes, not on rename", async () => {
    const s = open();
    const p = await s.addProvider({ name: "a", baseUrl: "http://a", apiKey: "k1", concurrency: 1 });
    expect((await s.saveProviderTest(p.id, test1)).lastTest).toEqual(test1);
    const renamed = await s.updateProvider(p.id, { name: "b", concurrency: 4 });
    expect(renamed).toMatchObject({ name: "b", concurrency: 4, apiKey: "k1", lastTest: test1 });
    expect(renamed.updatedAt).toBeGreaterThan(p.updatedAt);
    expect((await s.updateProvider(p.id, { apiKey: "k2" })).lastTest).toBeNull();
    await s.saveProviderTest(p.id, test1);
    expect((await s.updateProvider(p.id, { baseUrl: "http://elsewhere" })).lastTest).toBeNull();
    expect((await s.updateProvider(p.id, { apiKey: null })).apiKey).toBeNull();
  });

  it("refuses a taken name on update and unknown ids, and removes by id", async () => {
    const s = open();
    const a = await s.addProvider({ name: "a", baseUrl: "http://a", apiKey: null, concurrency: 1 });
    await s.addProvider({ name: "b", baseUrl: "http://b", apiKey: null, concurrency: 1 });
    await expect(s.updateProvider(a.id, { name: "b" })).rejects.toSatisfy((e) => isStoreError(e, "conflict"));
    await expect(s.updateProvider("nope", { name: "c" })).rejects.toSatisfy((e) => isStoreError(e, "not-found"));
    await expect(s.saveProviderTest("nope", test1)).rejects.toSatisfy((e) => isStoreError(e, "not-found"));
    expect(await s.removeProvider(a.id)).toBe(true);
    expect(await s.removeProvider(a.id)).toBe(false);
    expect((await s.listProviders()).map((p) => p.name)).toEqual(["b"]);
  });
});
