// Handlers for the `desktop` domain, over Electron's dialog (passed in, so the unit test
// can drive them without the Electron binary).
import type { DomainHandlers } from "../core/api/rpc.ts";
import type { desktopApi, FileKind } from "../core/api/desktop.ts";

/** The part of `dialog.showOpenDialog` these handlers use. */
export type ShowOpenDialog = (options: {
  title: string;
  properties: ("openFile")[];
  filters: { name: string; extensions: string[] }[];
}) => Promise<{ canceled: boolean; filePaths: string[] }>;

const dialogs: Record<FileKind, { title: string; filters: { name: string; extensions: string[] }[] }> = {
  model: { title: "Open a GGUF model", filters: [{ name: "GGUF models", extensions: ["gguf"] }] },
  adapter: {
    title: "Open a LoRA adapter",
    filters: [
      { name: "GGUF adapters", extensions: ["gguf"] },
      { name: "PEFT adapters (need conversion)", extensions: ["safetensors", "bin"] },
    ],
  },
  dataset: { title: "Open a dataset", filters: [{ name: "Datasets", extensions: ["jsonl", "json", "csv"] }] },
};

export function desktopHandlers(showOpenDialog: ShowOpenDialog): DomainHandlers<typeof desktopApi> {
  return {
    async openFile(input) {
      const d = dialogs[input.kind];
      const r = await showOpenDialog({ title: d.title, properties: ["openFile"], filters: d.filters });
      return { path: r.canceled ? null : (r.filePaths[0] ?? null) };
    },
  };
}
