// The `history` domain: conversations, their message trees and branches, full-text
// search, and export/import. Thin over core/history's HistoryStore; the chat domain
// (chat.ts) adds generation on top.
import { z } from "zod";
import { unary } from "./rpc.ts";
import type {
  Conversation,
  ConversationPath,
  ConversationSummary,
  ImportSummary,
  SearchHit,
} from "../history/types.ts";

const id = z.string().min(1).max(200);

/** An adapter in a conversation's adapter set. */
export const adapterUseSchema = z.object({
  /** Catalog id, or null for a file outside the catalog. */
  adapterId: z.string().max(200).nullable(),
  /** File path of the adapter. */
  file: z.string().min(1).max(4096),
  /** sha256 of the file, when known. */
  sha256: z.string().max(64).nullable(),
  /** Scale, -2..2 in the UI; -100..100 accepted. */
  scale: z.number().min(-100).max(100),
});

export const conversationPatchSchema = z
  .object({
    /** Title (1-200 characters). */
    title: z.string().min(1).max(200),
    /** Catalog model id; null clears it. */
    modelId: id.nullable(),
    /** Adapter set used for the next generations. */
    adapterSet: z.array(adapterUseSchema).max(16),
    /** Preset id; null = the default sampling config. */
    presetId: id.nullable(),
    /** System prompt (up to 100k characters). */
    systemPrompt: z.string().max(100_000),
    pinned: z.boolean(),
    tags: z.array(z.string().min(1).max(50)).max(50),
  })
  .partial()
  .strict();

export const searchInputSchema = z.object({
  /** Words to find (FTS5; punctuation is treated as text, never as query syntax). */
  query: z.string().min(1).max(500),
  filters: z
    .object({
      conversationId: id.optional(),
      roles: z.array(z.enum(["system", "user", "assistant"])).max(3).optional(),
      /** Model sha256 or file name. */
      model: z.string().max(4096).optional(),
      /** Adapter sha256, file or catalog id. */
      adapter: z.string().max(4096).optional(),
      /** From (ms since epoch, inclusive). */
      from: z.number().optional(),
      /** To (ms since epoch, exclusive). */
      to: z.number().optional(),
    })
    .strict()
    .default({}),
  /** Page size 1-500. Default 20. */
  limit: z.number().int().min(1).max(500).default(20),
  offset: z.number().int().min(0).default(0),
});

export const historyApi = {
  /** Pinned first, then most recently updated. */
  listConversations: unary(
    z.object({
      limit: z.number().int().min(1).max(1000).default(200),
      offset: z.number().int().min(0).default(0),
      tag: z.string().max(50).optional(),
    }),
  ).returns<ConversationSummary[]>(),
  /** A new empty conversation; the model defaults to the most recently used one. */
  createConversation: unary(
    z
      .object({
        title: z.string().min(1).max(200).optional(),
        modelId: id.nullable().optional(),
        systemPrompt: z.string().max(100_000).optional(),
        presetId: id.nullable().optional(),
        adapterSet: z.array(adapterUseSchema).max(16).optional(),
      })
      .strict(),
  ).returns<Conversation>(),
  getConversation: unary(z.object({ id })).returns<Conversation>(),
  updateConversation: unary(z.object({ id, patch: conversationPatchSchema })).returns<Conversation>(),
  deleteConversation: unary(z.object({ id })).returns<{ deleted: boolean }>(),
  /** The branch on screen (or the one ending at leafId), with sibling positions for the switchers. */
  getPath: unary(z.object({ conversationId: id, leafId: id.optional() })).returns<ConversationPath>(),
  /** Shows the branch through messageId and makes it current. */
  switchBranch: unary(z.object({ messageId: id })).returns<ConversationPath>(),
  /** Deletes a message and everything below it. */
  deleteMessage: unary(z.object({ messageId: id })).returns<{ deleted: boolean }>(),
  search: unary(searchInputSchema).returns<SearchHit[]>(),
  /** One conversation as Markdown (current branch) or JSON (whole tree, provenance). */
  exportConversation: unary(z.object({ id, format: z.enum(["markdown", "json"]) })).returns<{ text: string; fileName: string }>(),
  /** Everything as one JSON document. */
  exportHistory: unary(z.object({})).returns<{ text: string; fileName: string }>(),
  /** Adds an exported history; all or nothing; faults name the line and field. */
  importHistory: unary(z.object({ text: z.string().min(1).max(512 * 1024 * 1024) })).returns<ImportSummary>(),
};
