// Zod schemas of the export formats: a whole history ("lathe-history") and one
// conversation ("lathe-conversation"), both with full provenance. db/exportImport.ts
// writes documents of these shapes and validates imports with them; key order here is
// the order fields are written, so an export, import and re-export give identical bytes.
import { z } from "zod";
import { messageRoles, messageStatuses, type JsonObject } from "./types.ts";

/** Version of the export formats; bumped when a field changes meaning or is removed. */
export const EXPORT_FORMAT_VERSION = 1;

const id = z.string().min(1).max(200);
const time = z.number().int().nonnegative();
const count = z.number().int().nonnegative();
const sha = z.string().min(1).max(200).nullable();

/** An opaque JSON object (sampling config, metadata, template body); typed as core's JsonObject. */
export const jsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), z.json());

export const adapterUseSchema = z.strictObject({
  adapterId: id.nullable(),
  file: z.string().min(1),
  sha256: sha,
  scale: z.number(),
});

export const provenanceSchema = z.strictObject({
  modelFile: z.string().min(1),
  modelSha256: sha,
  modelMetadata: jsonObjectSchema,
  adapters: z.array(adapterUseSchema),
  sampling: jsonObjectSchema,
  seed: z.number().int().nullable(),
  chatTemplate: z.string().nullable(),
  latheVersion: z.string(),
  nodeLlamaCppVersion: z.string().nullable(),
  llamaCppVersion: z.string().nullable(),
  promptTokens: count.nullable(),
  completionTokens: count.nullable(),
  ttftMs: z.number().nonnegative().nullable(),
  tokensPerSecond: z.number().nonnegative().nullable(),
  startedAt: time.nullable(),
  finishedAt: time.nullable(),
});

/** A message in an export: parents come before their children. */
export const messageExportSchema = z.strictObject({
  id,
  parentId: id.nullable(),
  role: z.enum(messageRoles),
  content: z.string(),
  status: z.enum(messageStatuses),
  error: z.string().nullable(),
  createdAt: time,
  updatedAt: time,
  /** The child last viewed below this message (restores branches); null when none. */
  activeChildId: id.nullable(),
  provenance: provenanceSchema.nullable(),
});

export const conversationExportSchema = z.strictObject({
  id,
  title: z.string(),
  modelId: id.nullable(),
  modelFile: z.string().nullable(),
  adapterSet: z.array(adapterUseSchema),
  presetId: id.nullable(),
  systemPrompt: z.string(),
  currentLeafId: id.nullable(),
  pinned: z.boolean(),
  tags: z.array(z.string()),
  createdAt: time,
  updatedAt: time,
  messages: z.array(messageExportSchema),
});

export const modelRecordSchema = z.strictObject({
  id,
  filePath: z.string().min(1),
  name: z.string(),
  sha256: sha,
  sizeBytes: count,
  metadata: jsonObjectSchema,
  addedAt: time,
});

export const adapterRecordSchema = z.strictObject({
  id,
  filePath: z.string().min(1),
  name: z.string(),
  sha256: sha,
  metadata: jsonObjectSchema,
  tags: z.array(z.string()),
  notes: z.string(),
  addedAt: time,
});

export const presetSchema = z.strictObject({
  id,
  name: z.string().min(1),
  config: jsonObjectSchema,
  builtin: z.boolean(),
  createdAt: time,
  updatedAt: time,
});

export const promptTemplateSchema = z.strictObject({
  id,
  name: z.string().min(1),
  body: jsonObjectSchema,
  createdAt: time,
  updatedAt: time,
});

/** The whole history and catalog in one file. */
export const historyExportSchema = z.strictObject({
  format: z.literal("lathe-history"),
  version: z.literal(EXPORT_FORMAT_VERSION),
  models: z.array(modelRecordSchema),
  adapters: z.array(adapterRecordSchema),
  presets: z.array(presetSchema),
  templates: z.array(promptTemplateSchema),
  conversations: z.array(conversationExportSchema),
});

/** One conversation (whole tree, with provenance). */
export const conversationFileSchema = z.strictObject({
  format: z.literal("lathe-conversation"),
  version: z.literal(EXPORT_FORMAT_VERSION),
  conversation: conversationExportSchema,
});

export type MessageExport = z.infer<typeof messageExportSchema>;
export type ConversationExport = z.infer<typeof conversationExportSchema>;
export type HistoryExport = z.infer<typeof historyExportSchema>;
export type ConversationFile = z.infer<typeof conversationFileSchema>;

/** Serialises an export document the one way Lathe writes them (2-space indent, final newline). */
export function stringifyExport(doc: HistoryExport | ConversationFile): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
