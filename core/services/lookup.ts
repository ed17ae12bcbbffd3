// Fetches a row the caller named by id, or fails with `not_found` naming what is
// missing. Shared by the services so every domain answers a stale id the same way.
import { ApiError } from "../api/errors.ts";
import type { HistoryStore, ModelStore } from "../history/ports.ts";
import type { Conversation, Message, ModelRecord } from "../history/types.ts";

export async function requireConversation(history: HistoryStore, id: string): Promise<Conversation> {
  const c = await history.getConversation(id);
  if (!c) throw new ApiError("not_found", `No conversation with id ${id}`);
  return c;
}

export async function requireMessage(history: HistoryStore, id: string): Promise<Message> {
  const m = await history.getMessage(id);
  if (!m) throw new ApiError("not_found", `No message with id ${id}`);
  return m;
}

/** The catalog model; an absent id asks the user to choose one. */
export async function requireModel(models: ModelStore, id: string | null | undefined): Promise<ModelRecord> {
  if (!id) throw new ApiError("invalid_input", "Choose a model first.");
  const r = await models.getModel(id);
  if (!r) throw new ApiError("not_found", `No model with id ${id} in the catalog`);
  return r;
}
