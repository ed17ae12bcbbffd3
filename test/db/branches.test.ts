// Conversations and message trees: CRUD, edit and regenerate making siblings, switching
// branches restoring the path last viewed, and deletes (subtrees, whole conversations,
// long reply chains) removing exactly what they should.
import type { HistoryStore } from "../../core/history/ports.ts";
import type { ConversationPath } from "../../core/history/types.ts";
import { openTempStore, sampleStart } from "./helpers/store.ts";

/** The path as "content(index/count)" per node, e.g. ["hi(1/1)", "hello(2/2)"]. */
function describePath(path: ConversationPath): string[] {
  return path.nodes.map((n) => `${n.message.content}(${n.siblingIndex + 1}/${n.siblingIds.length})`);
}

async function say(
  h: HistoryStore,
  conversationId: string,
  parentId: string | null,
  role: "user" | "assistant",
  content: string,
) {
  return h.addMessage({ conversationId, parentId, role, content });
}

describe("conversations", () => {
  it("creates with defaults, updates fields and lists pinned first, then most recent", async () => {
    const { history: h } = openTempStore();
    const a = await h.createConversation();
    expect(a).toMatchObject({
      title: "New conversation",
      modelId: null,
      modelFile: null,
      adapterSet: [],
      presetId: null,
      systemPrompt: "",
      currentLeafId: null,
      pinned: false,
      tags: [],
    });
    expect(a.createdAt).toBe(a.updatedAt);
    const b = await h.createConversation({
      title: "Pirate talk",
      modelFile: "tiny.gguf",
      adapterSet: [{ adapterId: null, file: "pirate.gguf", sha256: null, scale: 0.5 }],
      systemPrompt: "Speak like a pirate.",
      tags: ["fun", "lora"],
    });
    const c = await h.createConversation({ title: "Third" });
    await say(h, a.id, null, "user", "bump a");

    const updated = await h.updateConversation(b.id, {
      pinned: true,
      title: "Pirate talk (pinned)",
      tags: ["fun"],
    });
    expect(updated).toMatchObject({
      pinned: true,
      title: "Pirate talk (pinned)",
      tags: ["fun"],
      systemPrompt: "Speak like a pirate.",
    });
    expect(updated.adapterSet).toEqual([{ adapterId: null, file: "pirate.gguf", sha256: null, scale: 0.5 }]);

    const list = await h.listConversations();
    expect(list[0]!.id).toBe(b.id);
    expect(list.map((x) => x.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(list.find((x) => x.id === a.id)!.messageCount).toBe(1);
    expect(list.find((x) => x.id === c.id)!.messageCount).toBe(0);
    expect((await h.listConversations({ tag: "fun" })).map((x) => x.id)).toEqual([b.id]);
    expect((await h.listConversations({ pinned: false })).map((x) => x.id).sort()).toEqual(
      [a.id, c.id].sort(),
    );
    expect(await h.listConversations({ limit: 1, offset: 1 })).toHaveLength(1);
  });

  it("orders unpinned conversations by their last change", async () => {
    const store = openTempStore();
    const h = store.history;
    const old = await h.createConversation({ title: "old" });
    const recent = await h.createConversation({ title: "recent" });
    store.db.prepare("UPDATE conversations SET updated_at = ? WHERE id = ?").run(1000, old.id);
    store.db.prepare("UPDATE conversations SET updated_at = ? WHERE id = ?").run(2000, recent.id);
    expect((await h.listConversations()).map((x) => x.title)).toEqual(["recent", "old"]);
    await say(h, old.id, null, "user", "new activity");
    expect((await h.listConversations()).map((x) => x.title)).toEqual(["old", "recent"]);
  });

  it("reports unknown ids as not found and duplicate ids as conflicts", async () => {
    const { history: h } = openTempStore();
    expect(await h.getConversation("nope")).toBeNull();
    await expect(h.updateConversation("nope", { title: "x" })).rejects.toMatchObject({
      reason: "not-found",
      code: "not_found",
    });
    await expect(h.getPath("nope")).rejects.toMatchObject({ reason: "not-found" });
    await h.createConversation({ id: "fixed" });
    await expect(h.createConversation({ id: "fixed" })).rejects.toMatchObject({ reason: "conflict" });
    await expect(h.createConversation({ modelId: "no-such-model" })).rejects.toMatchObject({
      reason: "invalid",
    });
    expect(await h.deleteConversation("nope")).toBe(false);
  });
});

describe("message trees", () => {
  it("follows the current leaf along a linear chat", async () => {
    const { history: h } = openTempStore();
    const c = await h.createConversation();
    const u1 = await say(h, c.id, null, "user", "hi");
    const a1 = await say(h, c.id, u1.id, "assistant", "hello");
    const u2 = await say(h, c.id, a1.id, "user", "how are you");
    expect((await h.getConversation(c.id))!.currentLeafId).toBe(u2.id);
    const path = await h.getPath(c.id);
    expect(path.leafId).toBe(u2.id);
    expect(describePath(path)).toEqual(["hi(1/1)", "hello(1/1)", "how are you(1/1)"]);
    expect(path.nodes.map((n) => n.message.parentId)).toEqual([null, u1.id, a1.id]);
    // A path to an inner node stops there.
    expect(describePath(await h.getPath(c.id, a1.id))).toEqual(["hi(1/1)", "hello(1/1)"]);
  });

  it("editing makes a sibling, regenerating makes a sibling, and switching restores the branch last viewed", async () => {
    const { history: h } = openTempStore();
    const c = await h.createConversation();
    const u1 = await say(h, c.id, null, "user", "u1");
    const a1 = await say(h, c.id, u1.id, "assistant", "a1");
    const u2 = await say(h, c.id, a1.id, "user", "u2");
    const a2 = await say(h, c.id, u2.id, "assistant", "a2");

    // Edit u2: a sibling with the same parent and role, now current.
    const u2b = await h.editMessage(u2.id, "u2 edited");
    expect(u2b).toMatchObject({ parentId: a1.id, role: "user", content: "u2 edited", status: "complete" });
    expect(await h.getMessage(u2.id)).toMatchObject({ content: "u2" });
    const a2b = await say(h, c.id, u2b.id, "assistant", "a2b");
    expect(describePath(await h.getPath(c.id))).toEqual(["u1(1/1)", "a1(1/1)", "u2 edited(2/2)", "a2b(1/1)"]);

    // Back to the original u2: its own continuation comes back.
    let path = await h.switchBranch(u2.id);
    expect(path.leafId).toBe(a2.id);
    expect(describePath(path)).toEqual(["u1(1/1)", "a1(1/1)", "u2(1/2)", "a2(1/1)"]);
    expect((await h.getConversation(c.id))!.currentLeafId).toBe(a2.id);

    // Regenerate a1: a new assistant message under the same parent.
    const writer = await h.beginAssistantMessage({
      conversationId: c.id,
      parentId: u1.id,
      provenance: sampleStart(),
    });
    writer.append("a1 regenerated");
    const a1b = await writer.finish();
    expect(a1b.parentId).toBe(u1.id);
    const u3 = await say(h, c.id, a1b.id, "user", "u3");
    path = await h.getPath(c.id);
    expect(path.nodes[1]).toMatchObject({ siblingIds: [a1.id, a1b.id], siblingIndex: 1 });
    expect(describePath(path)).toEqual(["u1(1/1)", "a1 regenerated(2/2)", "u3(1/1)"]);

    // Switching back to a1 restores the branch viewed last below it (u2 -> a2) ...
    expect((await h.switchBranch(a1.id)).leafId).toBe(a2.id);
    // ... and after viewing the edited branch, that one.
    expect((await h.switchBranch(u2b.id)).leafId).toBe(a2b.id);
    expect((await h.switchBranch(a1b.id)).leafId).toBe(u3.id);
    expect((await h.switchBranch(a1.id)).leafId).toBe(a2b.id);
    expect((await h.listMessages(c.id)).map((m) => m.content)).toEqual([
      "u1",
      "a1",
      "u2",
      "a2",
      "u2 edited",
      "a2b",
      "a1 regenerated",
      "u3",
    ]);
  });

  it("adds without selecting when asked, and keeps branches inside one conversation", async () => {
    const { history: h } = openTempStore();
    const c = await h.createConversation();
    const other = await h.createConversation();
    const u1 = await say(h, c.id, null, "user", "u1");
    const quiet = await h.addMessage({
      conversationId: c.id,
      parentId: u1.id,
      role: "assistant",
      content: "draft",
      select: false,
    });
    expect((await h.getConversation(c.id))!.currentLeafId).toBe(u1.id);
    expect(describePath(await h.getPath(c.id, quiet.id))).toEqual(["u1(1/1)", "draft(1/1)"]);
    await expect(
      h.addMessage({ conversationId: other.id, parentId: u1.id, role: "user", content: "x" }),
    ).rejects.toMatchObject({
      reason: "invalid",
    });
    await expect(
      h.addMessage({ conversationId: c.id, parentId: "missing", role: "user", content: "x" }),
    ).rejects.toMatchObject({
      reason: "not-found",
    });
    await expect(
      h.addMessage({ conversationId: "missing", parentId: null, role: "user", content: "x" }),
    ).rejects.toMatchObject({
      reason: "not-found",
    });
    await expect(h.getPath(other.id, u1.id)).rejects.toMatchObject({ reason: "invalid" });
  });

  it("replaces content in place without branching", async () => {
    const { history: h } = openTempStore();
    const c = await h.createConversation();
    const u1 = await say(h, c.id, null, "user", "typo");
    const fixed = await h.setMessageContent(u1.id, "fixed");
    expect(fixed).toMatchObject({ id: u1.id, content: "fixed" });
    expect(await h.listMessages(c.id)).toHaveLength(1);
    const w = await h.beginAssistantMessage({ conversationId: c.id, parentId: u1.id, provenance: null });
    await expect(h.setMessageContent(w.messageId, "x")).rejects.toMatchObject({ reason: "invalid" });
    await w.stop();
  });

  it("deleting a message removes its subtree and moves the current leaf to the surviving branch", async () => {
    const store = openTempStore();
    const h = store.history;
    const c = await h.createConversation();
    const u1 = await say(h, c.id, null, "user", "u1");
    const a1 = await say(h, c.id, u1.id, "assistant", "a1");
    const u2 = await say(h, c.id, a1.id, "user", "u2");
    const a2 = await say(h, c.id, u2.id, "assistant", "a2");
    const u2b = await h.editMessage(u2.id, "u2b");
    const w = await h.beginAssistantMessage({
      conversationId: c.id,
      parentId: u2b.id,
      provenance: sampleStart(),
    });
    w.append("a2b");
    await w.finish();

    expect(await h.deleteMessage(u2b.id)).toBe(true);
    expect(await h.deleteMessage(u2b.id)).toBe(false);
    expect((await h.listMessages(c.id)).map((m) => m.content)).toEqual(["u1", "a1", "u2", "a2"]);
    expect(store.db.prepare("SELECT count(*) AS n FROM provenance").get()).toEqual({ n: 0 });
    const path = await h.getPath(c.id);
    expect(path.leafId).toBe(a2.id);
    expect(describePath(path)).toEqual(["u1(1/1)", "a1(1/1)", "u2(1/1)", "a2(1/1)"]);

    // Deleting the only root empties the conversation.
    await h.deleteMessage(u1.id);
    expect(await h.getPath(c.id)).toEqual({ conversationId: c.id, leafId: null, nodes: [] });
    expect((await h.getConversation(c.id))!.currentLeafId).toBeNull();
  });

  it("deleting a conversation removes its messages, provenance and nothing else", async () => {
    const store = openTempStore();
    const h = store.history;
    const keep = await h.createConversation({ title: "keep" });
    await say(h, keep.id, null, "user", "kept");
    const gone = await h.createConversation({ title: "gone" });
    const u = await say(h, gone.id, null, "user", "bye");
    const w = await h.beginAssistantMessage({
      conversationId: gone.id,
      parentId: u.id,
      provenance: sampleStart(),
    });
    w.append("farewell");
    await w.finish();

    expect(await h.deleteConversation(gone.id)).toBe(true);
    expect(await h.getConversation(gone.id)).toBeNull();
    expect(await h.getMessage(u.id)).toBeNull();
    const counts = store.db
      .prepare(
        "SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM provenance) AS provenance",
      )
      .get();
    expect(counts).toEqual({ messages: 1, provenance: 0 });
    expect((await h.listConversations()).map((x) => x.title)).toEqual(["keep"]);
  });

  it("deletes a reply chain deeper than SQLite's trigger recursion limit", async () => {
    const store = openTempStore();
    const h = store.history;
    const c = await h.createConversation();
    const insert = store.db.prepare(
      "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, updated_at) VALUES (?, ?, ?, 'user', 'x', 'complete', 1, 1)",
    );
    store.db.transaction(() => {
      for (let i = 0; i < 1500; i++) insert.run(`m${i}`, c.id, i ? `m${i - 1}` : null);
    })();
    expect((await h.getPath(c.id)).nodes).toHaveLength(1500);
    expect(await h.deleteMessage("m700")).toBe(true);
    expect(await h.listMessages(c.id)).toHaveLength(700);
    expect((await h.getPath(c.id)).leafId).toBe("m699");
    expect(await h.deleteConversation(c.id)).toBe(true);
    expect(store.db.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 0 });
  });
});
