// Conversation queries: create, read, list, change and delete conversations. Functions
// of the handle returning core types; SqliteStore wires them to core's HistoryStore.
import { StoreError } from "../core/history/errors.ts";
import type {
  Conversation,
  ConversationPatch,
  ConversationSummary,
  ListConversationsOptions,
  NewConversation,
} from "../core/history/types.ts";
import { hydrateConversation, hydrateConversationSummary, type ConversationRow } from "./rows.ts";
import { newId, notFound, now, stmt, toFlag, toJson, type Db } from "./sql.ts";

export function getConversation(db: Db, id: string): Conversation | null {
  const row = stmt<[string], ConversationRow>(db, "SELECT * FROM conversations WHERE id = ?").get(id);
  return row ? hydrateConversation(row) : null;
}

/** The conversation, or a not-found StoreError. */
export function requireConversation(db: Db, id: string): Conversation {
  const c = getConversation(db, id);
  if (!c) throw notFound("conversation", id);
  return c;
}

export function createConversation(db: Db, input: NewConversation = {}): Conversation {
  const t = now();
  const id = input.id ?? newId();
  try {
    stmt(
      db,
      `INSERT INTO conversations (id, title, model_id, model_file, adapter_set, preset_id, system_prompt,
         current_leaf_id, pinned, tags, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
    ).run(
      id,
      input.title ?? "New conversation",
      input.modelId ?? null,
      input.modelFile ?? null,
      toJson(input.adapterSet ?? []),
      input.presetId ?? null,
      input.systemPrompt ?? "",
      toFlag(input.pinned ?? false),
      toJson(input.tags ?? []),
      t,
      t,
    );
  } catch (err) {
    throw translateWriteError(err, input);
  }
  return requireConversation(db, id);
}

function translateWriteError(
  err: unknown,
  input: { id?: string; modelId?: string | null; presetId?: string | null },
): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return new StoreError("conflict", `A conversation with id ${input.id} already exists.`, {
      id: input.id ?? null,
    });
  }
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
    return new StoreError(
      "invalid",
      `Unknown model or preset (modelId ${input.modelId ?? "null"}, presetId ${input.presetId ?? "null"}).`,
      { modelId: input.modelId ?? null, presetId: input.presetId ?? null },
    );
  }
  return err;
}

/** Pinned first, then most recently updated; with the message count of each. */
export function listConversations(db: Db, options: ListConversationsOptions = {}): ConversationSummary[] {
  const where: string[] = [];
  const params: Record<string, unknown> = {
    limit: Math.max(1, Math.min(options.limit ?? 100, 10_000)),
    offset: Math.max(0, options.offset ?? 0),
  };
  if (options.pinned !== undefined) {
    where.push("c.pinned = @pinned");
    params.pinned = toFlag(options.pinned);
  }
  if (options.tag !== undefined) {
    where.push("EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = @tag)");
    params.tag = options.tag;
  }
  const sql = `
    SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
    FROM conversations c
    ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY c.pinned DESC, c.updated_at DESC, c.id
    LIMIT @limit OFFSET @offset`;
  return stmt<[Record<string, unknown>], ConversationRow & { message_count: number }>(db, sql)
    .all(params)
    .map(hydrateConversationSummary);
}

const patchColumns: {
  [K in keyof Required<ConversationPatch>]: [column: string, encode: (v: ConversationPatch[K]) => unknown];
} = {
  title: ["title", (v) => v],
  modelId: ["model_id", (v) => v ?? null],
  modelFile: ["model_file", (v) => v ?? null],
  adapterSet: ["adapter_set", (v) => toJson(v ?? [])],
  presetId: ["preset_id", (v) => v ?? null],
  systemPrompt: ["system_prompt", (v) => v ?? ""],
  pinned: ["pinned", (v) => toFlag(v ?? false)],
  tags: ["tags", (v) => toJson(v ?? [])],
};

export function updateConversation(db: Db, id: string, patch: ConversationPatch): Conversation {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const key of Object.keys(patchColumns) as (keyof ConversationPatch)[]) {
    if (patch[key] === undefined) continue;
    const [column, encode] = patchColumns[key] as [string, (v: unknown) => unknown];
    sets.push(`${column} = ?`);
    values.push(encode(patch[key]));
  }
  sets.push("updated_at = ?");
  values.push(now());
  let changes: number;
  try {
    changes = stmt(db, `UPDATE conversations SET ${sets.join(", ")} WHERE id = ?`).run(...values, id).changes;
  } catch (err) {
    throw translateWriteError(err, { id, modelId: patch.modelId, presetId: patch.presetId });
  }
  if (changes === 0) throw notFound("conversation", id);
  return requireConversation(db, id);
}

/**
 * Removes the conversation and, by foreign-key cascade, its messages, their provenance
 * and search entries. Parent links are cut first: a cascade down a long chain of
 * replies would otherwise nest one trigger level per message and hit SQLite's limit.
 */
export function deleteConversation(db: Db, id: string): boolean {
  return db.transaction(() => {
    stmt(db, "UPDATE messages SET parent_id = NULL WHERE conversation_id = ? AND parent_id IS NOT NULL").run(
      id,
    );
    return stmt(db, "DELETE FROM conversations WHERE id = ?").run(id).changes > 0;
  })();
}

/** Marks the conversation changed at time t (never moves updated_at backwards). */
export function touchConversation(db: Db, id: string, t: number): void {
  stmt(db, "UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?").run(t, id);
}
