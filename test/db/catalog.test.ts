// The catalog: presets (builtin ones protected), models and adapters keyed by file path
// (upserts keep ids), prompt templates; unique names; and what removing an entry does to
// the conversations that refer to it.
import { openTempStore } from "./helpers/store.ts";

describe("presets", () => {
  it("saves, updates, lists builtin first and keeps names unique", async () => {
    const { presets } = openTempStore();
    const mine = await presets.savePreset({ name: "Creative", config: { temperature: 1.1, topP: 0.9 } });
    expect(mine).toMatchObject({ name: "Creative", config: { temperature: 1.1, topP: 0.9 }, builtin: false });
    const builtin = await presets.savePreset({
      id: "balanced",
      name: "Balanced",
      config: { temperature: 0.7 },
      builtin: true,
    });
    await presets.savePreset({ name: "apex", config: {} });
    expect((await presets.listPresets()).map((p) => p.name)).toEqual(["Balanced", "apex", "Creative"]);

    const changed = await presets.savePreset({
      id: mine.id,
      name: "Creative+",
      config: { temperature: 1.3 },
    });
    expect(changed).toMatchObject({
      id: mine.id,
      name: "Creative+",
      config: { temperature: 1.3 },
      createdAt: mine.createdAt,
    });
    expect(await presets.getPreset(mine.id)).toEqual(changed);
    await expect(presets.savePreset({ name: "Balanced", config: {} })).rejects.toMatchObject({
      reason: "conflict",
      code: "conflict",
    });
    expect(await presets.getPreset(builtin.id)).toEqual(builtin);
  });

  it("protects builtin presets from deletion and from user edits", async () => {
    const { presets } = openTempStore();
    await presets.savePreset({
      id: "balanced",
      name: "Balanced",
      config: { temperature: 0.7 },
      builtin: true,
    });
    await expect(presets.deletePreset("balanced")).rejects.toMatchObject({ reason: "conflict" });
    await expect(
      presets.savePreset({ id: "balanced", name: "Balanced", config: { temperature: 2 } }),
    ).rejects.toMatchObject({
      reason: "conflict",
    });
    // Lathe itself may update its defaults.
    expect(
      await presets.savePreset({
        id: "balanced",
        name: "Balanced",
        config: { temperature: 0.8 },
        builtin: true,
      }),
    ).toMatchObject({
      config: { temperature: 0.8 },
    });
    expect(await presets.deletePreset("nope")).toBe(false);
  });

  it("deleting a preset clears it from conversations", async () => {
    const { presets, history } = openTempStore();
    const p = await presets.savePreset({ name: "Temp", config: {} });
    const c = await history.createConversation({ presetId: p.id });
    expect(await presets.deletePreset(p.id)).toBe(true);
    expect((await history.getConversation(c.id))!.presetId).toBeNull();
  });
});

describe("models", () => {
  it("upserts by file path, keeping the id and added time, and hashes as told", async () => {
    const { models } = openTempStore();
    const m = await models.upsertModel({
      filePath: "/m/a.gguf",
      name: "A",
      sizeBytes: 100,
      metadata: { architecture: "llama" },
    });
    expect(m).toMatchObject({
      filePath: "/m/a.gguf",
      name: "A",
      sha256: null,
      sizeBytes: 100,
      metadata: { architecture: "llama" },
    });
    const hashed = await models.upsertModel({
      filePath: "/m/a.gguf",
      name: "A v2",
      sizeBytes: 100,
      sha256: "d".repeat(64),
    });
    expect(hashed).toMatchObject({
      id: m.id,
      addedAt: m.addedAt,
      name: "A v2",
      sha256: "d".repeat(64),
      metadata: { architecture: "llama" },
    });
    // Omitted sha256 keeps the hash; null clears it (the file changed).
    expect((await models.upsertModel({ filePath: "/m/a.gguf", name: "A", sizeBytes: 100 })).sha256).toBe(
      "d".repeat(64),
    );
    expect(
      (await models.upsertModel({ filePath: "/m/a.gguf", name: "A", sizeBytes: 200, sha256: null })).sha256,
    ).toBeNull();
    await models.upsertModel({ filePath: "/m/b.gguf", name: "b", sizeBytes: 1 });
    expect((await models.listModels()).map((x) => x.name)).toEqual(["A", "b"]);
    expect((await models.getModelByPath("/m/b.gguf"))!.name).toBe("b");
    expect(await models.getModelByPath("/m/none.gguf")).toBeNull();
  });

  it("removing a model keeps the file name on conversations and provenance", async () => {
    const { models, history } = openTempStore();
    const m = await models.upsertModel({ filePath: "/m/a.gguf", name: "A", sizeBytes: 1 });
    const c = await history.createConversation({ modelId: m.id, modelFile: "a.gguf" });
    expect(await models.removeModel(m.id)).toBe(true);
    expect(await models.removeModel(m.id)).toBe(false);
    expect(await history.getConversation(c.id)).toMatchObject({ modelId: null, modelFile: "a.gguf" });
  });
});

describe("adapters", () => {
  it("upserts by path, updates tags and notes, and removes", async () => {
    const { adapters } = openTempStore();
    const a = await adapters.upsertAdapter({
      filePath: "/a/p.gguf",
      name: "Pirate",
      metadata: { rank: 8 },
      tags: ["style"],
    });
    expect(a).toMatchObject({
      name: "Pirate",
      sha256: null,
      metadata: { rank: 8 },
      tags: ["style"],
      notes: "",
    });
    const again = await adapters.upsertAdapter({
      filePath: "/a/p.gguf",
      name: "Pirate 2",
      sha256: "e".repeat(64),
    });
    expect(again).toMatchObject({
      id: a.id,
      addedAt: a.addedAt,
      name: "Pirate 2",
      tags: ["style"],
      metadata: { rank: 8 },
    });
    const noted = await adapters.updateAdapter(a.id, { tags: ["style", "fun"], notes: "Works best at 0.6" });
    expect(noted).toMatchObject({
      name: "Pirate 2",
      tags: ["style", "fun"],
      notes: "Works best at 0.6",
      sha256: "e".repeat(64),
    });
    expect(await adapters.listAdapters()).toEqual([noted]);
    await expect(adapters.updateAdapter("nope", { notes: "x" })).rejects.toMatchObject({
      reason: "not-found",
    });
    expect(await adapters.removeAdapter(a.id)).toBe(true);
    expect(await adapters.getAdapter(a.id)).toBeNull();
  });
});

describe("prompt templates", () => {
  it("saves, updates by id, keeps names unique and deletes", async () => {
    const { templates } = openTempStore();
    const t = await templates.saveTemplate({
      name: "Summarise",
      body: { messages: [{ role: "user", text: "{{x}}" }] },
    });
    const b = await templates.saveTemplate({ name: "Answer", body: { messages: [] } });
    expect((await templates.listTemplates()).map((x) => x.name)).toEqual(["Answer", "Summarise"]);
    const t2 = await templates.saveTemplate({
      id: t.id,
      name: "Summarise briefly",
      body: { messages: [], maxWords: 50 },
    });
    expect(t2).toMatchObject({
      id: t.id,
      createdAt: t.createdAt,
      name: "Summarise briefly",
      body: { messages: [], maxWords: 50 },
    });
    await expect(templates.saveTemplate({ name: "Answer", body: {} })).rejects.toMatchObject({
      reason: "conflict",
    });
    expect(await templates.deleteTemplate(b.id)).toBe(true);
    expect(await templates.getTemplate(b.id)).toBeNull();
  });
});
