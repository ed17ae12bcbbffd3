// Export and import: one conversation as Markdown (its current branch) or JSON (the
// whole tree with provenance), and the whole history plus catalog as one JSON file that
// imports back all-or-nothing. Import faults name the line and field (core/history
// jsonLocate). Called by SqliteStore; the formats are core/history/schemas.ts.
import { StoreError } from "../core/history/errors.ts";
import { importError, syntaxErrorLocation, type JsonPath } from "../core/history/jsonLocate.ts";
import { conversationToMarkdown } from "../core/history/markdown.ts";
import {
  EXPORT_FORMAT_VERSION,
  historyExportSchema,
  stringifyExport,
  type ConversationExport,
  type HistoryExport,
  type MessageExport,
} from "../core/history/schemas.ts";
import type {
  AdapterRecord,
  Conversation,
  ImportSummary,
  ModelRecord,
  Preset,
  PromptTemplate,
  Provenance,
} from "../core/history/types.ts";
import { getAdapter, listAdapters } from "./adapters.ts";
import { getConversation, requireConversation } from "./conversations.ts";
import { getPath, insertMessageRow, insertProvenance } from "./messages.ts";
import { getModel, listModels } from "./models.ts";
import { getPreset } from "./presets.ts";
import {
  MESSAGE_COLUMNS,
  MESSAGE_FROM,
  hydrateConversation,
  hydrateMessage,
  hydratePreset,
  hydrateTemplate,
  type ConversationRow,
  type MessageRow,
  type PresetRow,
  type TemplateRow,
} from "./rows.ts";
import { stmt, toFlag, toJson, type Db } from "./sql.ts";
import { getTemplate } from "./templates.ts";

// Builders fix the key order of every exported object (the schema's order), so equal
// data always serialises to equal bytes.

function provenanceExport(p: Provenance): Provenance {
  return {
    modelFile: p.modelFile,
    modelSha256: p.modelSha256,
    modelMetadata: p.modelMetadata,
    adapters: p.adapters.map((a) => ({
      adapterId: a.adapterId,
      file: a.file,
      sha256: a.sha256,
      scale: a.scale,
    })),
    sampling: p.sampling,
    seed: p.seed,
    chatTemplate: p.chatTemplate,
    latheVersion: p.latheVersion,
    nodeLlamaCppVersion: p.nodeLlamaCppVersion,
    llamaCppVersion: p.llamaCppVersion,
    promptTokens: p.promptTokens,
    completionTokens: p.completionTokens,
    ttftMs: p.ttftMs,
    tokensPerSecond: p.tokensPerSecond,
    startedAt: p.startedAt,
    finishedAt: p.finishedAt,
  };
}

function messageExport(row: MessageRow): MessageExport {
  const m = hydrateMessage(row);
  return {
    id: m.id,
    parentId: m.parentId,
    role: m.role,
    content: m.content,
    status: m.status,
    error: m.error,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    activeChildId: row.active_child_id,
    provenance: m.provenance ? provenanceExport(m.provenance) : null,
  };
}

function conversationExport(c: Conversation, messages: MessageExport[]): ConversationExport {
  return {
    id: c.id,
    title: c.title,
    modelId: c.modelId,
    modelFile: c.modelFile,
    adapterSet: c.adapterSet.map((a) => ({
      adapterId: a.adapterId,
      file: a.file,
      sha256: a.sha256,
      scale: a.scale,
    })),
    presetId: c.presetId,
    systemPrompt: c.systemPrompt,
    currentLeafId: c.currentLeafId,
    pinned: c.pinned,
    tags: c.tags,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    messages,
  };
}

function modelExport(m: ModelRecord): ModelRecord {
  return {
    id: m.id,
    filePath: m.filePath,
    name: m.name,
    sha256: m.sha256,
    sizeBytes: m.sizeBytes,
    metadata: m.metadata,
    addedAt: m.addedAt,
  };
}

function adapterExport(a: AdapterRecord): AdapterRecord {
  return {
    id: a.id,
    filePath: a.filePath,
    name: a.name,
    sha256: a.sha256,
    metadata: a.metadata,
    tags: a.tags,
    notes: a.notes,
    addedAt: a.addedAt,
  };
}

