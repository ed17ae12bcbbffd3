// @vitest-environment jsdom
// Chat and models components rendered in jsdom against the in-memory Lathe: the branch
// switcher, highlighted search hits, the first-run demo offer with progress, inline engine
// errors, the provenance popover, and sending/regenerating/switching through the DOM.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import BranchSwitcher from "../../../renderer/chat/BranchSwitcher.svelte";
import ChatPanel from "../../../renderer/chat/ChatPanel.svelte";
import ConversationSidebar from "../../../renderer/chat/ConversationSidebar.svelte";
import MessageView from "../../../renderer/chat/MessageView.svelte";
import ModelsPanel from "../../../renderer/models/ModelsPanel.svelte";
import { ChatStore } from "../../../renderer/chat/chat.svelte.ts";
import { HistoryStore } from "../../../renderer/chat/history.svelte.ts";
import { ModelsStore } from "../../../renderer/models/models.svelte.ts";
import type { MessageTreeNode } from "../../../core/history/types.ts";
import { FakeLathe, Gate, successorModel } from "./fakeLathe.ts";

const immediate = (cb: () => void) => void queueMicrotask(cb);

describe("BranchSwitcher", () => {
  it("shows the position and switches to the previous and next sibling ids", async () => {
    const onSwitch = vi.fn();
    render(BranchSwitcher, { siblingIds: ["a", "b", "c"], siblingIndex: 1, onSwitch });
    expect(screen.getByTestId("branch-position").textContent).toBe("2/3");
    await fireEvent.click(screen.getByRole("button", { name: "Previous branch" }));
    await fireEvent.click(screen.getByRole("button", { name: "Next branch" }));
    expect(onSwitch.mock.calls).toEqual([["a"], ["c"]]);
  });

  it("disables the arrows at the ends", () => {
    render(BranchSwitcher, { siblingIds: ["a", "b"], siblingIndex: 1, onSwitch: () => {} });
    expect((screen.getByTestId("branch-prev") as HTMLButtonElement).disabled).toBe(false);
    expect((screen.getByTestId("branch-next") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("ConversationSidebar", () => {
  it("lists conversations pinned first, and renders search hits with the matched words marked", async () => {
    const fake = new FakeLathe();
    const a = fake.createConversation("older pinned");
    fake.addMessage(a.id, null, "user", "the lathe spins the workpiece");
    a.pinned = true;
    const b = fake.createConversation("newer");
    fake.addMessage(b.id, null, "user", "nothing here");
    const history = new HistoryStore(fake.client());
    await history.refresh();
    const onOpenHit = vi.fn();
    render(ConversationSidebar, { history, currentId: null, onNewChat() {}, onOpen() {}, onOpenHit, onDelete() {} });
    const titles = screen.getAllByTestId("conversation-item").map((el) => el.querySelector(".title")!.textContent!.trim());
    expect(titles).toEqual(["older pinned", "newer"]);

    await fireEvent.input(screen.getByTestId("history-search"), { target: { value: "spins" } });
    await fireEvent.keyDown(screen.getByTestId("history-search"), { key: "Enter" });
    await vi.waitFor(() => expect(screen.getAllByTestId("search-hit")).toHaveLength(1));
    const hit = screen.getByTestId("search-hit");
    expect(within(hit).getAllByTestId("hit-match").map((m) => m.textContent)).toEqual(["spins"]);
    expect(hit.querySelector(".snippet")!.textContent).toBe("the lathe spins the workpiece");
    await fireEvent.click(hit);
    expect(onOpenHit).toHaveBeenCalledWith(expect.objectContaining({ conversationId: a.id, messageId: history.hits[0]!.messageId }));
  });
});

describe("ChatPanel", () => {
  it("offers the demo models when there are none, with progress, then lets people chat", async () => {
    const fake = new FakeLathe({ models: [] });
    fake.demoGate = new Gate();
    const api = fake.client();
    const models = new ModelsStore(api);
    const chat = new ChatStore(api, { frame: immediate });
    await models.refresh();
    render(ChatPanel, { chat, models, onOpenModels: () => {} });
    expect(screen.getByTestId("demo-offer").textContent).toMatch(/No models yet/);
    await fireEvent.click(screen.getByTestId("create-demo"));
    await vi.waitFor(() => expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("25"));
    expect(screen.getByTestId("demo-progress").textContent).toMatch(/successor\.gguf/);
    fake.demoGate.release();
    await vi.waitFor(() => expect(screen.queryByTestId("demo-offer")).toBeNull());
    const options = [...(screen.getByTestId("model-picker") as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toContain("successor");
    expect(chat.draftModelId).toBe(successorModel.id);
  });

  it("cancelling the demo models stops the stream and keeps the offer", async () => {
    const fake = new FakeLathe({ models: [] });
    fake.demoGate = new Gate();
    const api = fake.client();
    const models = new ModelsStore(api);
    await models.refresh();
    render(ChatPanel, { chat: new ChatStore(api, { frame: immediate }), models });
    await fireEvent.click(screen.getByTestId("create-demo"));
    await vi.waitFor(() => screen.getByTestId("demo-progress-cancel"));
    await fireEvent.click(screen.getByTestId("demo-progress-cancel"));
    await vi.waitFor(() => screen.getByTestId("create-demo"));
    expect(fake.models).toEqual([]);
    expect(models.error).toBeNull();
  });

  it("sends with Enter, regenerates, and the switcher under the answer shows the first branch again", async () => {
    const fake = new FakeLathe();
    const api = fake.client();
    const models = new ModelsStore(api);
    await models.refresh();
    const chat = new ChatStore(api, { frame: immediate });
    chat.draftModelId = successorModel.id;
    render(ChatPanel, { chat, models });
    const box = screen.getByTestId("composer-input");
    await fireEvent.input(box, { target: { value: "abc" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(screen.getAllByTestId("message")).toHaveLength(2));
    await vi.waitFor(() => expect(screen.getAllByTestId("message-content")[1]!.textContent!.trim()).toBe("defghi"));
    expect((box as HTMLTextAreaElement).value).toBe("");

    const firstAnswer = chat.nodes[1]!.message.id;
    await fireEvent.click(screen.getByTestId("regenerate"));
    await vi.waitFor(() => expect(screen.getByTestId("branch-position").textContent).toBe("2/2"));
    await fireEvent.click(screen.getByTestId("branch-prev"));
    await vi.waitFor(() => expect(screen.getByTestId("branch-position").textContent).toBe("1/2"));
    expect(fake.callsOf("history.switchBranch")).toEqual([{ messageId: firstAnswer }]);
  });

  it("Shift+Enter does not send, and the Stop button replaces Send while streaming", async () => {
    const fake = new FakeLathe();
    fake.hold = new Gate();
    const api = fake.client();
    const chat = new ChatStore(api, { frame: immediate });
    const c = fake.createConversation();
    await chat.open(c.id);
    render(ChatPanel, { chat, models: null });
    const box = screen.getByTestId("composer-input");
    await fireEvent.input(box, { target: { value: "abc" } });
    await fireEvent.keyDown(box, { key: "Enter", shiftKey: true });
    expect(fake.callsOf("chat.send")).toEqual([]);
    await fireEvent.click(screen.getByTestId("send"));
    await vi.waitFor(() => screen.getByTestId("stop"));
    await vi.waitFor(() => expect(chat.stats.fragments).toBe(3));
    await fireEvent.click(screen.getByTestId("stop"));
    await vi.waitFor(() => expect(screen.getAllByTestId("message")[1]!.dataset.status).toBe("stopped"));
    expect(screen.getByTestId("message-status").textContent).toBe("stopped");
    expect(screen.getAllByTestId("message-content")[1]!.textContent!.trim()).toBe("def");
  });
});

describe("MessageView", () => {
  const node = (over: Partial<MessageTreeNode["message"]>): MessageTreeNode => {
    const fake = new FakeLathe();
    const c = fake.createConversation();
    const m = fake.addMessage(c.id, null, "assistant", "partial");
    return { message: { ...m, ...over }, siblingIds: [m.id], siblingIndex: 0 };
  };
  const noop = { onRegenerate() {}, onEdit() {}, onSwitch() {} };

  it("shows an engine error inline with its reason", () => {
    render(MessageView, { node: node({ status: "error", error: "llama_decode returned -1 (out of memory)" }), ...noop });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toMatch(/could not finish this answer/);
    expect(alert.textContent).toMatch(/llama_decode returned -1 \(out of memory\)/);
    expect(screen.getByTestId("message-status").textContent).toBe("failed");
  });

  it("renders Markdown with highlighted code and opens the provenance popover", async () => {
    render(MessageView, { node: node({ content: "**bold**\n\n```js\nconst x = 1;\n```" }), ...noop });
    const content = screen.getByTestId("message-content");
    expect(content.querySelector("strong")!.textContent).toBe("bold");
    expect(content.querySelector("code.language-js .hljs-keyword")!.textContent).toBe("const");
    await fireEvent.click(screen.getByRole("button", { name: "How this answer was made" }));
    expect(screen.getByTestId("prov-model").textContent).toMatch(/successor\.gguf\s+0123456789ab/);
    expect(screen.getByTestId("prov-seed").textContent).toBe("42");
    expect(screen.getByTestId("prov-speed").textContent).toBe("250 tok/s");
    expect(screen.getByTestId("prov-sampling").textContent).toMatch(/temperature 0 · topK 40/);
  });

  it("edits into a new branch with the typed text", async () => {
    const onEdit = vi.fn();
    const n = node({ role: "user", content: "abc", provenance: null });
    render(MessageView, { node: n, ...noop, onEdit });
    await fireEvent.click(screen.getByRole("button", { name: "Edit into a new branch" }));
    await fireEvent.input(screen.getByTestId("edit-input"), { target: { value: "xyz" } });
    await fireEvent.click(screen.getByTestId("edit-save"));
    expect(onEdit).toHaveBeenCalledWith(n.message.id, "xyz");
  });
});

describe("ModelsPanel", () => {
  it("lists models with size and hash, loads with progress, unloads and removes", async () => {
    const fake = new FakeLathe();
    const models = new ModelsStore(fake.client());
    await models.refresh();
    render(ModelsPanel, { models });
    const row = screen.getByTestId("model-row");
    expect(row.textContent).toMatch(/successor/);
    expect(row.textContent).toMatch(/1\.2 MB/);
    expect(row.textContent).toMatch(/0123456789ab/);
    await fireEvent.click(screen.getByRole("button", { name: "Load successor" }));
    await vi.waitFor(() => expect(screen.getByTestId("model-row").dataset.loaded).toBe("true"));
    expect(screen.getByTestId("model-state").textContent).toMatch(/loaded · 256 ctx · 2 threads/);
    await fireEvent.click(screen.getByRole("button", { name: "Unload successor" }));
    await vi.waitFor(() => expect(screen.getByTestId("model-row").dataset.loaded).toBe("false"));
    await fireEvent.click(screen.getByRole("button", { name: "Remove successor from the catalog" }));
    await vi.waitFor(() => expect(screen.queryByTestId("model-row")).toBeNull());
  });

  it("shows folder files with their problems and adds a usable one", async () => {
    const fake = new FakeLathe({ models: [] });
    fake.files = [
      { path: "/data/models/mine.gguf", fileName: "mine.gguf", sizeBytes: 2000, kind: "model", problem: null, inCatalog: false },
      { path: "/data/models/bad.gguf", fileName: "bad.gguf", sizeBytes: 10, kind: "invalid", problem: "bad magic: expected GGUF", inCatalog: false },
    ];
    const models = new ModelsStore(fake.client());
    await models.refresh();
    render(ModelsPanel, { models });
    await fireEvent.click(screen.getByTestId("models-add"));
    await vi.waitFor(() => expect(screen.getAllByTestId("folder-file")).toHaveLength(2));
    expect(screen.getByTestId("folder-file-problem").textContent).toBe("bad magic: expected GGUF");
    expect(screen.queryByRole("button", { name: "Add bad.gguf" })).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Add mine.gguf" }));
    await vi.waitFor(() => expect(screen.getAllByTestId("model-row")).toHaveLength(1));
    expect(fake.callsOf("models.add")).toEqual([{ path: "/data/models/mine.gguf" }]);
  });
});

describe("ProvenancePopover", () => {
  it("closes on Escape and on a click elsewhere", async () => {
    const fake = new FakeLathe();
    const c = fake.createConversation();
    const m = fake.addMessage(c.id, null, "assistant", "x");
    render(MessageView, { node: { message: m, siblingIds: [m.id], siblingIndex: 0 }, onRegenerate() {}, onEdit() {}, onSwitch() {} });
    const toggle = screen.getByRole("button", { name: "How this answer was made" });
    await fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    await fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.queryByTestId("provenance")).toBeNull();
    await fireEvent.click(toggle);
    screen.getByTestId("provenance");
    await fireEvent.click(document.body);
    expect(screen.queryByTestId("provenance")).toBeNull();
  });
});

describe("ChatPanel title", () => {
  it("renames the conversation from its title", async () => {
    const fake = new FakeLathe();
    const c = fake.createConversation("old name");
    const chat = new ChatStore(fake.client(), { frame: immediate });
    await chat.open(c.id);
    render(ChatPanel, { chat, models: null });
    expect(screen.getByTestId("chat-title").textContent).toBe("old name");
    await fireEvent.click(screen.getByRole("button", { name: "Rename “old name”" }));
    const input = screen.getByTestId("chat-title-input") as HTMLInputElement;
    input.value = "new name";
    await fireEvent.blur(input);
    await vi.waitFor(() => expect(screen.getByTestId("chat-title").textContent).toBe("new name"));
    expect(fake.conversations.get(c.id)!.title).toBe("new name");
  });
});
