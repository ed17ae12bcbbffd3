// @vitest-environment jsdom
// The app frame against the in-memory Lathe: panels appear only for the domains the shell
// serves (no placeholders), the status bar shows model, backend, threads and speed, and the
// keyboard shortcuts switch panels, open the help sheet, focus search and stop an answer.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import App from "../../../renderer/App.svelte";
import { FakeLathe, Gate } from "./fakeLathe.ts";

const immediate = (cb: () => void) => void queueMicrotask(cb);

function renderApp(fake: FakeLathe) {
  const api = fake.client();
  return render(App, { connect: async () => api, frame: immediate });
}

const tabs = () => screen.getAllByRole("tab").map((t) => t.getAttribute("data-testid"));

describe("App frame", () => {
  it("shows only the panels whose domains the shell serves", async () => {
    renderApp(new FakeLathe({ domains: ["system", "models"] }));
    await vi.waitFor(() => expect(tabs()).toEqual(["panel-tab-models", "panel-tab-settings"]));
    expect(screen.queryByTestId("panel-chat")).toBeNull();
    expect(screen.queryByTestId("new-chat")).toBeNull();
    expect(screen.getByTestId("rail").textContent).not.toMatch(/Chat|Sampling|Adapters|Evaluate|Critique/);
  });

  it("with every domain: Chat first with the sidebar, status bar filled from the engine", async () => {
    renderApp(new FakeLathe());
    await vi.waitFor(() => expect(tabs()).toEqual(["panel-tab-chat", "panel-tab-models", "panel-tab-settings"]));
    expect(screen.getByTestId("panel-chat").hidden).toBe(false);
    expect(screen.getByTestId("panel-models").hidden).toBe(true);
    screen.getByTestId("new-chat");
    await vi.waitFor(() => expect(screen.getByTestId("status-backend").textContent).toBe("cpu"));
    expect(screen.getByTestId("status-threads").textContent).toBe("2");
    // A new chat starts with the only usable model.
    await vi.waitFor(() => expect(screen.getByTestId("status-model").textContent).toBe("successor"));
    expect(screen.getByTestId("status-adapters").textContent).toBe("none");
    expect(screen.getByTestId("status-speed").textContent).toBe("—");
  });

  it("switches panels with Ctrl+1..9 and the rail, and shows the version in Settings", async () => {
    renderApp(new FakeLathe());
    await vi.waitFor(() => screen.getByTestId("panel-tab-chat"));
    await fireEvent.keyDown(window, { key: "3", ctrlKey: true });
    expect(screen.getByTestId("panel-settings").hidden).toBe(false);
    expect(screen.getByTestId("app-version").textContent).toBe("0.1.0");
    await fireEvent.keyDown(window, { key: "2", ctrlKey: true });
    expect(screen.getByTestId("panel-models").hidden).toBe(false);
    expect(screen.getByTestId("panel-tab-models").getAttribute("aria-selected")).toBe("true");
    await fireEvent.click(screen.getByTestId("panel-tab-chat"));
    expect(screen.getByTestId("panel-chat").hidden).toBe(false);
  });

  it("opens the help sheet with ? and lists the shortcuts; Escape closes it", async () => {
    renderApp(new FakeLathe());
    await vi.waitFor(() => screen.getByTestId("panel-tab-chat"));
    await fireEvent.keyDown(document.body, { key: "?" });
    const sheet = screen.getByRole("dialog", { name: "Keyboard shortcuts" });
    expect(sheet.textContent).toMatch(/Ctrl\+Shift\+O\s*New chat/);
    expect(sheet.textContent).toMatch(/Escape\s*Stop the answer/);
    expect(sheet.textContent).toMatch(/Ctrl\+K\s*Search the history/);
    await fireEvent.keyDown(sheet, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    // "?" typed into the message box is text, not a shortcut.
    await fireEvent.keyDown(screen.getByTestId("composer-input"), { key: "?" });
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("Ctrl+K focuses search; Ctrl+Shift+O starts a new chat; Escape stops a streaming answer", async () => {
    const fake = new FakeLathe();
    const c = fake.createConversation("earlier");
    fake.addMessage(c.id, null, "user", "hello");
    fake.hold = new Gate();
    renderApp(fake);
    await vi.waitFor(() => screen.getByTestId("conversation-item"));
    await fireEvent.keyDown(window, { key: "k", ctrlKey: true });
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("history-search")));

    await fireEvent.click(screen.getByTestId("conversation-item"));
    await vi.waitFor(() => expect(screen.getByTestId("chat-title").textContent).toBe("earlier"));
    const box = screen.getByTestId("composer-input");
    await fireEvent.input(box, { target: { value: "abc" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => screen.getByTestId("stop"));
    await fireEvent.keyDown(window, { key: "Escape" });
    await vi.waitFor(() => expect(screen.getAllByTestId("message").at(-1)!.dataset.status).toBe("stopped"));

    await fireEvent.keyDown(window, { key: "O", ctrlKey: true, shiftKey: true });
    await vi.waitFor(() => expect(screen.getByTestId("chat-title").textContent).toBe("New chat"));
    expect(screen.queryAllByTestId("message")).toEqual([]);
    expect(document.activeElement).toBe(screen.getByTestId("composer-input"));
  });

  it("shows why it could not connect", async () => {
    render(App, { connect: async () => Promise.reject(new Error("No API token. Open the URL that `lathe serve` printed.")) });
    await vi.waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/No API token/));
  });
});
