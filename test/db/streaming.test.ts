// Streaming writes: a generated message is saved as it grows (at most every throttleMs),
// ends as complete / stopped / error with its stats, and survives the writing process
// being SIGKILLed: the partial text is kept, marked interrupted, and nothing else is lost.
import Database from "better-sqlite3";
import { join } from "node:path";
import { openStore } from "../../db/openStore.ts";
import { searchMessages } from "../../db/search.ts";
import { startChild } from "./helpers/children.ts";
import { openTempStore, sampleStart, tempDir, track } from "./helpers/store.ts";

function contentOf(store: ReturnType<typeof openTempStore>, id: string): string {
  return (store.db.prepare("SELECT content FROM messages WHERE id = ?").get(id) as { content: string })
    .content;
}

async function setup(store: ReturnType<typeof openTempStore>) {
  const h = store.history;
  const c = await h.createConversation({ title: "Streaming" });
  const u = await h.addMessage({
    conversationId: c.id,
    parentId: null,
    role: "user",
    content: "Tell me a story",
  });
  return { h, c, u };
}

describe("streaming writer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes the growing text at most once per throttle interval", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const store = openTempStore();
    const { h, c, u } = await setup(store);
    const w = await h.beginAssistantMessage({
      conversationId: c.id,
      parentId: u.id,
      provenance: sampleStart(),
    });
    expect(await h.getMessage(w.messageId)).toMatchObject({
      status: "streaming",
      content: "",
      role: "assistant",
    });
    expect((await h.getConversation(c.id))!.currentLeafId).toBe(w.messageId);

    w.append("Once");
    expect(contentOf(store, w.messageId)).toBe("Once"); // first piece goes out at once
    w.append(" upon");
    w.append(" a");
    expect(contentOf(store, w.messageId)).toBe("Once");
    vi.advanceTimersByTime(249);
    expect(contentOf(store, w.messageId)).toBe("Once");
    vi.advanceTimersByTime(1);
    expect(contentOf(store, w.messageId)).toBe("Once upon a");
    w.append(" time");
    vi.advanceTimersByTime(200);
    expect(contentOf(store, w.messageId)).toBe("Once upon a");
    vi.advanceTimersByTime(50);
    expect(contentOf(store, w.messageId)).toBe("Once upon a time");
    expect(w.content).toBe("Once upon a time");
    // Not indexed while streaming.
    expect(searchMessages(store.db, "upon")).toEqual([]);

    await w.flush();
    w.append(",");
    await w.flush();
    expect(contentOf(store, w.messageId)).toBe("Once upon a time,");
  });

  it("finishes with status, final stats and a searchable text", async () => {
    const store = openTempStore();
    const { h, c, u } = await setup(store);
    const start = sampleStart();
    const w = await h.beginAssistantMessage({ conversationId: c.id, parentId: u.id, provenance: start });
    w.append("The dragon ");
    w.append("slept.");
    const done = await w.finish({
      stats: {
        promptTokens: 12,
        completionTokens: 4,
        ttftMs: 42.5,
        tokensPerSecond: 18.75,
        finishedAt: 1_700_000_002_000,
      },
    });
    expect(done).toMatchObject({
      id: w.messageId,
      status: "complete",
      content: "The dragon slept.",
      error: null,
    });
    expect(done.provenance).toEqual({
      ...start,
      promptTokens: 12,
      completionTokens: 4,
      ttftMs: 42.5,
      tokensPerSecond: 18.75,
      finishedAt: 1_700_000_002_000,
    });
    expect(searchMessages(store.db, "dragon").map((x) => x.messageId)).toEqual([w.messageId]);
    expect((await h.getConversation(c.id))!.updatedAt).toBeGreaterThanOrEqual(done.updatedAt);
    expect(() => w.append("more")).toThrow(/already been ended/);
    await expect(w.finish()).rejects.toMatchObject({ reason: "closed" });
  });

  it("stops and fails keeping the text so far; final content can replace the streamed one", async () => {
    const store = openTempStore();
    const { h, c, u } = await setup(store);
    const stopped = await h.beginAssistantMessage({
      conversationId: c.id,
      parentId: u.id,
      provenance: sampleStart(),
    });
    stopped.append("Half a sen");
    expect(await stopped.stop({ stats: { completionTokens: 3 } })).toMatchObject({
      status: "stopped",
      content: "Half a sen",
      provenance: { completionTokens: 3, promptTokens: null },
    });
    const failed = await h.beginAssistantMessage({ conversationId: c.id, parentId: u.id, provenance: null });
    failed.append("Partial");
    const f = await failed.fail("llama.cpp: context overflow");
    expect(f).toMatchObject({
      status: "error",
      error: "llama.cpp: context overflow",
      content: "Partial",
      provenance: null,
    });
    expect(f.provenance).toBeNull();
    const trimmed = await h.beginAssistantMessage({ conversationId: c.id, parentId: u.id, provenance: null });
    trimmed.append("  padded answer \n");
    expect(await trimmed.finish({ content: "padded answer" })).toMatchObject({
      content: "padded answer",
      status: "complete",
    });
    expect((await h.getPath(c.id)).nodes[1]).toMatchObject({
      siblingIndex: 2,
      siblingIds: [stopped.messageId, failed.messageId, trimmed.messageId],
    });
  });

  it("reports a message deleted mid-stream on the next write, including one made by the timer", async () => {
    vi.useFakeTimers({ now: 5_000_000 });
    const store = openTempStore();
    const { h, c, u } = await setup(store);
    const w = await h.beginAssistantMessage({ conversationId: c.id, parentId: u.id, provenance: null });
    w.append("a");
    w.append("b"); // waits for the timer
    await h.deleteConversation(c.id);
    vi.advanceTimersByTime(300); // the timer's write fails; kept for the next call
    expect(() => w.append("c")).toThrow(/deleted or ended/);
    expect(() => w.append("d")).toThrow(/already been ended/);
  });

  it("closing the store saves what a writer holds and marks it interrupted", async () => {
    const home = tempDir();
    const store = openStore({ home });
    const { h, c, u } = await setup(store);
    const w = await h.beginAssistantMessage({
      conversationId: c.id,
      parentId: u.id,
      provenance: null,
      throttleMs: 60_000,
    });
    w.append("first ");
    w.append("second");
    store.close();
    const again = track(openStore({ home }));
    expect(again.report.interrupted).toBe(0);
    expect(await again.history.getMessage(w.messageId)).toMatchObject({
      status: "interrupted",
      content: "first second",
    });
  });
});

