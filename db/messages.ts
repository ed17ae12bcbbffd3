// Message-tree queries: add, edit (as a sibling), replace, delete, the branch path with
// sibling positions, switching branches, and the open-time recovery of messages that
// were still streaming. Functions of the handle; SqliteStore wires them to HistoryStore.
import { StoreError } from "../core/history/errors.ts";
import {
  defaultLeaf,
  descendToLeaf,
  indexTree,
  pathIds,
  siblingsOf,
  type TreeLink,
} from "../core/history/tree.ts";
import type {
  ConversationPath,
  Message,
  MessageStatus,
  NewMessage,
  Provenance,
} from "../core/history/types.ts";
import { requireConversation, touchConversation } from "./conversations.ts";
import { MESSAGE_COLUMNS, MESSAGE_FROM, hydrateMessage, type MessageRow } from "./rows.ts";
import { newId, notFound, now, stmt, toJson, type Db } from "./sql.ts";

export function getMessage(db: Db, id: string): Message | null {
  const row = stmt<[string], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = ?`,
  ).get(id);
  return row ? hydrateMessage(row) : null;
}

/** The message, or a not-found StoreError. */
export function requireMessage(db: Db, id: string): Message {
  const m = getMessage(db, id);
  if (!m) throw notFound("message", id);
  return m;
}

/** Every message of the conversation, all branches, in insertion order (parents first). */
export function listMessages(db: Db, conversationId: string): Message[] {
  return stmt<[string], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = ? ORDER BY m.seq`,
  )
    .all(conversationId)
    .map(hydrateMessage);
}

/** The tree's structure (no content), oldest first. */
export function treeLinks(db: Db, conversationId: string): TreeLink[] {
  return stmt<[string], TreeLink>(
    db,
    `SELECT id, parent_id AS parentId, active_child_id AS activeChildId
     FROM messages WHERE conversation_id = ? ORDER BY seq`,
  ).all(conversationId);
}