function presetExport(p: Preset): Preset {
  return {
    id: p.id,
    name: p.name,
    config: p.config,
    builtin: p.builtin,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

function templateExport(t: PromptTemplate): PromptTemplate {
  return { id: t.id, name: t.name, body: t.body, createdAt: t.createdAt, updatedAt: t.updatedAt };
}

function messageRowsOf(db: Db, conversationId: string): MessageRow[] {
  return stmt<[string], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = ? ORDER BY m.seq`,
  ).all(conversationId);
}

/** One conversation, whole tree with provenance, as a "lathe-conversation" JSON document. */
export function exportConversationJson(db: Db, id: string): string {
  const c = requireConversation(db, id);
  return stringifyExport({
    format: "lathe-conversation",
    version: EXPORT_FORMAT_VERSION,
    conversation: conversationExport(c, messageRowsOf(db, id).map(messageExport)),
  });
}

/** One conversation's current branch as Markdown. */
export function exportConversationMarkdown(db: Db, id: string): string {
  return conversationToMarkdown(requireConversation(db, id), getPath(db, id));
}

/** The whole history and catalog as one "lathe-history" document (no timestamps of its own, so it is reproducible). */
export function buildHistoryExport(db: Db): HistoryExport {
  const byConversation = new Map<string, MessageExport[]>();
  for (const row of stmt<[], MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} ORDER BY m.seq`,
  ).iterate()) {
    const list = byConversation.get(row.conversation_id);
    const m = messageExport(row);
    if (list) list.push(m);
    else byConversation.set(row.conversation_id, [m]);
  }
  const conversations = stmt<[], ConversationRow>(db, "SELECT * FROM conversations ORDER BY created_at, id")
    .all()
    .map((r) => conversationExport(hydrateConversation(r), byConversation.get(r.id) ?? []));
  return {
    format: "lathe-history",
    version: EXPORT_FORMAT_VERSION,
    models: listModels(db)
      .sort((a, b) => a.addedAt - b.addedAt || cmp(a.id, b.id))
      .map(modelExport),
    adapters: listAdapters(db)
      .sort((a, b) => a.addedAt - b.addedAt || cmp(a.id, b.id))
      .map(adapterExport),
    presets: stmt<[], PresetRow>(db, "SELECT * FROM presets ORDER BY created_at, id")
      .all()
      .map((r) => presetExport(hydratePreset(r))),
    templates: stmt<[], TemplateRow>(db, "SELECT * FROM prompt_templates ORDER BY created_at, id")
      .all()
      .map((r) => templateExport(hydrateTemplate(r))),
    conversations,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function exportHistory(db: Db): string {
  return stringifyExport(buildHistoryExport(db));
}

function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = syntaxErrorLocation(text, err);
    throw new StoreError(
      "invalid-import",
      `Import rejected${at ? ` at line ${at.line}, column ${at.column}` : ""}: not valid JSON (${(err as Error).message}). Nothing was imported.`,
      { line: at?.line ?? null, column: at?.column ?? null, path: "", field: "" },
    );
  }
}

/** Validates the document's shape: the first fault becomes an error naming its line and field. */
function validateShape(text: string, doc: unknown): HistoryExport {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw importError(text, [], "not a Lathe history export (expected a JSON object)");
  }
  const format = (doc as { format?: unknown }).format;
  if (format !== "lathe-history") {
    const hint = format === "lathe-conversation" ? " (this is a single-conversation export)" : "";
    throw importError(
      text,
      ["format"],
      `not a Lathe history export: format is ${JSON.stringify(format) ?? "missing"}, expected "lathe-history"${hint}`,
    );
  }
  const version = (doc as { version?: unknown }).version;
  if (version !== EXPORT_FORMAT_VERSION) {
    throw importError(
      text,
      ["version"],
      `export format version ${JSON.stringify(version) ?? "missing"} is not supported (this Lathe reads version ${EXPORT_FORMAT_VERSION})`,
    );
  }
  const parsed = historyExportSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path: JsonPath =
    issue.code === "unrecognized_keys" && issue.keys.length ? [...issue.path, issue.keys[0]!] : issue.path;
  throw importError(text, path, issue.message);
}

/** Catalog rows in the file that already exist with identical content are skipped, not conflicts. */
interface Plan {
  skip: Set<string>;
}

