// Full-text search: bm25 ranking, highlighted snippets, filters (conversation, role,
// model, adapter, dates), the index following edits and deletes through triggers, and
// user queries with punctuation or FTS syntax never raising errors.
import { snippetToText } from "../../core/history/markdown.ts";
import type { SearchFilters } from "../../core/history/types.ts";
import { RANK_WINDOW, searchMessages, toFtsQuery } from "../../db/search.ts";
import { openTempStore, sampleProvenance } from "./helpers/store.ts";

async function fixture() {
  const store = openTempStore();
  const h = store.history;
  const mistral = await store.models.upsertModel({
    filePath: "/m/mistral.gguf",
    name: "Mistral",
    sizeBytes: 10,
    sha256: "f".repeat(64),
  });
  const lathes = await h.createConversation({
    title: "Lathes",
    modelId: mistral.id,
    modelFile: "mistral.gguf",
  });
  const q1 = await h.addMessage({
    conversationId: lathes.id,
    parentId: null,
    role: "user",
    content: "How does a lathe cut a thread?",
  });
  const a1 = await h.addMessage({
    conversationId: lathes.id,
    parentId: q1.id,
    role: "assistant",
    content: "A lathe lathe lathe: the lathe turns the work while a single point tool cuts the thread.",
    provenance: sampleProvenance({ modelFile: "mistral.gguf", modelSha256: "f".repeat(64), adapters: [] }),
  });
  const other = await h.createConversation({ title: "Cafés", modelFile: "tiny.gguf" });
  const q2 = await h.addMessage({
    conversationId: other.id,
    parentId: null,
    role: "user",
    content:
      "Is there a café near the machine shop? Also a long digression about many unrelated things, a lathe mentioned once among them.",
  });
  const a2 = await h.addMessage({
    conversationId: other.id,
    parentId: q2.id,
    role: "assistant",
    content: "The café on the corner serves espresso; AND it opens at 7 (really!).",
    provenance: sampleProvenance(), // tiny-llama, pirate adapter
  });
  return { store, h, lathes, other, q1, a1, q2, a2 };
}

function ids(hits: { messageId: string }[]): string[] {
  return hits.map((x) => x.messageId);
}

describe("toFtsQuery", () => {
  it("quotes every term, keeps phrases and trailing-star prefixes, drops pure punctuation", () => {
    expect(toFtsQuery("lathe thread")).toBe('"lathe" "thread"');
    expect(toFtsQuery('"single point" tool')).toBe('"single point" "tool"');
    expect(toFtsQuery("lat*")).toBe('"lat"*');
    expect(toFtsQuery('foo"')).toBe('"foo"');
    expect(toFtsQuery('say "hi')).toBe('"say" "hi"');
    expect(toFtsQuery("a AND")).toBe('"a" "AND"');
    expect(toFtsQuery('x"y')).toBe('"x" "y"');
    expect(toFtsQuery('  - : ( ) * " ')).toBeNull();
    expect(toFtsQuery("")).toBeNull();
  });
});

