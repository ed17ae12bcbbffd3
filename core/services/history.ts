// Handlers for the `history` domain: a thin, validated layer over the HistoryStore port.
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { historyApi } from "../api/history.ts";
import type { HistoryStore, ModelStore } from "../history/ports.ts";
import { requireConversation } from "./lookup.ts";

/** A file-name-safe slug of a title. */
export function slug(title: string): string {
  const s = title
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/[\s_]+/g, "-")
    .toLowerCase()
    .slice(0, 60);
  return s || "conversation";
}

export function historyHandlers(deps: { history: HistoryStore; models: ModelStore }): DomainHandlers<typeof historyApi> {
  const { history } = deps;
  const conversation = (id: string) => requireConversation(history, id);
  return {
    listConversations: (input) =>
      history.listConversations({ limit: input.limit, offset: input.offset, ...(input.tag ? { tag: input.tag } : {}) }),
    async createConversation(input) {
      let modelId = input.modelId;
      if (modelId === undefined) {
        // Continue with the model of the most recent conversation that had one.
        const recent = await history.listConversations({ limit: 20 });
        modelId = recent.find((c) => c.modelId)?.modelId ?? null;
      }
      const model = modelId ? await deps.models.getModel(modelId) : null;
      if (modelId && !model) throw new ApiError("not_found", `No model with id ${modelId} in the catalog`);
      return history.createConversation({
        ...input,
        modelId: model?.id ?? null,
        modelFile: model ? model.filePath : null,
      });
    },
    getConversation: (input) => conversation(input.id),
    async updateConversation(input) {
      const patch = { ...input.patch } as Parameters<HistoryStore["updateConversation"]>[1];
      if (input.patch.modelId !== undefined) {
        const model = input.patch.modelId ? await deps.models.getModel(input.patch.modelId) : null;
        if (input.patch.modelId && !model) throw new ApiError("not_found", `No model with id ${input.patch.modelId} in the catalog`);
        patch.modelFile = model ? model.filePath : null;
      }
      return history.updateConversation(input.id, patch);
    },
    deleteConversation: async (input) => ({ deleted: await history.deleteConversation(input.id) }),
    async getPath(input) {
      await conversation(input.conversationId);
      return history.getPath(input.conversationId, input.leafId);
    },
    switchBranch: (input) => history.switchBranch(input.messageId),
    deleteMessage: async (input) => ({ deleted: await history.deleteMessage(input.messageId) }),
    search: (input) => history.search(input.query, input.filters, { limit: input.limit, offset: input.offset }),
    async exportConversation(input) {
      const c = await conversation(input.id);
      const text = await history.exportConversation(input.id, input.format);
      return { text, fileName: `${slug(c.title)}.${input.format === "markdown" ? "md" : "json"}` };
    },
    async exportHistory() {
      const day = new Date().toISOString().slice(0, 10);
      return { text: await history.exportHistory(), fileName: `lathe-history-${day}.json` };
    },
    importHistory: (input) => history.importHistory(input.text),
  };
}