function checkCatalog<T extends { id: string }>(
  text: string,
  section: "models" | "adapters" | "presets" | "templates",
  rows: T[],
  unique: keyof T & string,
  existingById: (id: string) => T | null,
  existingByUnique: (value: string) => { id: string } | undefined,
  toExport: (row: T) => T,
  plan: Plan,
): void {
  const ids = new Set<string>();
  const uniques = new Set<string>();
  rows.forEach((row, i) => {
    if (ids.has(row.id)) throw importError(text, [section, i, "id"], `duplicate id ${row.id}`);
    ids.add(row.id);
    const u = String(row[unique]);
    if (uniques.has(u))
      throw importError(text, [section, i, unique], `duplicate ${unique} ${JSON.stringify(u)}`);
    uniques.add(u);
    const existing = existingById(row.id);
    if (existing) {
      if (toJson(toExport(existing)) === toJson(toExport(row))) {
        plan.skip.add(`${section}:${row.id}`);
        return;
      }
      throw importError(
        text,
        [section, i, "id"],
        `this store already has a different entry with id ${row.id}`,
      );
    }
    const clash = existingByUnique(u);
    if (clash)
      throw importError(
        text,
        [section, i, unique],
        `this store already has an entry with ${unique} ${JSON.stringify(u)}`,
      );
  });
}

/** Checks every reference and id in the file against itself and the store, before any write. */
function checkReferences(db: Db, text: string, h: HistoryExport): Plan {
  const plan: Plan = { skip: new Set() };
  checkCatalog(
    text,
    "models",
    h.models,
    "filePath",
    (id) => getModel(db, id),
    (v) => stmt<[string], { id: string }>(db, "SELECT id FROM models WHERE file_path = ?").get(v),
    modelExport,
    plan,
  );
  checkCatalog(
    text,
    "adapters",
    h.adapters,
    "filePath",
    (id) => getAdapter(db, id),
    (v) => stmt<[string], { id: string }>(db, "SELECT id FROM adapters WHERE file_path = ?").get(v),
    adapterExport,
    plan,
  );
  checkCatalog(
    text,
    "presets",
    h.presets,
    "name",
    (id) => getPreset(db, id),
    (v) => stmt<[string], { id: string }>(db, "SELECT id FROM presets WHERE name = ?").get(v),
    presetExport,
    plan,
  );
  checkCatalog(
    text,
    "templates",
    h.templates,
    "name",
    (id) => getTemplate(db, id),
    (v) => stmt<[string], { id: string }>(db, "SELECT id FROM prompt_templates WHERE name = ?").get(v),
    templateExport,
    plan,
  );

  const modelIds = new Set(h.models.map((m) => m.id));
  const presetIds = new Set(h.presets.map((p) => p.id));
  const conversationIds = new Set<string>();
  const messageIds = new Set<string>();
  const messageExists = stmt<[string], { id: string }>(db, "SELECT id FROM messages WHERE id = ?");
  h.conversations.forEach((c, i) => {
    const at = ["conversations", i] as const;
    if (conversationIds.has(c.id))
      throw importError(text, [...at, "id"], `duplicate conversation id ${c.id}`);
    conversationIds.add(c.id);
    if (getConversation(db, c.id))
      throw importError(text, [...at, "id"], `this store already has conversation ${c.id}`);
    if (c.modelId !== null && !modelIds.has(c.modelId) && !getModel(db, c.modelId)) {
      throw importError(
        text,
        [...at, "modelId"],
        `unknown model id ${c.modelId} (not in "models" nor in this store)`,
      );
    }
    if (c.presetId !== null && !presetIds.has(c.presetId) && !getPreset(db, c.presetId)) {
      throw importError(
        text,
        [...at, "presetId"],
        `unknown preset id ${c.presetId} (not in "presets" nor in this store)`,
      );
    }
    const parentOf = new Map<string, string | null>();
    c.messages.forEach((m, j) => {
      const mat = [...at, "messages", j] as const;
      if (messageIds.has(m.id)) throw importError(text, [...mat, "id"], `duplicate message id ${m.id}`);
      if (messageExists.get(m.id))
        throw importError(text, [...mat, "id"], `this store already has message ${m.id}`);
      if (m.parentId !== null && !parentOf.has(m.parentId)) {
        throw importError(
          text,
          [...mat, "parentId"],
          `parent ${m.parentId} is not an earlier message of this conversation (parents must come before their replies)`,
        );
      }
      messageIds.add(m.id);
      parentOf.set(m.id, m.parentId);
    });
    c.messages.forEach((m, j) => {
      if (m.activeChildId !== null && parentOf.get(m.activeChildId) !== m.id) {
        throw importError(
          text,
          [...at, "messages", j, "activeChildId"],
          `${m.activeChildId} is not a reply to this message`,
        );
      }
    });
    if (c.currentLeafId !== null && !parentOf.has(c.currentLeafId)) {
      throw importError(
        text,
        [...at, "currentLeafId"],
        `${c.currentLeafId} is not a message of this conversation`,
      );
    }
  });
  return plan;
}