describe("searchMessages", () => {
  it("ranks by bm25 and highlights the matches in a snippet", async () => {
    const { store, a1, q1, q2 } = await fixture();
    const hits = searchMessages(store.db, "lathe");
    expect(ids(hits)).toEqual([a1.id, q1.id, q2.id]);
    expect(hits[0]!.score).toBeLessThan(hits[1]!.score);
    expect(hits[0]).toMatchObject({
      conversationTitle: "Lathes",
      role: "assistant",
      status: "complete",
      modelFile: "mistral.gguf",
    });
    expect(hits[1]!.modelFile).toBeNull();
    expect(hits[1]!.snippet).toEqual([
      { text: "How does a ", match: false },
      { text: "lathe", match: true },
      { text: " cut a thread?", match: false },
    ]);
    expect(snippetToText(hits[1]!.snippet)).toBe("How does a «lathe» cut a thread?");
    expect(snippetToText(hits[0]!.snippet, "<mark>", "</mark>")).toContain("<mark>lathe</mark> turns");
  });

  it("matches all words, phrases, prefixes and letters without their accents", async () => {
    const { store, a1, q1, q2, a2 } = await fixture();
    expect(ids(searchMessages(store.db, "lathe thread"))).toEqual([a1.id, q1.id]);
    expect(ids(searchMessages(store.db, '"single point"'))).toEqual([a1.id]);
    expect(ids(searchMessages(store.db, '"point single"'))).toEqual([]);
    expect(ids(searchMessages(store.db, "espres*"))).toEqual([a2.id]);
    expect(ids(searchMessages(store.db, "cafe")).sort()).toEqual([q2.id, a2.id].sort());
    expect(ids(searchMessages(store.db, "CAFÉ")).sort()).toEqual([q2.id, a2.id].sort());
  });

  it("treats punctuation and FTS operators in queries as plain text", async () => {
    const { store, a2 } = await fixture();
    for (const q of [
      'foo"',
      "a AND",
      "AND",
      "OR NOT",
      "NEAR(",
      "lathe)",
      "(",
      '"',
      "-lathe",
      "col:umn",
      "^start",
      "a + b",
      "*",
      "'",
    ]) {
      expect(() => searchMessages(store.db, q)).not.toThrow();
    }
    expect(ids(searchMessages(store.db, "espresso AND"))).toEqual([a2.id]);
    expect(ids(searchMessages(store.db, "(really!)"))).toEqual([a2.id]);
    expect(searchMessages(store.db, ' "" ')).toEqual([]);
  });

  it("filters by conversation, role, model, adapter and date", async () => {
    const { store, lathes, other, q1, a1, q2, a2 } = await fixture();
    const t = 1_700_000_000_000;
    const setTime = store.db.prepare("UPDATE messages SET created_at = ? WHERE id = ?");
    setTime.run(t, q1.id);
    setTime.run(t + 1000, a1.id);
    setTime.run(t + 2000, q2.id);
    setTime.run(t + 3000, a2.id);
    const find = (q: string, f: SearchFilters) => ids(searchMessages(store.db, q, f)).sort();

    expect(find("lathe", { conversationId: lathes.id })).toEqual([q1.id, a1.id].sort());
    expect(find("lathe", { conversationId: other.id })).toEqual([q2.id]);
    expect(find("lathe", { roles: ["user"] })).toEqual([q1.id, q2.id].sort());
    expect(find("lathe", { roles: ["assistant", "system"] })).toEqual([a1.id]);
    // By model: generated messages by provenance (sha or file), people's messages by their conversation's model.
    expect(find("lathe", { model: "f".repeat(64) })).toEqual([a1.id]);
    expect(find("lathe", { model: "mistral.gguf" })).toEqual([q1.id, a1.id].sort());
    expect(find("cafe", { model: "tiny-llama.Q4_K_M.gguf" })).toEqual([a2.id]);
    expect(find("cafe", { model: "tiny.gguf" })).toEqual([q2.id]);
    // By adapter: sha, file name or catalog id.
    expect(find("cafe", { adapter: "b".repeat(64) })).toEqual([a2.id]);
    expect(find("cafe", { adapter: "pirate.lora.gguf" })).toEqual([a2.id]);
    expect(find("lathe", { adapter: "pirate.lora.gguf" })).toEqual([]);
    // Dates: from inclusive, to exclusive.
    expect(find("lathe", { from: t + 1000 })).toEqual([a1.id, q2.id].sort());
    expect(find("lathe", { to: t + 1000 })).toEqual([q1.id]);
    expect(find("lathe", { from: t, to: t + 2001, roles: ["user"] })).toEqual([q1.id, q2.id].sort());
  });

  it("pages with limit and offset", async () => {
    const { store } = await fixture();
    const all = ids(searchMessages(store.db, "lathe"));
    expect(ids(searchMessages(store.db, "lathe", {}, { limit: 2 }))).toEqual(all.slice(0, 2));
    expect(ids(searchMessages(store.db, "lathe", {}, { limit: 2, offset: 2 }))).toEqual(all.slice(2));
  });

  it("follows edits, branches and deletes through the triggers", async () => {
    const { store, h, lathes, other, q1, a1, a2 } = await fixture();
    await h.setMessageContent(a1.id, "A turning machine spins the workpiece.");
    expect(ids(searchMessages(store.db, "spins"))).toEqual([a1.id]);
    expect(ids(searchMessages(store.db, "single"))).toEqual([]);
    const edited = await h.editMessage(q1.id, "How does a mill cut a keyway?");
    expect(ids(searchMessages(store.db, "keyway"))).toEqual([edited.id]);
    await h.deleteMessage(edited.id);
    expect(searchMessages(store.db, "keyway")).toEqual([]);
    await h.deleteMessage(a2.id);
    expect(searchMessages(store.db, "espresso")).toEqual([]);
    await h.deleteConversation(lathes.id);
    expect(searchMessages(store.db, "spins")).toEqual([]);
    expect(searchMessages(store.db, "thread")).toEqual([]);
    expect(ids(searchMessages(store.db, "café", { conversationId: other.id }))).toHaveLength(1);
    store.db.prepare("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)").run();
  });

  it("is reachable through the HistoryStore port", async () => {
    const { h, a2 } = await fixture();
    const hits = await h.search("espresso", { roles: ["assistant"] }, { limit: 5 });
    expect(hits.map((x) => x.messageId)).toEqual([a2.id]);
    expect(await h.search("   ")).toEqual([]);
  });
});

describe("rank window", () => {
  it("ranks only the most recent RANK_WINDOW matches of an unfiltered query, all of them when filtered", async () => {
    const store = openTempStore();
    const c = await store.history.createConversation();
    const insert = store.db.prepare(
      "INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'complete', ?, ?)",
    );
    const total = RANK_WINDOW + 50;
    store.db.transaction(() => {
      // The oldest messages say "common" most often, so bm25 would put them first.
      for (let i = 0; i < total; i++) {
        const text = i < 50 ? "common common common common" : `common filler text number ${i}`;
        insert.run(`m${i}`, c.id, i < 50 ? "assistant" : "user", text, i, i);
      }
    })();
    const unfiltered = searchMessages(store.db, "common", {}, { limit: 5 });
    expect(unfiltered).toHaveLength(5);
    for (const hit of unfiltered) expect(Number(hit.messageId.slice(1))).toBeGreaterThanOrEqual(50);
    const filtered = searchMessages(store.db, "common", { roles: ["assistant"] }, { limit: 5 });
    expect(filtered.map((x) => Number(x.messageId.slice(1))).every((n) => n < 50)).toBe(true);
    expect(filtered).toHaveLength(5);
  });
});
