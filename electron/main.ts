// The desktop shell's main process: one window, the app menu, data paths, the
// single-instance lock, the typed API served to the window over one IPC channel, and
// an orderly shutdown. The engine host runs in a utilityProcess (see electron/engine.ts).
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, type WebContents } from "electron";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { contract, serveApi, type Channel } from "../core/api/index.ts";
import { resolveDataPaths } from "../core/paths.ts";
import { bridgeIpcChannel, hardenSession, hardenWebContents, isTrustedSender, mainWindowOptions } from "./security.ts";
import { createDesktopServices } from "./services.ts";

app.setName("Lathe");
if (!app.requestSingleInstanceLock()) {
  // Another Lathe owns the database and the engine; it gets focus instead (second-instance below).
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  const paths = resolveDataPaths({
    platform: process.platform,
    env: process.env,
    homedir: homedir(),
    override: process.env.LATHE_HOME || app.getPath("userData"),
  });
  for (const dir of [paths.home, paths.models, paths.adapters]) mkdirSync(dir, { recursive: true });

  await app.whenReady();
  const services = await createDesktopServices({ paths, appVersion: app.getVersion() });
  hardenSession(session.defaultSession);

  const rendererFile = join(import.meta.dirname, "../renderer/index.html");
  const appUrl = pathToFileURL(rendererFile).href;
  const windowIds = new Set<number>();
  const listeners = new Map<number, (message: unknown) => void>();

  ipcMain.on(bridgeIpcChannel, (event, message: unknown) => {
    if (!isTrustedSender(event, appUrl, windowIds)) return;
    listeners.get(event.sender.id)?.(message);
  });

  function channelFor(contents: WebContents): Channel {
    const closeListeners = new Set<() => void>();
    contents.once("destroyed", () => {
      listeners.delete(contents.id);
      for (const l of closeListeners) l();
    });
    return {
      send: (m) => {
        if (!contents.isDestroyed()) contents.send(bridgeIpcChannel, m);
      },
      onMessage(listener) {
        listeners.set(contents.id, listener);
        return () => listeners.delete(contents.id);
      },
      onClose(listener) {
        closeListeners.add(listener);
        return () => closeListeners.delete(listener);
      },
      close: () => undefined,
    };
  }

  function createWindow(): BrowserWindow {
    const win = new BrowserWindow(mainWindowOptions(join(import.meta.dirname, "../preload/index.cjs")));
    const contents = win.webContents;
    windowIds.add(contents.id);
    hardenWebContents(contents, appUrl, {
      openExternal: (url) => shell.openExternal(url),
      confirmOpen: async (url) =>
        (
          await dialog.showMessageBox(win, {
            type: "question",
            buttons: ["Open in browser", "Cancel"],
            defaultId: 1,
            cancelId: 1,
            message: "Open this link in your web browser?",
            detail: url,
          })
        ).response === 0,
    });
    const server = serveApi(contract, services.handlers, channelFor(contents));
    contents.once("destroyed", () => {
      server.dispose();
      windowIds.delete(contents.id);
    });
    win.once("ready-to-show", () => win.show());
    void win.loadFile(rendererFile);
    return win;
  }

  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(process.platform === "darwin" ? [{ role: "appMenu" as const }] : []),
      { role: "fileMenu" },
      { role: "editMenu" },
      { role: "viewMenu" },
      { role: "windowMenu" },
    ]),
  );

  let win = createWindow();
  app.on("second-instance", () => {
    if (win.isDestroyed()) win = createWindow();
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on("activate", () => {
    if (BrowserWindow.getAllWindows().length === 0) win = createWindow();
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  let disposed = false;
  app.on("before-quit", (event) => {
    if (disposed) return;
    event.preventDefault();
    disposed = true;
    void services.dispose().finally(() => app.quit());
  });
}
