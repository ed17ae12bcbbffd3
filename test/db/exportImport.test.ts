// Export and import: a conversation as Markdown (current branch) and JSON (whole tree with
// provenance); the whole history as one JSON file that imports into an empty store and
// exports again byte for byte; malformed or foreign files rejected with the line and
// field at fault, changing nothing.
import { isStoreError, type StoreError } from "../../core/history/errors.ts";
import { conversationFileSchema, historyExportSchema } from "../../core/history/schemas.ts";
import type { SqliteStore } from "../../db/SqliteStore.ts";
import { openTempStore, sampleProvenance, sampleStart } from "./helpers/store.ts";

/** A store with a bit of everything: catalog rows, branches, provenance, odd statuses. */
async function populate(store: SqliteStore) {
  const model = await store.models.upsertModel({
    filePath: "/models/tiny-llama.Q4_K_M.gguf",
    name: "Tiny Llama",
    sha256: "a".repeat(64),
    sizeBytes: 123_456,
    metadata: { architecture: "llama", contextLength: 2048 },
  });
  const adapter = await store.adapters.upsertAdapter({
    filePath: "/adapters/pirate.lora.gguf",
    name: "Pirate",
    sha256: "b".repeat(64),
    metadata: { rank: 8, alpha: 16 },
    tags: ["style"],
    notes: "Arr.",
  });
  const preset = await store.presets.savePreset({ name: "Precise", config: { temperature: 0.2, topK: 20 } });
  await store.presets.savePreset({
    id: "builtin-balanced",
    name: "Balanced",
    config: { temperature: 0.7 },
    builtin: true,
  });
  await store.templates.saveTemplate({
    name: "Summarise",
    body: { messages: [{ role: "user", text: "Summarise: {{text}}" }] },
  });

  const h = store.history;
  const c = await h.createConversation({
    title: "Pirate lathe",
    modelId: model.id,
    modelFile: "tiny-llama.Q4_K_M.gguf",
    adapterSet: [{ adapterId: adapter.id, file: "pirate.lora.gguf", sha256: "b".repeat(64), scale: 0.75 }],
    presetId: preset.id,
    systemPrompt: "You are a pirate machinist.",
    tags: ["demo", "lora"],
  });
  const u1 = await h.addMessage({
    conversationId: c.id,
    parentId: null,
    role: "user",
    content: "What is a lathe?",
  });
  const w1 = await h.beginAssistantMessage({
    conversationId: c.id,
    parentId: u1.id,
    provenance: sampleStart({ seed: 7 }),
  });
  w1.append("Arr, a lathe be a turnin' machine.");
  const a1 = await w1.finish({
    stats: {
      promptTokens: 30,
      completionTokens: 11,
      ttftMs: 60,
      tokensPerSecond: 25.5,
      finishedAt: 1_700_000_005_000,
    },
  });
  const w2 = await h.beginAssistantMessage({
    conversationId: c.id,
    parentId: u1.id,
    provenance: sampleStart({ seed: 8 }),
  });
  w2.append("A lathe is");
  await w2.fail("engine crashed");
  const w3 = await h.beginAssistantMessage({
    conversationId: c.id,
    parentId: u1.id,
    provenance: sampleStart({ seed: 9 }),
  });
  w3.append("A machine tool that rotates the work.");
  const a3 = await w3.finish();
  await h.switchBranch(a1.id);
  await h.addMessage({
    conversationId: c.id,
    parentId: a1.id,
    role: "user",
    content: 'Tell me more, matey.\nWith **markdown** and "quotes".',
  });

  const plain = await h.createConversation({ title: "Plain", pinned: true });
  await h.addMessage({ conversationId: plain.id, parentId: null, role: "system", content: "Be brief." });
  return { c, u1, a1, a3, plain };
}

function importFailure(store: SqliteStore, text: string): Promise<StoreError> {
  return store.history.importHistory(text).then(
    () => {
      throw new Error("import should have failed");
    },
    (err: unknown) => {
      if (isStoreError(err, "invalid-import")) return err;
      throw err;
    },
  );
}

/** 1-based line of the first line of text containing needle. */
function lineOf(text: string, needle: string): number {
  return text.split("\n").findIndex((l) => l.includes(needle)) + 1;
}

async function rowCounts(store: SqliteStore) {
  return store.db
    .prepare(
      `SELECT (SELECT count(*) FROM conversations) AS conversations, (SELECT count(*) FROM messages) AS messages,
        (SELECT count(*) FROM models) AS models, (SELECT count(*) FROM adapters) AS adapters,
        (SELECT count(*) FROM presets) AS presets, (SELECT count(*) FROM prompt_templates) AS templates`,
    )
    .get();
}

