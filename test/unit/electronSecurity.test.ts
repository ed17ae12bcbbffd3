// The desktop shell's security options and handlers, inspected without the Electron
// binary: the functions electron/main.ts calls are given recording fakes.
import { describe, expect, it, vi } from "vitest";
import {
  desktopContentSecurityPolicy,
  hardenSession,
  hardenWebContents,
  isSafeExternalUrl,
  isTrustedSender,
  mainWindowOptions,
  type SessionLike,
  type WebContentsLike,
} from "../../electron/security.ts";

const appUrl = "file:///opt/Lathe/resources/app/out/renderer/index.html";

describe("main window options", () => {
  it("isolates and sandboxes the renderer with no Node integration", () => {
    const o = mainWindowOptions("/opt/preload.cjs");
    expect(o.webPreferences).toMatchObject({
      preload: "/opt/preload.cjs",
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe("session hardening", () => {
  function fakeSession() {
    const h: { request?: Parameters<SessionLike["setPermissionRequestHandler"]>[0]; check?: () => boolean; headers?: Parameters<SessionLike["webRequest"]["onHeadersReceived"]>[0] } = {};
    const s: SessionLike = {
      setPermissionRequestHandler: (fn) => (h.request = fn),
      setPermissionCheckHandler: (fn) => (h.check = fn),
      webRequest: { onHeadersReceived: (fn) => (h.headers = fn) },
    };
    return { s, h };
  }

  it("denies every permission request and check", () => {
    const { s, h } = fakeSession();
    hardenSession(s);
    for (const p of ["media", "geolocation", "notifications", "clipboard-read", "openExternal"]) {
      const cb = vi.fn();
      h.request!({}, p, cb);
      expect(cb).toHaveBeenCalledWith(false);
    }
    expect(h.check!()).toBe(false);
  });

  it("adds the strict CSP to every response, keeping other headers", () => {
    const { s, h } = fakeSession();
    hardenSession(s);
    const cb = vi.fn();
    h.headers!({ responseHeaders: { "X-Other": ["1"] } }, cb);
    const headers = cb.mock.calls[0]![0].responseHeaders as Record<string, string[]>;
    expect(headers["X-Other"]).toEqual(["1"]);
    expect(headers["Content-Security-Policy"]).toEqual([desktopContentSecurityPolicy]);
    expect(desktopContentSecurityPolicy).toContain("default-src 'self'");
    expect(desktopContentSecurityPolicy).not.toMatch(/https?:|unsafe-eval/);
  });
});

describe("web contents hardening", () => {
  function setup(confirm: boolean) {
    const handlers: Record<string, (event: { preventDefault(): void }, url: string) => void> = {};
    let openHandler: ((d: { url: string }) => { action: "deny" }) | undefined;
    const contents: WebContentsLike = {
      on: ((event: string, h: never) => (handlers[event] = h)) as WebContentsLike["on"],
      setWindowOpenHandler: (h) => (openHandler = h),
    };
    const opened: string[] = [];
    const asked: string[] = [];
    hardenWebContents(contents, appUrl, {
      openExternal: (u) => void opened.push(u),
      confirmOpen: async (u) => {
        asked.push(u);
        return confirm;
      },
    });
    return { handlers, open: (u: string) => openHandler!({ url: u }), opened, asked };
  }
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it("blocks navigation away from the app and offers http(s) links after confirmation", async () => {
    const t = setup(true);
    const ev = { preventDefault: vi.fn() };
    t.handlers["will-navigate"]!(ev, "https://example.org/docs");
    expect(ev.preventDefault).toHaveBeenCalled();
    await flush();
    expect(t.asked).toEqual(["https://example.org/docs"]);
    expect(t.opened).toEqual(["https://example.org/docs"]);
  });

  it("never opens a link the user declined, nor a non-http one at all", async () => {
    const declined = setup(false);
    declined.handlers["will-redirect"]!({ preventDefault: vi.fn() }, "http://example.org/");
    await flush();
    expect(declined.opened).toEqual([]);

    const t = setup(true);
    for (const url of ["file:///etc/passwd", "javascript:alert(1)", "smb://host/share", "not a url"]) {
      const ev = { preventDefault: vi.fn() };
      t.handlers["will-navigate"]!(ev, url);
      expect(ev.preventDefault).toHaveBeenCalled();
    }
    await flush();
    expect(t.asked).toEqual([]);
    expect(t.opened).toEqual([]);
  });

  it("denies every new window and webview; reloading the app itself is allowed", async () => {
    const t = setup(true);
    expect(t.open("https://example.org/")).toEqual({ action: "deny" });
    const wv = { preventDefault: vi.fn() };
    t.handlers["will-attach-webview"]!(wv, "");
    expect(wv.preventDefault).toHaveBeenCalled();
    const self = { preventDefault: vi.fn() };
    t.handlers["will-navigate"]!(self, appUrl);
    expect(self.preventDefault).not.toHaveBeenCalled();
  });

  it("classifies external URLs", () => {
    expect(isSafeExternalUrl("https://huggingface.co/")).toBe(true);
    expect(isSafeExternalUrl("file:///x")).toBe(false);
  });
});

describe("IPC sender check", () => {
  const ids = new Set([7]);
  it("accepts only our window's main frame showing the app", () => {
    expect(isTrustedSender({ sender: { id: 7 }, senderFrame: { url: appUrl + "#/chat" } }, appUrl, ids)).toBe(true);
    expect(isTrustedSender({ sender: { id: 8 }, senderFrame: { url: appUrl } }, appUrl, ids)).toBe(false);
    expect(isTrustedSender({ sender: { id: 7 }, senderFrame: { url: "https://evil.example/" } }, appUrl, ids)).toBe(false);
    expect(isTrustedSender({ sender: { id: 7 }, senderFrame: { url: appUrl, parent: {} } }, appUrl, ids)).toBe(false);
    expect(isTrustedSender({ sender: { id: 7 }, senderFrame: null }, appUrl, ids)).toBe(false);
  });
});
