// Row shapes as SQLite returns them and their explicit hydration into core types
// (JSON columns parsed, 0/1 flags to booleans, snake_case to camelCase). Every query
// module reads through these, so a column's meaning is decoded in exactly one place.
import type {
  AdapterRecord,
  AdapterUse,
  Conversation,
  ConversationSummary,
  JsonObject,
  Message,
  MessageRole,
  MessageStatus,
  ModelRecord,
  Preset,
  PromptTemplate,
  Provenance,
} from "../core/history/types.ts";
import { fromJson } from "./sql.ts";

export interface ConversationRow {
  id: string;
  title: string;
  model_id: string | null;
  model_file: string | null;
  adapter_set: string;
  preset_id: string | null;
  system_prompt: string;
  current_leaf_id: string | null;
  pinned: number;
  tags: string;
  created_at: number;
  updated_at: number;
}

export function hydrateConversation(r: ConversationRow): Conversation {
  return {
    id: r.id,
    title: r.title,
    modelId: r.model_id,
    modelFile: r.model_file,
    adapterSet: fromJson<AdapterUse[]>(r.adapter_set),
    presetId: r.preset_id,
    systemPrompt: r.system_prompt,
    currentLeafId: r.current_leaf_id,
    pinned: r.pinned === 1,
    tags: fromJson<string[]>(r.tags),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function hydrateConversationSummary(
  r: ConversationRow & { message_count: number },
): ConversationSummary {
  return { ...hydrateConversation(r), messageCount: r.message_count };
}

/** Columns of a message joined with its provenance (`FROM ${MESSAGE_FROM}`). */
export const MESSAGE_COLUMNS = `
  m.id, m.conversation_id, m.parent_id, m.active_child_id, m.role, m.content, m.status, m.error,
  m.created_at, m.updated_at,
  p.message_id AS p_message_id, p.model_file AS p_model_file, p.model_sha256 AS p_model_sha256,
  p.model_metadata AS p_model_metadata, p.adapters AS p_adapters, p.sampling AS p_sampling,
  p.seed AS p_seed, p.chat_template AS p_chat_template, p.lathe_version AS p_lathe_version,
  p.node_llama_cpp_version AS p_node_llama_cpp_version, p.llama_cpp_version AS p_llama_cpp_version,
  p.prompt_tokens AS p_prompt_tokens, p.completion_tokens AS p_completion_tokens, p.ttft_ms AS p_ttft_ms,
  p.tokens_per_second AS p_tokens_per_second, p.started_at AS p_started_at, p.finished_at AS p_finished_at`;
export const MESSAGE_FROM = `messages m LEFT JOIN provenance p ON p.message_id = m.id`;

export interface MessageRow {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  active_child_id: string | null;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  created_at: number;
  updated_at: number;
  p_message_id: string | null;
  p_model_file: string | null;
  p_model_sha256: string | null;
  p_model_metadata: string | null;
  p_adapters: string | null;
  p_sampling: string | null;
  p_seed: number | null;
  p_chat_template: string | null;
  p_lathe_version: string | null;
  p_node_llama_cpp_version: string | null;
  p_llama_cpp_version: string | null;
  p_prompt_tokens: number | null;
  p_completion_tokens: number | null;
  p_ttft_ms: number | null;
  p_tokens_per_second: number | null;
  p_started_at: number | null;
  p_finished_at: number | null;
}

function hydrateProvenance(r: MessageRow): Provenance | null {
  if (r.p_message_id === null) return null;
  return {
    modelFile: r.p_model_file ?? "",
    modelSha256: r.p_model_sha256,
    modelMetadata: fromJson<JsonObject>(r.p_model_metadata ?? "{}"),
    adapters: fromJson<AdapterUse[]>(r.p_adapters ?? "[]"),
    sampling: fromJson<JsonObject>(r.p_sampling ?? "{}"),
    seed: r.p_seed,
    chatTemplate: r.p_chat_template,
    latheVersion: r.p_lathe_version ?? "",
    nodeLlamaCppVersion: r.p_node_llama_cpp_version,
    llamaCppVersion: r.p_llama_cpp_version,
    promptTokens: r.p_prompt_tokens,
    completionTokens: r.p_completion_tokens,
    ttftMs: r.p_ttft_ms,
    tokensPerSecond: r.p_tokens_per_second,
    startedAt: r.p_started_at,
    finishedAt: r.p_finished_at,
  };
}

export function hydrateMessage(r: MessageRow): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    parentId: r.parent_id,
    role: r.role,
    content: r.content,
    status: r.status,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    provenance: hydrateProvenance(r),
  };
}

export interface PresetRow {
  id: string;
  name: string;
  config: string;
  builtin: number;
  created_at: number;
  updated_at: number;
}

export function hydratePreset(r: PresetRow): Preset {
  return {
    id: r.id,
    name: r.name,
    config: fromJson<JsonObject>(r.config),
    builtin: r.builtin === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface ModelRow {
  id: string;
  file_path: string;
  name: string;
  sha256: string | null;
  size_bytes: number;
  metadata: string;
  added_at: number;
}

export function hydrateModel(r: ModelRow): ModelRecord {
  return {
    id: r.id,
    filePath: r.file_path,
    name: r.name,
    sha256: r.sha256,
    sizeBytes: r.size_bytes,
    metadata: fromJson<JsonObject>(r.metadata),
    addedAt: r.added_at,
  };
}

export interface AdapterRow {
  id: string;
  file_path: string;
  name: string;
  sha256: string | null;
  metadata: string;
  tags: string;
  notes: string;
  added_at: number;
}

export function hydrateAdapter(r: AdapterRow): AdapterRecord {
  return {
    id: r.id,
    filePath: r.file_path,
    name: r.name,
    sha256: r.sha256,
    metadata: fromJson<JsonObject>(r.metadata),
    tags: fromJson<string[]>(r.tags),
    notes: r.notes,
    addedAt: r.added_at,
  };
}

export interface TemplateRow {
  id: string;
  name: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export function hydrateTemplate(r: TemplateRow): PromptTemplate {
  return {
    id: r.id,
    name: r.name,
    body: fromJson<JsonObject>(r.body),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
