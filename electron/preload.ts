// The preload script: exposes exactly one fixed bridge, `window.lathe`, carrying API
// messages over one IPC channel. No ipcRenderer, no Node, nothing else reaches the page.
import { contextBridge, ipcRenderer } from "electron";
import { bridgeIpcChannel, type LatheBridge } from "../core/api/bridge.ts";

const bridge: LatheBridge = {
  shell: "electron",
  send(message) {
    ipcRenderer.send(bridgeIpcChannel, message);
  },
  onMessage(listener) {
    const h = (_event: unknown, message: unknown) => listener(message);
    ipcRenderer.on(bridgeIpcChannel, h);
    return () => {
      ipcRenderer.off(bridgeIpcChannel, h);
    };
  },
};

contextBridge.exposeInMainWorld("lathe", bridge);