/**
 * Imports a "lathe-history" document in one transaction: nothing is written unless all
 * of it is valid. Ids are kept; an id already in the store is a conflict, except catalog
 * entries with identical content (e.g. builtin presets), which are left as they are.
 * Messages that were still streaming when exported arrive as `interrupted`.
 */
export function importHistory(db: Db, text: string): ImportSummary {
  const h = validateShape(text, parseDocument(text));
  const plan = checkReferences(db, text, h);
  const summary: ImportSummary = {
    conversations: 0,
    messages: 0,
    models: 0,
    adapters: 0,
    presets: 0,
    templates: 0,
    unchanged: plan.skip.size,
  };
  let at: JsonPath = [];
  try {
    db.transaction(() => {
      h.models.forEach((m, i) => {
        if (plan.skip.has(`models:${m.id}`)) return;
        at = ["models", i];
        stmt(
          db,
          "INSERT INTO models (id, file_path, name, sha256, size_bytes, metadata, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ).run(m.id, m.filePath, m.name, m.sha256, m.sizeBytes, toJson(m.metadata), m.addedAt);
        summary.models++;
      });
      h.adapters.forEach((a, i) => {
        if (plan.skip.has(`adapters:${a.id}`)) return;
        at = ["adapters", i];
        stmt(
          db,
          "INSERT INTO adapters (id, file_path, name, sha256, metadata, tags, notes, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ).run(a.id, a.filePath, a.name, a.sha256, toJson(a.metadata), toJson(a.tags), a.notes, a.addedAt);
        summary.adapters++;
      });
      h.presets.forEach((p, i) => {
        if (plan.skip.has(`presets:${p.id}`)) return;
        at = ["presets", i];
        stmt(
          db,
          "INSERT INTO presets (id, name, config, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(p.id, p.name, toJson(p.config), toFlag(p.builtin), p.createdAt, p.updatedAt);
        summary.presets++;
      });
      h.templates.forEach((t, i) => {
        if (plan.skip.has(`templates:${t.id}`)) return;
        at = ["templates", i];
        stmt(
          db,
          "INSERT INTO prompt_templates (id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        ).run(t.id, t.name, toJson(t.body), t.createdAt, t.updatedAt);
        summary.templates++;
      });
      const setActive = stmt(db, "UPDATE messages SET active_child_id = ? WHERE id = ?");
      h.conversations.forEach((c, i) => {
        at = ["conversations", i];
        stmt(
          db,
          `INSERT INTO conversations (id, title, model_id, model_file, adapter_set, preset_id, system_prompt,
             current_leaf_id, pinned, tags, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
        ).run(
          c.id,
          c.title,
          c.modelId,
          c.modelFile,
          toJson(c.adapterSet),
          c.presetId,
          c.systemPrompt,
          toFlag(c.pinned),
          toJson(c.tags),
          c.createdAt,
          c.updatedAt,
        );
        c.messages.forEach((m, j) => {
          at = ["conversations", i, "messages", j];
          insertMessageRow(db, {
            id: m.id,
            conversationId: c.id,
            parentId: m.parentId,
            role: m.role,
            content: m.content,
            status: m.status === "streaming" ? "interrupted" : m.status,
            error: m.error,
            createdAt: m.createdAt,
            updatedAt: m.updatedAt,
          });
          if (m.provenance) insertProvenance(db, m.id, m.provenance);
          summary.messages++;
        });
        // Links to later rows are set once every message exists.
        c.messages.forEach((m, j) => {
          at = ["conversations", i, "messages", j, "activeChildId"];
          if (m.activeChildId !== null) setActive.run(m.activeChildId, m.id);
        });
        at = ["conversations", i, "currentLeafId"];
        if (c.currentLeafId !== null) {
          stmt(db, "UPDATE conversations SET current_leaf_id = ? WHERE id = ?").run(c.currentLeafId, c.id);
        }
        summary.conversations++;
      });
    })();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw importError(text, at, `the store refused this entry (${(err as Error).message})`);
  }
  return summary;
}
