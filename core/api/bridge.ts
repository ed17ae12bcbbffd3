// The fixed bridge the Electron preload exposes as `window.lathe`: one message pipe for
// the typed API and nothing else (never raw ipcRenderer). The renderer turns it into a
// Channel with bridgeChannel(); electron/preload.ts implements it over one IPC channel.
import type { Channel } from "./channel.ts";

/** The IPC channel name the preload and main process use. */
export const bridgeIpcChannel = "lathe:api";

export interface LatheBridge {
  /** Sends one API message to the main process. */
  send(message: unknown): void;
  /** Listens for API messages from the main process; returns an unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Which shell this is (always "electron" for the preload bridge). */
  readonly shell: "electron";
}

export function bridgeChannel(bridge: LatheBridge): Channel {
  return {
    send: (m) => bridge.send(m),
    onMessage: (l) => bridge.onMessage(l),
    onClose: () => () => undefined, // the window and its main-process peer live and die together
    close: () => undefined,
  };
}
