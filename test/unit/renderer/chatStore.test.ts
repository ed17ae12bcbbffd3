// The chat store against an in-memory Lathe: streamed text is appended once per frame,
// stop keeps the partial answer marked stopped, regenerate and edit make branches, the
// branch switcher's sibling ids reach history.switchBranch, and engine errors stay on the message.
import { describe, expect, it, vi } from "vitest";
import { ChatStore, titleFrom } from "../../../renderer/chat/chat.svelte.ts";
import { FakeLathe, Gate } from "./fakeLathe.ts";

/** A frame scheduler the test runs by hand. */
function manualFrames() {
  const queue: (() => void)[] = [];
  return {
    queue,
    frame: (cb: () => void) => void queue.push(cb),
    runAll() {
      for (const cb of queue.splice(0)) cb();
    },
  };
}

function setup() {
  const fake = new FakeLathe();
  const frames = manualFrames();
  const onConversationsChanged = vi.fn();
  const onAnswered = vi.fn();
  const chat = new ChatStore(fake.client(), { frame: frames.frame, onConversationsChanged, onAnswered });
  return { fake, frames, chat, onConversationsChanged, onAnswered };
}

describe("ChatStore", () => {
  it("creates the conversation on the first send, with its title and model, and streams the successor answer", async () => {
    const { fake, frames, chat, onAnswered } = setup();
    chat.draftModelId = "m-successor";
    const sending = chat.send("abc");
    // Flush frames as they are requested until the stream ends.
    while (chat.streaming || fake.conversations.size === 0) {
      frames.runAll();
      await new Promise((r) => setTimeout(r, 0));
    }
    await sending;
    expect(fake.callsOf("history.createConversation")).toEqual([{ title: "abc", modelId: "m-successor" }]);
    expect(chat.conversation?.title).toBe("abc");
    expect(chat.nodes.map((n) => [n.message.role, n.message.content, n.message.status])).toEqual([
      ["user", "abc", "complete"],
      ["assistant", "defghi", "complete"],
    ]);
    expect(chat.lastAnswer).toEqual({ tokensPerSecond: 250, ttftMs: 8, stopReason: "maxTokens" });
    expect(chat.context).toEqual({ tokens: 18, contextSize: 256 });
    expect(onAnswered).toHaveBeenCalledTimes(1);
  });

  it("buffers fragments and appends them once per animation frame", async () => {
    const { fake, frames, chat } = setup();
    fake.hold = new Gate();
    fake.holdAfter = 3;
    const c = fake.createConversation();
    await chat.open(c.id);
    const sending = chat.send("abc");
    await vi.waitFor(() => expect(chat.stats.fragments).toBe(3));
    // Three fragments arrived, one frame was requested, and nothing is on screen yet.
    expect(frames.queue).toHaveLength(1);
    const answer = () => chat.nodes.at(-1)!.message;
    expect(answer().role).toBe("assistant");
    expect(answer().content).toBe("");
    frames.runAll();
    expect(answer().content).toBe("def");
    expect(chat.stats.flushes).toBe(1);
    fake.hold.release();
    await sending;
    expect(chat.stats.fragments).toBe(6);
    expect(answer().content).toBe("defghi");
    expect(answer().status).toBe("complete");
  });

  it("stop aborts the stream, keeps the partial answer and marks it stopped (on screen and in the shell)", async () => {
    const { fake, chat } = setup();
    fake.hold = new Gate();
    const c = fake.createConversation();
    await chat.open(c.id);
    const sending = chat.send("abc");
    await vi.waitFor(() => expect(chat.stats.fragments).toBe(3));
    chat.stop();
    await sending;
    const answer = chat.nodes.at(-1)!.message;
    expect(answer.content).toBe("def");
    expect(answer.status).toBe("stopped");
    expect(chat.streaming).toBe(false);
    expect(chat.error).toBeNull();
    await vi.waitFor(() => expect(fake.messages.get(answer.id)!.status).toBe("stopped"));
  });

  it("regenerate adds a sibling (2/2) and the switcher's sibling id goes to history.switchBranch", async () => {
    const { fake, chat } = setup();
    const c = fake.createConversation();
    await chat.open(c.id);
    await chat.send("abc");
    const first = chat.nodes[1]!.message.id;
    await chat.regenerate(first);
    const node = chat.nodes[1]!;
    expect(node.siblingIds).toHaveLength(2);
    expect(node.siblingIds[0]).toBe(first);
    expect(node.siblingIndex).toBe(1);
    await chat.switchBranch(node.siblingIds[0]!);
    expect(fake.callsOf("history.switchBranch")).toEqual([{ messageId: first }]);
    expect(chat.nodes[1]!.message.id).toBe(first);
    expect(chat.nodes[1]!.siblingIndex).toBe(0);
    expect(chat.conversation?.currentLeafId).toBe(first);
  });

  it("edit makes a new branch from the edited user message, and switching back restores the old one", async () => {
    const { fake, chat } = setup();
    const c = fake.createConversation();
    await chat.open(c.id);
    await chat.send("abc");
    const oldUser = chat.nodes[0]!.message.id;
    await chat.edit(oldUser, "xyz");
    expect(chat.nodes.map((n) => n.message.content)).toEqual(["xyz", "{|}~ !"]);
    expect(chat.nodes[0]!.siblingIds).toEqual([oldUser, chat.nodes[0]!.message.id]);
    await chat.switchBranch(oldUser);
    expect(chat.nodes.map((n) => n.message.content)).toEqual(["abc", "defghi"]);
  });

  it("shows an engine error on the message, and the next message works", async () => {
    const { fake, chat } = setup();
    const c = fake.createConversation();
    await chat.open(c.id);
    fake.failNext = "llama_decode failed: the engine host stopped (signal SIGKILL)";
    await chat.send("abc");
    const failed = chat.nodes.at(-1)!.message;
    expect(failed.status).toBe("error");
    expect(failed.error).toMatch(/SIGKILL/);
    expect(chat.lastAnswer?.stopReason).toBe("error");
    await chat.send("klm");
    expect(chat.nodes.at(-1)!.message).toMatchObject({ status: "complete", content: "nopqrs" });
  });

  it("a failure before any message is a chat-level error; model, preset and system prompt are saved per conversation", async () => {
    const { fake, chat } = setup();
    chat.draftModelId = "m-successor";
    await chat.setPreset("builtin-greedy");
    await chat.setSystemPrompt("Say little.");
    expect(fake.callsOf("history.updateConversation")).toEqual([]);
    await chat.send("abc");
    expect(fake.callsOf("history.createConversation")).toEqual([
      { title: "abc", modelId: "m-successor", systemPrompt: "Say little.", presetId: "builtin-greedy" },
    ]);
    const c = chat.conversation!;
    await chat.setSystemPrompt("Be brief.");
    await chat.setPreset(null);
    await chat.setModel(null);
    expect(fake.conversations.get(c.id)).toMatchObject({ systemPrompt: "Be brief.", modelId: null, presetId: null });
    expect(chat.systemPrompt).toBe("Be brief.");
    await chat.open("nope");
    expect(chat.error).toMatch(/Conversation nope not found/);
  });

  it("opens a search hit on the branch that holds it", async () => {
    const { fake, chat } = setup();
    const c = fake.createConversation();
    await chat.open(c.id);
    await chat.send("abc");
    const firstAnswer = chat.nodes[1]!.message.id;
    await chat.regenerate(firstAnswer);
    chat.newChat();
    expect(chat.nodes).toEqual([]);
    await chat.openHit({ conversationId: c.id, messageId: firstAnswer });
    expect(chat.conversation?.id).toBe(c.id);
    expect(chat.nodes[1]!.message.id).toBe(firstAnswer);
    expect(chat.focusMessageId).toBe(firstAnswer);
  });

  it("titles come from the first line, cut at 60 characters", () => {
    expect(titleFrom("  hello\nworld")).toBe("hello");
    expect(titleFrom("x".repeat(80))).toBe(`${"x".repeat(59)}…`);
    expect(titleFrom("   ")).toBe("New conversation");
  });
});