describe("conversation export", () => {
  it("writes the current branch as Markdown with branch positions and provenance", async () => {
    const store = openTempStore();
    const { c } = await populate(store);
    const md = await store.history.exportConversation(c.id, "markdown");
    expect(md.startsWith("# Pirate lathe\n")).toBe(true);
    expect(md).toContain("- Model: tiny-llama.Q4_K_M.gguf");
    expect(md).toContain("- Adapters: pirate.lora.gguf × 0.75");
    expect(md).toContain("- Tags: demo, lora");
    expect(md).toContain("## System prompt\n\nYou are a pirate machinist.");
    expect(md).toContain("### User\n\nWhat is a lathe?");
    expect(md).toContain("### Assistant (branch 1/3)\n\nArr, a lathe be a turnin' machine.");
    expect(md).toContain(
      "> model tiny-llama.Q4_K_M.gguf (sha256 aaaaaaaaaaaa) · adapters pirate.lora.gguf (sha256 bbbbbbbbbbbb) × 0.75 · seed 7 · 30 prompt + 11 generated tokens · first token 60 ms · 25.5 tokens/s",
    );
    expect(md).toContain(
      'sampling `{"temperature":0.7,"topK":40,"topP":0.95,"minP":0.05,"repeatPenalty":{"penalty":1.1,"lastTokens":64}}`',
    );
    expect(md).toContain("Tell me more, matey.");
    // Other branches are not in the Markdown.
    expect(md).not.toContain("rotates the work");
    expect(md).not.toContain("engine crashed");
  });

  it("writes the whole tree with provenance as JSON", async () => {
    const store = openTempStore();
    const { c, a1, a3 } = await populate(store);
    const doc = conversationFileSchema.parse(
      JSON.parse(await store.history.exportConversation(c.id, "json")),
    );
    expect(doc.conversation).toMatchObject({
      id: c.id,
      title: "Pirate lathe",
      systemPrompt: "You are a pirate machinist.",
    });
    expect(doc.conversation.messages.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
      ["assistant", "error"],
      ["assistant", "complete"],
      ["user", "complete"],
    ]);
    const first = doc.conversation.messages[1]!;
    expect(first.provenance).toEqual({
      ...sampleProvenance({ seed: 7 }),
      promptTokens: 30,
      completionTokens: 11,
      ttftMs: 60,
      tokensPerSecond: 25.5,
      finishedAt: 1_700_000_005_000,
    });
    expect(doc.conversation.messages[0]!.activeChildId).toBe(a1.id);
    expect(doc.conversation.messages.find((m) => m.id === a3.id)!.provenance!.seed).toBe(9);
    expect(doc.conversation.messages[2]!.error).toBe("engine crashed");
  });

  it("reports an unknown conversation as not found", async () => {
    const store = openTempStore();
    await expect(store.history.exportConversation("nope", "json")).rejects.toMatchObject({
      reason: "not-found",
    });
  });
});

