// Full-text search over message content: turns what a person typed into a safe FTS5
// query, ranks with bm25, filters by conversation, role, model, adapter and date, and
// returns highlighted snippets as parts (no markup to escape). Called by SqliteStore.search.
import type { SearchFilters, SearchHit, SearchOptions, SnippetPart } from "../core/history/types.ts";
import { stmt, toJson, type Db } from "./sql.ts";

/** Marks SQLite's snippet() puts around matches; control characters that text never needs. */
const OPEN = "\u0002";
const CLOSE = "\u0003";
/** Tokens of context a snippet shows (FTS5 allows up to 64). */
const SNIPPET_TOKENS = 16;

const hasWordChar = /[\p{L}\p{N}]/u;

/**
 * The FTS5 query for a person's search text, or null when it has nothing to search for.
 * Every word must appear (implicit AND); `"two words"` is a phrase; a trailing `*` makes
 * a prefix search. Everything else is literal: each term is quoted, so punctuation and
 * FTS keywords (`AND`, `NEAR`, `"`, `-`, `:`) never make a syntax error.
 */
export function toFtsQuery(text: string): string | null {
  const terms: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"?|([^\s"]+)/g)) {
    const phrase = m[1] ?? m[2] ?? "";
    const prefix = m[2] !== undefined && phrase.endsWith("*");
    const body = prefix ? phrase.replace(/\*+$/, "") : phrase;
    if (!hasWordChar.test(body)) continue;
    terms.push(`"${body.replaceAll('"', '""')}"${prefix ? "*" : ""}`);
  }
  return terms.length ? terms.join(" ") : null;
}

/** Splits snippet() output into plain and matched parts. */
export function parseSnippet(raw: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let buf = "";
  const push = () => {
    if (buf) parts.push({ text: buf, match });
    buf = "";
  };
  for (const ch of raw) {
    if (ch === OPEN || ch === CLOSE) {
      push();
      match = ch === OPEN;
    } else buf += ch;
  }
  push();
  return parts;
}

interface RankedRow {
  seq: number;
  score: number;
}

interface HitRow {
  seq: number;
  id: string;
  conversation_id: string;
  title: string;
  role: SearchHit["role"];
  status: SearchHit["status"];
  created_at: number;
  model_file: string | null;
  snippet: string;
}

/**
 * A query matching more messages than this (with no filters) ranks only the most recent
 * this-many matches: bm25 must score every match, and a word found in most messages
 * scores nearly the same everywhere (its idf is close to 0), so the cut costs little
 * relevance and keeps such searches fast at 100k messages.
 */
export const RANK_WINDOW = 10_000;

/**
 * Messages matching query, best first. Ranking and filtering run in one query that only
 * returns row ids; snippets are then made for the page alone (snippet() re-reads and
 * re-tokenises each row, which would dominate if done for every match).
 */
export function searchMessages(
  db: Db,
  query: string,
  filters: SearchFilters = {},
  options: SearchOptions = {},
): SearchHit[] {
  const match = toFtsQuery(query);
  if (match === null) return [];
  const where = ["messages_fts MATCH @match"];
  const params: Record<string, unknown> = {
    match,
    limit: Math.max(1, Math.min(options.limit ?? 20, 500)),
    offset: Math.max(0, options.offset ?? 0),
  };
  let joinMessages = false;
  let joinConversation = false;
  let joinProvenance = false;
  if (filters.conversationId !== undefined) {
    // A conversation's rows are few: test membership instead of joining every match.
    where.push("messages_fts.rowid IN (SELECT seq FROM messages WHERE conversation_id = @conversationId)");
    params.conversationId = filters.conversationId;
  }
  if (filters.roles !== undefined) {
    joinMessages = true;
    where.push("m.role IN (SELECT value FROM json_each(@roles))");
    params.roles = toJson(filters.roles);
  }
  if (filters.from !== undefined) {
    joinMessages = true;
    where.push("m.created_at >= @from");
    params.from = filters.from;
  }
  if (filters.to !== undefined) {
    joinMessages = true;
    where.push("m.created_at < @to");
    params.to = filters.to;
  }
  if (filters.model !== undefined) {
    joinMessages = joinConversation = joinProvenance = true;
    where.push(`(p.model_sha256 = @model OR p.model_file = @model
      OR (p.message_id IS NULL AND (c.model_id = @model OR c.model_file = @model)))`);
    params.model = filters.model;
  }
  if (filters.adapter !== undefined) {
    joinMessages = joinConversation = joinProvenance = true;
    where.push(`EXISTS (SELECT 1 FROM json_each(coalesce(p.adapters, c.adapter_set)) a
      WHERE a.value ->> 'sha256' = @adapter OR a.value ->> 'file' = @adapter OR a.value ->> 'adapterId' = @adapter)`);
    params.adapter = filters.adapter;
  }
  if (where.length === 1) {
    const floor = stmt<[string], { rowid: number }>(
      db,
      `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ${RANK_WINDOW - 1}`,
    ).get(match);
    if (floor) {
      where.push("messages_fts.rowid >= CAST(@floor AS INTEGER)");
      params.floor = floor.rowid;
    }
  }
  const ranked = stmt<[Record<string, unknown>], RankedRow>(
    db,
    `SELECT messages_fts.rowid AS seq, bm25(messages_fts) AS score
     FROM messages_fts
     ${joinMessages ? "JOIN messages m INDEXED BY messages_for_search ON m.seq = messages_fts.rowid" : ""}
     ${joinConversation ? "JOIN conversations c ON c.id = m.conversation_id" : ""}
     ${joinProvenance ? "LEFT JOIN provenance p ON p.message_id = m.id" : ""}
     WHERE ${where.join(" AND ")}
     ORDER BY score, seq
     LIMIT @limit OFFSET @offset`,
  ).all(params);

  // Snippets for the page only, one indexed lookup each. Row ids are cast because JS
  // numbers bind as REAL, and FTS5 ignores a rowid constraint with a REAL value (it
  // then returns every match) -- the same holds for the window floor above.
  const detail = stmt<[string, number], HitRow>(
    db,
    `SELECT m.seq, m.id, m.conversation_id, c.title, m.role, m.status, m.created_at, p.model_file,
       snippet(messages_fts, 0, char(2), char(3), '…', ${SNIPPET_TOKENS}) AS snippet
     FROM messages_fts
     JOIN messages m ON m.seq = messages_fts.rowid
     JOIN conversations c ON c.id = m.conversation_id
     LEFT JOIN provenance p ON p.message_id = m.id
     WHERE messages_fts MATCH ? AND messages_fts.rowid = CAST(? AS INTEGER)`,
  );
  const hits: SearchHit[] = [];
  for (const { seq, score } of ranked) {
    const r = detail.get(match, seq);
    if (!r) continue;
    hits.push({
      messageId: r.id,
      conversationId: r.conversation_id,
      conversationTitle: r.title,
      role: r.role,
      status: r.status,
      createdAt: r.created_at,
      modelFile: r.model_file,
      snippet: parseSnippet(r.snippet),
      score,
    });
  }
  return hits;
}
