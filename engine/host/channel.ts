// The host's side of the transport to its client: Electron utilityProcess's
// `process.parentPort` when present, else Node child_process IPC (`process.send`).
// Both carry the JSON-safe messages of core/engine/protocol.ts; main.ts is the only user.

/** A duplex message pipe to the parent process. */
export interface ParentChannel {
  /** Which transport was found. */
  readonly kind: "electron-parent-port" | "node-ipc";
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called when the parent goes away (Node IPC only; Electron kills utility processes itself). */
  onDisconnect(listener: () => void): void;
}

/** The structural part of Electron's `process.parentPort` that the host needs. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: "message", listener: (event: { data: unknown }) => void): void;
}

/** Finds the channel to the parent; throws when the process was not started by an engine client. */
export function connectToParent(): ParentChannel {
  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    return {
      kind: "electron-parent-port",
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on("message", (event) => listener(event.data)),
      onDisconnect: () => {},
    };
  }
  if (typeof process.send === "function") {
    return {
      kind: "node-ipc",
      send: (message) => {
        // A parent that died mid-send must not crash the host with EPIPE; the
        // disconnect handler ends the process instead.
        if (process.connected) process.send!(message, undefined, {}, () => {});
      },
      onMessage: (listener) => process.on("message", listener),
      onDisconnect: (listener) => process.on("disconnect", listener),
    };
  }
  throw new Error("engine host: no parent channel (start it through the engine client, not directly)");
}