describe("history export and import", () => {
  it("round-trips: export, import into an empty store, export again gives identical bytes", async () => {
    const source = openTempStore();
    const { c } = await populate(source);
    const first = await source.history.exportHistory();
    expect(historyExportSchema.safeParse(JSON.parse(first)).success).toBe(true);

    const target = openTempStore();
    const summary = await target.history.importHistory(first);
    expect(summary).toEqual({
      conversations: 2,
      messages: 6,
      models: 1,
      adapters: 1,
      presets: 2,
      templates: 1,
      unchanged: 0,
    });
    const second = await target.history.exportHistory();
    expect(second).toBe(first);

    // The restored store behaves the same: same current branch, same positions, searchable.
    expect(await target.history.getPath(c.id)).toEqual(await source.history.getPath(c.id));
    expect((await target.history.switchBranch((await source.history.listMessages(c.id))[0]!.id)).leafId).toBe(
      (await source.history.getConversation(c.id))!.currentLeafId,
    );
    expect((await target.history.search("turnin")).map((x) => x.messageId)).toEqual(
      (await source.history.search("turnin")).map((x) => x.messageId),
    );
    expect(await target.history.listConversations()).toEqual(await source.history.listConversations());
  });

  it("leaves identical catalog rows as they are and refuses conversations already present", async () => {
    const store = openTempStore();
    await populate(store);
    const text = await store.history.exportHistory();
    const before = await rowCounts(store);
    const err = await importFailure(store, text);
    expect(err.details).toMatchObject({
      path: "conversations[0].id",
      field: "id",
      line: lineOf(text, '"title": "Pirate lathe"') - 1,
    });
    expect(err.message).toMatch(
      /^Import rejected at line \d+, column \d+ \(conversations\[0\]\.id\): this store already has conversation .*Nothing was imported\.$/,
    );
    expect(await rowCounts(store)).toEqual(before);

    // Only the catalog: everything identical, nothing added.
    const catalogOnly = { ...JSON.parse(text), conversations: [] };
    expect(await store.history.importHistory(JSON.stringify(catalogOnly))).toEqual({
      conversations: 0,
      messages: 0,
      models: 0,
      adapters: 0,
      presets: 0,
      templates: 0,
      unchanged: 5,
    });
  });

  it("names the line and field of a value of the wrong kind, and imports nothing", async () => {
    const source = openTempStore();
    await populate(source);
    const text = (await source.history.exportHistory()).replace('"role": "assistant"', '"role": "robot"');
    const target = openTempStore();
    const err = await importFailure(target, text);
    const line = lineOf(text, '"role": "robot"');
    const column = text.split("\n")[line - 1]!.indexOf('"robot"') + 1;
    expect(err.details).toEqual({ line, column, path: "conversations[0].messages[1].role", field: "role" });
    expect(err.message).toContain('Invalid option: expected one of "system"|"user"|"assistant"');
    expect(err.code).toBe("invalid_input");
    expect(await rowCounts(target)).toEqual({
      conversations: 0,
      messages: 0,
      models: 0,
      adapters: 0,
      presets: 0,
      templates: 0,
    });
  });

  it("names unknown fields, missing fields and broken references", async () => {
    const source = openTempStore();
    await populate(source);
    const good = await source.history.exportHistory();
    const target = openTempStore();

    const extra = good.replace('"pinned": false,', '"pinned": false,\n      "starred": true,');
    let err = await importFailure(target, extra);
    expect(err.details).toMatchObject({
      path: "conversations[0].starred",
      field: "starred",
      line: lineOf(extra, '"starred"'),
    });

    const missing = good.replace('      "systemPrompt": "You are a pirate machinist.",\n', "");
    err = await importFailure(target, missing);
    expect(err.details).toMatchObject({ path: "conversations[0].systemPrompt", field: "systemPrompt" });
    // Missing: the line of the enclosing object is given.
    expect(err.details).toMatchObject({ line: lineOf(missing, '"conversations": [') + 1 });

    const doc = JSON.parse(good);
    doc.conversations[0].messages[4].parentId = "no-such-message";
    const orphan = JSON.stringify(doc, null, 2);
    err = await importFailure(target, orphan);
    expect(err.details).toMatchObject({
      path: "conversations[0].messages[4].parentId",
      line: lineOf(orphan, "no-such-message"),
    });
    expect(err.message).toContain("not an earlier message of this conversation");

    const doc2 = JSON.parse(good);
    doc2.conversations[1].modelId = "ghost-model";
    err = await importFailure(target, JSON.stringify(doc2));
    expect(err.details).toMatchObject({ path: "conversations[1].modelId", line: 1 });
    expect(err.message).toContain("unknown model id ghost-model");
    expect(await rowCounts(target)).toEqual({
      conversations: 0,
      messages: 0,
      models: 0,
      adapters: 0,
      presets: 0,
      templates: 0,
    });
  });

  it("rejects invalid JSON and foreign files with the line at fault", async () => {
    const store = openTempStore();
    let err = await importFailure(
      store,
      '{\n  "format": "lathe-history",\n  "version": 1,\n  "models": [,]\n}',
    );
    expect(err.details).toMatchObject({ line: 4, path: "" });
    expect(err.message).toMatch(/^Import rejected at line 4, column \d+: not valid JSON/);

    err = await importFailure(store, '[{"title": "ChatGPT export", "mapping": {}}]');
    expect(err.message).toContain("not a Lathe history export (expected a JSON object)");

    err = await importFailure(store, '{\n  "title": "Some other app",\n  "format": "other-app"\n}');
    expect(err.details).toMatchObject({ line: 3, path: "format", field: "format" });
    expect(err.message).toContain('format is "other-app", expected "lathe-history"');

    err = await importFailure(store, '{"format": "lathe-conversation", "version": 1, "conversation": {}}');
    expect(err.message).toContain("single-conversation export");

    err = await importFailure(store, '{"format": "lathe-history",\n"version": 99}');
    expect(err.details).toMatchObject({ line: 2, path: "version" });
    expect(err.message).toContain("version 99 is not supported");
    expect(await rowCounts(store)).toEqual({
      conversations: 0,
      messages: 0,
      models: 0,
      adapters: 0,
      presets: 0,
      templates: 0,
    });
  });

  it("imports a message exported mid-stream as interrupted", async () => {
    const source = openTempStore();
    const c = await source.history.createConversation();
    const w = await source.history.beginAssistantMessage({
      conversationId: c.id,
      parentId: null,
      provenance: null,
    });
    w.append("still going");
    await w.flush();
    const text = await source.history.exportHistory();
    expect(text).toContain('"status": "streaming"');
    const target = openTempStore();
    await target.history.importHistory(text);
    expect(await target.history.getMessage(w.messageId)).toMatchObject({
      status: "interrupted",
      content: "still going",
    });
    await w.stop();
  });
});