describe("a writer killed mid-stream", () => {
  it("leaves the partial message marked interrupted and everything else intact", async () => {
    const path = join(tempDir(), "lathe.sqlite");
    const run = startChild("stream", path);
    const ids = (await run.waitFor((l) => l.startsWith("ids "))).split(" ").slice(1);
    const [conversationId, questionId, answerId, otherId] = ids as [string, string, string, string];
    // Wait for at least three confirmed flushes, then kill without warning.
    await run.waitFor((_, all) => all.filter((l) => l.startsWith("flushed ")).length >= 3);
    await run.kill();
    const flushed = run.lines.filter((l) => l.startsWith("flushed ")).map((l) => l.slice("flushed ".length));
    const lastFlushed = flushed[flushed.length - 1]!;

    const store = track(openStore({ path }));
    expect(store.report.interrupted).toBe(1);
    const answer = (await store.history.getMessage(answerId))!;
    expect(answer.status).toBe("interrupted");
    expect(answer.parentId).toBe(questionId);
    // Everything confirmed before the kill is there; what follows is the same stream, cut off.
    expect(answer.content.startsWith(lastFlushed)).toBe(true);
    const words = answer.content.trim().split(" ");
    expect(words.length).toBeGreaterThanOrEqual(75);
    words.forEach((word, i) =>
      expect(word === `word${i}` || (i === words.length - 1 && `word${i}`.startsWith(word))).toBe(true),
    );
    expect(answer.provenance).toMatchObject({
      modelFile: "tiny.gguf",
      finishedAt: null,
      completionTokens: null,
    });

    const path2 = await store.history.getPath(conversationId);
    expect(path2.nodes.map((n) => n.message.id)).toEqual([questionId, answerId]);
    const other = await store.history.listMessages(otherId);
    expect(other.map((m) => m.content)).toEqual(["An earlier conversation"]);
    expect((await store.history.listConversations()).map((x) => x.title).sort()).toEqual([
      "Crashing stream",
      "Untouched",
    ]);
    // The recovered text is searchable, the index is consistent, the file is sound.
    expect(searchMessages(store.db, "word1").map((x) => x.messageId)).toEqual([answerId]);
    store.db.prepare("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)").run();
    expect(store.db.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
    expect(store.db.pragma("foreign_key_check")).toEqual([]);
    store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    raw.close();
  });
});
