// The desktop shell's security posture, as plain functions over the Electron objects
// they configure, so a unit test can inspect every option and handler without the
// Electron binary: isolated sandboxed renderer, no Node in it, a strict CSP, navigation
// and new windows blocked, permissions denied, IPC only from our own frame, and
// external links only http(s) and only after the user confirms.
import { bridgeIpcChannel } from "../core/api/bridge.ts";

/** The renderer's CSP in the desktop app (it loads from file://, so 'self' is the app folder). */
export const desktopContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** BrowserWindow options for the main window. */
export function mainWindowOptions(preloadPath: string) {
  return {
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: "Lathe",
    backgroundColor: "#17181b",
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      enableBlinkFeatures: "",
      navigateOnDragDrop: false,
    },
  } as const;
}

/** Structural slices of Electron's objects that the handlers need. */
export interface SessionLike {
  setPermissionRequestHandler(h: (wc: unknown, permission: string, cb: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(h: () => boolean): void;
  webRequest: {
    onHeadersReceived(
      h: (
        details: { responseHeaders?: Record<string, string[] | string> },
        cb: (r: { responseHeaders: Record<string, string[] | string> }) => void,
      ) => void,
    ): void;
  };
}
export interface WebContentsLike {
  on(event: "will-navigate" | "will-redirect", h: (event: { preventDefault(): void }, url: string) => void): void;
  on(event: "will-attach-webview", h: (event: { preventDefault(): void }) => void): void;
  setWindowOpenHandler(h: (details: { url: string }) => { action: "deny" }): void;
}
export interface SecurityDeps {
  /** Opens a URL in the user's browser (shell.openExternal). */
  openExternal(url: string): Promise<void> | void;
  /** Asks the user to confirm opening a link; resolves true when they agree. */
  confirmOpen(url: string): Promise<boolean>;
}

/** Allows only http(s) URLs to leave the app. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

/** Denies every permission request, adds the CSP header to every response. */
export function hardenSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, "Content-Security-Policy": [desktopContentSecurityPolicy] } });
  });
}

/** Blocks navigation, redirects, webviews and new windows; offers http(s) links to the OS browser after confirmation. */
export function hardenWebContents(contents: WebContentsLike, appUrl: string, deps: SecurityDeps): void {
  const offerExternal = (url: string) => {
    if (!isSafeExternalUrl(url)) return;
    void deps.confirmOpen(url).then((yes) => (yes ? deps.openExternal(url) : undefined));
  };
  const block = (event: { preventDefault(): void }, url: string) => {
    if (url === appUrl) return; // reloading the app itself is fine
    event.preventDefault();
    offerExternal(url);
  };
  contents.on("will-navigate", block);
  contents.on("will-redirect", block);
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    offerExternal(url);
    return { action: "deny" };
  });
}

/** An IPC event's origin, as much as the sender check needs. */
export interface IpcEventLike {
  senderFrame: { url: string; parent?: unknown } | null;
  sender: { id: number };
}

/**
 * Accepts an API message only from the main frame of one of our windows showing our
 * own renderer file; anything else (a subframe, another page) is dropped.
 */
export function isTrustedSender(event: IpcEventLike, appUrl: string, windowIds: ReadonlySet<number>): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent) return false;
  if (!windowIds.has(event.sender.id)) return false;
  return frame.url.split("#")[0] === appUrl.split("#")[0];
}

export { bridgeIpcChannel };
