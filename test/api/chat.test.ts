// The chat workspace's services end to end over a real WebSocket: demo models written
// into the data folder, a conversation answered by the real engine on the successor
// model and stored with its provenance, stop, regenerate, edit, search, and recovery
// from an engine crash.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChatPacket } from "../../core/api/index.ts";
import type { ModelRecord } from "../../core/history/types.ts";
import { collect, startTestLathe, successorText, type TestLathe } from "../helpers/lathe.ts";

let t: TestLathe;
let successor: ModelRecord;
const greedy = "builtin-greedy";

beforeAll(async () => {
  t = await startTestLathe();
});
afterAll(async () => {
  await t?.close();
});

const doneOf = (packets: ChatPacket[]) => {
  const d = packets.at(-1);
  if (d?.type !== "done") throw new Error(`stream did not end with done: ${JSON.stringify(d)}`);
  return d;
};

describe("chat over the real engine", () => {
  it("writes the demo models into the data folder with progress and adds them to the catalog", async () => {
    const packets = await collect(t.api.models.createDemo({}));
    const progress = packets.filter((p) => p.type === "progress").map((p) => p.done);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const done = packets.at(-1);
    expect(done?.type).toBe("done");
    if (done?.type !== "done") return;
    expect(done.models.map((m) => m.name).sort()).toEqual(["Bigram workshop (demo)", "Successor (demo: next letter)"]);
    expect(done.adapters).toHaveLength(3);
    successor = done.models.find((m) => m.name.startsWith("Successor"))!;
    expect(successor.filePath).toBe(join(t.dataDir, "models", "successor.gguf"));
    const sha = createHash("sha256").update(readFileSync(successor.filePath)).digest("hex");
    expect(successor.sha256).toBe(sha);
    expect(existsSync(join(t.dataDir, "adapters", "successor-plus2.gguf"))).toBe(true);
    const list = await t.api.models.list({});
    expect(list.models.map((m) => m.available)).toEqual([true, true]);
  });

  it("refuses to add an adapter or a broken file as a model, naming why", async () => {
    await expect(t.api.models.add({ path: join(t.dataDir, "adapters", "successor-plus2.gguf") })).rejects.toThrow(/LoRA adapter/);
    await expect(t.api.models.add({ path: join(t.dataDir, "nope.gguf") })).rejects.toThrow(/No such file/);
  });

  it("answers with the successor rule, stores the answer with provenance and titles the chat", async () => {
    const conv = await t.api.history.createConversation({ modelId: successor.id, presetId: greedy });
    const packets = await collect(t.api.chat.send({ conversationId: conv.id, content: "abc" }));
    const types = packets.map((p) => p.type);
    expect(types[0]).toBe("user");
    expect(types).toContain("assistant");
    expect(types.indexOf("assistant")).toBeLessThan(types.indexOf("fragment"));
    const text = packets.flatMap((p) => (p.type === "fragment" ? [p.text] : [])).join("");
    const done = doneOf(packets);
    expect(done.message.content).toBe(text);
    expect(text.slice(0, 40)).toBe(successorText("\n", 40)); // the answer opens after "assistant\n"
    expect(done.message.status).toBe("complete");
    expect(done.stopReason).toBe("maxTokens");
    const p = done.message.provenance!;
    expect(p.modelFile).toBe("successor.gguf");
    expect(p.modelSha256).toBe(successor.sha256);
    expect(p.sampling).toMatchObject({ temperature: 0, maxTokens: 512 });
    expect(p.seed).toBeNull();
    expect(p.completionTokens).toBe(512);
    expect(p.promptTokens).toBeGreaterThan(3);
    expect(p.llamaCppVersion).toBe("v0.4.0");
    expect(p.nodeLlamaCppVersion).toBe("3.21.1");
    expect(p.tokensPerSecond).toBeGreaterThan(0);
    expect(done.contextTokens).toBe(p.promptTokens! + 512);
    const stored = await t.api.history.getConversation({ id: conv.id });
    expect(stored.title).toBe("abc");
    const path = await t.api.history.getPath({ conversationId: conv.id });
    expect(path.nodes.map((n) => n.message.role)).toEqual(["user", "assistant"]);
  });

  it("keeps a stopped answer's partial text, marked stopped; regenerate makes a sibling", async () => {
    const long = await t.api.presets.save({ name: "Long greedy", config: { temperature: 0, maxTokens: 100_000 } });
    const conv = await t.api.history.createConversation({ modelId: successor.id, presetId: long.id });
    const ac = new AbortController();
    let streamed = "";
    let assistantId = "";
    await expect(
      (async () => {
        for await (const p of t.api.chat.send({ conversationId: conv.id, content: "hi" }, { signal: ac.signal })) {
          if (p.type === "assistant") assistantId = p.message.id;
          // By text, not fragment count: the engine merges fragments per 16 ms window.
          if (p.type === "fragment" && (streamed += p.text).length >= 20) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: "cancelled" });
    let stopped = await (async () => {
      for (let i = 0; i < 50; i++) {
        const path = await t.api.history.getPath({ conversationId: conv.id });
        const m = path.nodes.at(-1)!.message;
        if (m.status !== "streaming") return m;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error("message still streaming");
    })();
    expect(stopped.id).toBe(assistantId);
    expect(stopped.status).toBe("stopped");
    expect(stopped.content.length).toBeGreaterThanOrEqual(20);
    expect(successorText("\n", stopped.content.length)).toBe(stopped.content);

    await t.api.history.updateConversation({ id: conv.id, patch: { presetId: greedy } });
    const again = doneOf(await collect(t.api.chat.regenerate({ messageId: stopped.id })));
    expect(again.message.parentId).toBe(stopped.parentId);
    const path = await t.api.history.getPath({ conversationId: conv.id });
    const last = path.nodes.at(-1)!;
    expect(last.message.id).toBe(again.message.id);
    expect(last.siblingIds).toEqual([stopped.id, again.message.id]);
    expect(last.siblingIndex).toBe(1);
    stopped = (await t.api.history.switchBranch({ messageId: stopped.id })).nodes.at(-1)!.message;
    expect(stopped.status).toBe("stopped");
  });

  it("edits a user message into a new branch with its own answer, and switches back", async () => {
    const conv = await t.api.history.createConversation({ modelId: successor.id, presetId: greedy });
    const first = await collect(t.api.chat.send({ conversationId: conv.id, content: "first" }));
    const user1 = first[0]!.type === "user" ? first[0]!.message : null;
    const edited = await collect(t.api.chat.edit({ messageId: user1!.id, content: "second" }));
    const user2 = edited[0]!.type === "user" ? edited[0]!.message : null;
    expect(user2?.content).toBe("second");
    expect(user2?.parentId).toBe(user1!.parentId);
    let path = await t.api.history.getPath({ conversationId: conv.id });
    expect(path.nodes[0]!.siblingIds).toEqual([user1!.id, user2!.id]);
    expect(path.nodes[0]!.message.content).toBe("second");
    path = await t.api.history.switchBranch({ messageId: user1!.id });
    expect(path.nodes.map((n) => n.message.content)[0]).toBe("first");
    expect(path.nodes).toHaveLength(2);
  });

  it("finds answers in the history search with highlighted snippets", async () => {
    const hits = await t.api.history.search({ query: "second" });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]!.snippet.some((s) => s.match && /second/i.test(s.text))).toBe(true);
  });

  it("marks the answer as an error with the reason when the engine dies mid-generation, and the next message works", async () => {
    const long = (await t.api.presets.list({})).find((p) => p.name === "Long greedy")!;
    const conv = await t.api.history.createConversation({ modelId: successor.id, presetId: long.id });
    const packets: ChatPacket[] = [];
    let killed = false;
    for await (const p of t.api.chat.send({ conversationId: conv.id, content: "crash" })) {
      packets.push(p);
      if (p.type === "fragment" && !killed) {
        killed = true;
        const { pid } = await t.lathe.engine.status();
        process.kill(pid!, "SIGKILL");
      }
    }
    const done = doneOf(packets);
    expect(done.stopReason).toBe("error");
    expect(done.message.status).toBe("error");
    expect(done.message.error).toMatch(/engine stopped/i);

    await t.api.history.updateConversation({ id: conv.id, patch: { presetId: greedy } });
    const next = doneOf(await collect(t.api.chat.send({ conversationId: conv.id, content: "again" })));
    expect(next.message.status).toBe("complete");
    expect(next.message.content.slice(0, 10)).toBe(successorText("\n", 10));
    // The failed answer stays in the branch, but is not fed back to the model.
    const path = await t.api.history.getPath({ conversationId: conv.id });
    expect(path.nodes.map((n) => n.message.status)).toEqual(["complete", "error", "complete", "complete"]);
  });

  it("asks for a model before generating", async () => {
    const conv = await t.api.history.createConversation({ modelId: null });
    await expect(collect(t.api.chat.send({ conversationId: conv.id, content: "x" }))).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/Choose a model/),
    });
  });
});