/** What insertMessageRow writes; the caller has checked the conversation and parent. */
export interface MessageRowInput {
  id: string;
  conversationId: string;
  parentId: string | null;
  activeChildId?: string | null;
  role: Message["role"];
  content: string;
  status: MessageStatus;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export function insertMessageRow(db: Db, m: MessageRowInput): void {
  stmt(
    db,
    `INSERT INTO messages (id, conversation_id, parent_id, active_child_id, role, content, status, error, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    m.id,
    m.conversationId,
    m.parentId,
    m.activeChildId ?? null,
    m.role,
    m.content,
    m.status,
    m.error,
    m.createdAt,
    m.updatedAt,
  );
}

export function insertProvenance(db: Db, messageId: string, p: Provenance): void {
  stmt(
    db,
    `INSERT INTO provenance (message_id, model_file, model_sha256, model_metadata, adapters, sampling, seed,
       chat_template, lathe_version, node_llama_cpp_version, llama_cpp_version, prompt_tokens, completion_tokens,
       ttft_ms, tokens_per_second, started_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    messageId,
    p.modelFile,
    p.modelSha256,
    toJson(p.modelMetadata),
    toJson(p.adapters),
    toJson(p.sampling),
    p.seed,
    p.chatTemplate,
    p.latheVersion,
    p.nodeLlamaCppVersion,
    p.llamaCppVersion,
    p.promptTokens,
    p.completionTokens,
    p.ttftMs,
    p.tokensPerSecond,
    p.startedAt,
    p.finishedAt,
  );
}

/** Ids from the root down to id, walking parent links in SQL (no need to load the tree). */
function pathUp(db: Db, id: string): string[] {
  const rows = stmt<[string], { id: string }>(
    db,
    `WITH RECURSIVE up(id, parent_id, depth) AS (
       SELECT id, parent_id, 0 FROM messages WHERE id = ?
       UNION ALL
       SELECT m.id, m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.parent_id
     )
     SELECT id FROM up ORDER BY depth DESC`,
  ).all(id);
  return rows.map((r) => r.id);
}

/**
 * Makes leafId the conversation's current leaf and records, on each ancestor, which
 * child the path goes through, so switching back to this branch later restores it.
 */
export function selectPath(db: Db, conversationId: string, ids: readonly string[]): void {
  const setActive = stmt(
    db,
    "UPDATE messages SET active_child_id = ? WHERE id = ? AND active_child_id IS NOT ?",
  );
  for (let i = 1; i < ids.length; i++) setActive.run(ids[i], ids[i - 1], ids[i]);
  stmt(db, "UPDATE conversations SET current_leaf_id = ? WHERE id = ?").run(
    ids[ids.length - 1] ?? null,
    conversationId,
  );
}

/** Checks that parentId (if any) is a message of conversationId. */
function checkParent(db: Db, conversationId: string, parentId: string | null): void {
  if (parentId === null) return;
  const parent = stmt<[string], { conversation_id: string }>(
    db,
    "SELECT conversation_id FROM messages WHERE id = ?",
  ).get(parentId);
  if (!parent) throw notFound("message", parentId);
  if (parent.conversation_id !== conversationId) {
    throw new StoreError(
      "invalid",
      `Message ${parentId} belongs to another conversation than ${conversationId}.`,
      {
        parentId,
        conversationId,
      },
    );
  }
}

/**
 * Inserts a message (and its provenance) under parentId, in one transaction; with
 * `select` (default) it becomes the current leaf. Used by addMessage, editMessage and
 * beginAssistantMessage.
 */
export function insertMessage(
  db: Db,
  input: Omit<NewMessage, "status"> & { status: MessageStatus },
): Message {
  return db.transaction(() => {
    requireConversation(db, input.conversationId);
    checkParent(db, input.conversationId, input.parentId);
    const t = now();
    const id = newId();
    insertMessageRow(db, {
      id,
      conversationId: input.conversationId,
      parentId: input.parentId,
      role: input.role,
      content: input.content,
      status: input.status,
      error: input.error ?? null,
      createdAt: t,
      updatedAt: t,
    });
    if (input.provenance) insertProvenance(db, id, input.provenance);
    if (input.select ?? true) selectPath(db, input.conversationId, pathUp(db, id));
    touchConversation(db, input.conversationId, t);
    return requireMessage(db, id);
  })();
}

export function addMessage(db: Db, input: NewMessage): Message {
  const status = input.status ?? "complete";
  if ((status as MessageStatus) === "streaming") {
    throw new StoreError("invalid", "Use beginAssistantMessage for a message that is still being generated.");
  }
  return insertMessage(db, { ...input, status });
}

/** Adds a sibling of message id (same parent and role) with new content; it becomes the current leaf. */
export function editMessage(db: Db, id: string, content: string): Message {
  const original = requireMessage(db, id);
  return insertMessage(db, {
    conversationId: original.conversationId,
    parentId: original.parentId,
    role: original.role,
    content,
    status: "complete",
  });
}

/** Replaces content in place (search index follows via triggers). Not for streaming messages. */
export function setMessageContent(db: Db, id: string, content: string): Message {
  return db.transaction(() => {
    const m = requireMessage(db, id);
    if (m.status === "streaming") {
      throw new StoreError("invalid", `Message ${id} is still being generated; stop it before editing.`, {
        id,
      });
    }
    const t = now();
    stmt(db, "UPDATE messages SET content = ?, updated_at = ? WHERE id = ?").run(content, t, id);
    touchConversation(db, m.conversationId, t);
    return requireMessage(db, id);
  })();
}

/**
 * Deletes the message and its whole subtree. If the current leaf was inside, the branch
 * through the parent (or, for a root, the newest remaining root) becomes current.
 */
export function deleteMessage(db: Db, id: string): boolean {
  return db.transaction(() => {
    const m = getMessage(db, id);
    if (!m) return false;
    const subtree = stmt<[string], { id: string }>(
      db,
      `WITH RECURSIVE down(id) AS (
         SELECT id FROM messages WHERE id = ?
         UNION ALL
         SELECT m.id FROM messages m JOIN down ON m.parent_id = down.id
       ) SELECT id FROM down`,
    )
      .all(id)
      .map((r) => r.id);
    const ids = toJson(subtree);
    // Cut parent links first so the cascade does not nest a trigger level per generation.
    stmt(
      db,
      "UPDATE messages SET parent_id = NULL WHERE id IN (SELECT value FROM json_each(?)) AND id <> ?",
    ).run(ids, id);
    stmt(db, "DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))").run(ids);
    const conv = requireConversation(db, m.conversationId);
    if (conv.currentLeafId === null) {
      const tree = indexTree(treeLinks(db, m.conversationId));
      const leaf =
        m.parentId && tree.byId.has(m.parentId) ? descendToLeaf(tree, m.parentId) : defaultLeaf(tree);
      selectPath(db, m.conversationId, leaf ? pathIds(tree, leaf) : []);
    }
    touchConversation(db, m.conversationId, now());
    return true;
  })();
}

/** The messages with these ids, keyed by id. */
function messagesById(db: Db, ids: readonly string[]): Map<string, Message> {
  const rows = stmt<[string], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id IN (SELECT value FROM json_each(?))`,
  ).all(toJson(ids));
  return new Map(rows.map((r) => [r.id, hydrateMessage(r)]));
}

/**
 * The branch from the root to leafId (default: the current leaf, or the newest branch
 * when none is recorded), each node with its siblings' ids and its position among them.
 */
export function getPath(db: Db, conversationId: string, leafId?: string): ConversationPath {
  const conv = requireConversation(db, conversationId);
  const tree = indexTree(treeLinks(db, conversationId));
  let leaf: string | null = leafId ?? conv.currentLeafId;
  if (leaf !== null && !tree.byId.has(leaf)) {
    if (leafId !== undefined) {
      throw new StoreError("invalid", `Message ${leafId} is not in conversation ${conversationId}.`, {
        leafId,
        conversationId,
      });
    }
    leaf = null;
  }
  leaf ??= defaultLeaf(tree);
  if (leaf === null) return { conversationId, leafId: null, nodes: [] };
  const ids = pathIds(tree, leaf);
  const byId = messagesById(db, ids);
  return {
    conversationId,
    leafId: leaf,
    nodes: ids.map((id) => {
      const siblingIds = siblingsOf(tree, id);
      return { message: byId.get(id)!, siblingIds, siblingIndex: siblingIds.indexOf(id) };
    }),
  };
}

/**
 * Shows the branch through messageId: follows the children last viewed below it (else
 * the newest) down to a leaf, makes that leaf current and returns the path.
 */
export function switchBranch(db: Db, messageId: string): ConversationPath {
  return db.transaction(() => {
    const m = requireMessage(db, messageId);
    const tree = indexTree(treeLinks(db, m.conversationId));
    const leaf = descendToLeaf(tree, messageId);
    selectPath(db, m.conversationId, pathIds(tree, leaf));
    return getPath(db, m.conversationId, leaf);
  })();
}

/**
 * Marks every message still `streaming` as `interrupted`: run at open, when no writer can
 * be alive, so a message cut off by a crash or kill reads as such. Returns how many.
 */
export function recoverInterrupted(db: Db): number {
  return stmt(
    db,
    "UPDATE messages SET status = 'interrupted', updated_at = ? WHERE status = 'streaming'",
  ).run(now()).changes;
}
