// Test shim: runs the engine host as Electron's utilityProcess would, by giving it a
// `process.parentPort` (backed here by Node IPC) before the host entry loads.
import { pathToFileURL } from "node:url";
import { fileURLToPath } from "node:url";

type Listener = (event: { data: unknown }) => void;
const listeners: Listener[] = [];
process.on("message", (data) => listeners.forEach((l) => l({ data })));
(process as unknown as { parentPort: unknown }).parentPort = {
  postMessage: (message: unknown) => process.send!(message),
  on: (_event: "message", listener: Listener) => listeners.push(listener),
};
await import(pathToFileURL(fileURLToPath(new URL("../../engine/host/main.ts", import.meta.url))).href);
