// The desktop-only `desktop` domain: the native dialog is asked with the right filters,
// a cancel gives null, and the renderer's models store adds the picked file.
import { describe, expect, it } from "vitest";
import { desktopHandlers, type ShowOpenDialog } from "../../electron/desktop.ts";
import { contract, createApiClient, createMemoryChannelPair, serveApi, type HandlersOf, type LatheContract } from "../../core/api/index.ts";
import { ModelsStore } from "../../renderer/models/models.svelte.ts";
import type { ModelRecord } from "../../core/history/types.ts";

function recordingDialog(answer: { canceled: boolean; filePaths: string[] }) {
  const asked: Parameters<ShowOpenDialog>[0][] = [];
  const show: ShowOpenDialog = async (o) => {
    asked.push(o);
    return answer;
  };
  return { show, asked };
}
const ctx = { signal: new AbortController().signal, method: "desktop.openFile" };

describe("desktop.openFile", () => {
  it("asks for GGUF files for a model and returns the chosen path", async () => {
    const d = recordingDialog({ canceled: false, filePaths: ["/models/x.gguf"] });
    expect(await desktopHandlers(d.show).openFile({ kind: "model" }, ctx)).toEqual({ path: "/models/x.gguf" });
    expect(d.asked[0]).toMatchObject({ properties: ["openFile"], filters: [{ extensions: ["gguf"] }] });
  });
  it("offers safetensors for adapters (to explain the conversion) and JSONL/CSV for datasets", async () => {
    const d = recordingDialog({ canceled: false, filePaths: ["/a"] });
    await desktopHandlers(d.show).openFile({ kind: "adapter" }, ctx);
    await desktopHandlers(d.show).openFile({ kind: "dataset" }, ctx);
    expect(d.asked[0]!.filters.flatMap((f) => f.extensions)).toEqual(["gguf", "safetensors", "bin"]);
    expect(d.asked[1]!.filters.flatMap((f) => f.extensions)).toEqual(["jsonl", "json", "csv"]);
  });
  it("returns null when the user cancels", async () => {
    const d = recordingDialog({ canceled: true, filePaths: [] });
    expect(await desktopHandlers(d.show).openFile({ kind: "model" }, ctx)).toEqual({ path: null });
  });
});

describe("ModelsStore.browse", () => {
  it("adds the file picked in the native dialog to the catalog", async () => {
    const added: string[] = [];
    const record = (path: string): ModelRecord => ({ id: "m1", filePath: path, name: "x", sha256: null, sizeBytes: 1, metadata: {}, addedAt: 0 });
    const handlers: Partial<HandlersOf<LatheContract>> = {
      desktop: desktopHandlers(async () => ({ canceled: false, filePaths: ["/elsewhere/model.gguf"] })),
      models: {
        add: async ({ path }: { path: string }) => {
          added.push(path);
          return record(path);
        },
        list: async () => ({ models: added.map((p) => ({ ...record(p), available: true, loaded: null })), folder: "/m" }),
        scanFolder: async () => ({ files: [] }),
      } as unknown as HandlersOf<LatheContract>["models"],
    };
    const [a, b] = createMemoryChannelPair();
    serveApi(contract, handlers, b);
    const store = new ModelsStore(createApiClient(contract, a), true);
    expect(store.canBrowse).toBe(true);
    expect(await store.browse()).toBe("m1");
    expect(added).toEqual(["/elsewhere/model.gguf"]);
  });
});
