// Domain types of what Lathe remembers: conversations as message trees, per-message
// provenance, search hits, and the catalog (presets, models, adapters, prompt templates).
// db/ returns these from its queries; core services, core/api and the renderer use them.
// Every field is JSON-safe, so the same objects cross IPC and WebSocket unchanged.

/**
 * A JSON object stored opaquely (sampling config, model metadata, template body). Values
 * must be JSON-serialisable; the store writes them with JSON.stringify.
 */
export type JsonObject = Record<string, unknown>;

/** Who wrote a message. */
export type MessageRole = "system" | "user" | "assistant";
export const messageRoles = ["system", "user", "assistant"] as const satisfies readonly MessageRole[];

/**
 * Where a message stands: `streaming` while it is generated, then `complete`, `stopped`
 * (the user stopped it), `error` (generation failed) or `interrupted` (Lathe exited or
 * crashed mid-stream; set when the database is next opened).
 */
export type MessageStatus = "complete" | "streaming" | "stopped" | "interrupted" | "error";
export const messageStatuses = [
  "complete",
  "streaming",
  "stopped",
  "interrupted",
  "error",
] as const satisfies readonly MessageStatus[];

/** One LoRA adapter applied at a scale: an entry of an adapter set. */
export interface AdapterUse {
  /** Catalog id of the adapter, or null when it was not in the catalog (or has been removed). */
  adapterId: string | null;
  /** File name (or path) of the adapter GGUF. */
  file: string;
  /** sha256 of the adapter file (hex), null when it was not hashed. */
  sha256: string | null;
  /** Scale the adapter was applied at (1 = full strength). */
  scale: number;
}

/** How a generated message was made: enough to reproduce it. */
export interface Provenance {
  /** File name of the model GGUF. */
  modelFile: string;
  /** sha256 of the model file (hex); null when it was not hashed. */
  modelSha256: string | null;
  /** Key model metadata (architecture, parameter count, quantisation, context length...). Default {}. */
  modelMetadata: JsonObject;
  /** Adapters with their files' sha256 and scales, in the order applied. Default []. */
  adapters: AdapterUse[];
  /** The full sampling config (core/sampling's SamplingConfig, stored opaquely). */
  sampling: JsonObject;
  /** The seed used; null when sampling was greedy or the seed was not fixed. */
  seed: number | null;
  /** The chat template (name or Jinja source) the prompt was rendered with; null if unknown. */
  chatTemplate: string | null;
  /** Lathe version that generated it. */
  latheVersion: string;
  /** node-llama-cpp version; null if unknown. */
  nodeLlamaCppVersion: string | null;
  /** llama.cpp release (e.g. "v0.4.0"); null if unknown. */
  llamaCppVersion: string | null;
  /** Prompt tokens evaluated; null until known. */
  promptTokens: number | null;
  /** Tokens generated; null until known. */
  completionTokens: number | null;
  /** Time to first token in ms; null until known. */
  ttftMs: number | null;
  /** Generation speed in tokens per second; null until known. */
  tokensPerSecond: number | null;
  /** When generation started (ms since epoch); null if unknown. */
  startedAt: number | null;
  /** When generation ended (ms since epoch); null while streaming. */
  finishedAt: number | null;
}

/** The parts of provenance known before generation starts (begin of a streamed message). */
export type ProvenanceStart = Omit<
  Provenance,
  "promptTokens" | "completionTokens" | "ttftMs" | "tokensPerSecond" | "finishedAt"
>;

/** The parts of provenance known when generation ends; every field optional. */
export interface ProvenanceStats {
  /** Prompt tokens evaluated. */
  promptTokens?: number | null;
  /** Tokens generated. */
  completionTokens?: number | null;
  /** Time to first token in ms. */
  ttftMs?: number | null;
  /** Generation speed in tokens per second. */
  tokensPerSecond?: number | null;
  /** When generation ended (ms since epoch). Default: now. */
  finishedAt?: number | null;
}

/** A persisted conversation (its messages are fetched separately). */
export interface Conversation {
  /** Stable id (UUID). */
  id: string;
  /** Title shown in the list. */
  title: string;
  /** Catalog id of the model chosen for this conversation; null if none or removed. */
  modelId: string | null;
  /** File name of that model, kept even when the catalog entry is removed. */
  modelFile: string | null;
  /** Adapter set chosen for this conversation. Default []. */
  adapterSet: AdapterUse[];
  /** Sampling preset chosen; null if none or removed. */
  presetId: string | null;
  /** System prompt. Default "". */
  systemPrompt: string;
  /** The leaf of the branch on screen; null for an empty conversation. */
  currentLeafId: string | null;
  /** Pinned conversations sort first. Default false. */
  pinned: boolean;
  /** Free-form tags. Default []. */
  tags: string[];
  /** Creation time (ms since epoch). */
  createdAt: number;
  /** Last change to the conversation or its messages (ms since epoch). */
  updatedAt: number;
}

/** A conversation in the list, with how many messages (all branches) it holds. */
export interface ConversationSummary extends Conversation {
  /** Messages in the conversation, all branches counted. */
  messageCount: number;
}

/** What createConversation needs; everything but the title is optional. */
export interface NewConversation {
  /** Id to use (imports, tests). Default: a new UUID. */
  id?: string;
  /** Title. Default "New conversation". */
  title?: string;
  /** Catalog model id. Default null. */
  modelId?: string | null;
  /** Model file name. Default null. */
  modelFile?: string | null;
  /** Adapter set. Default []. */
  adapterSet?: AdapterUse[];
  /** Preset id. Default null. */
  presetId?: string | null;
  /** System prompt. Default "". */
  systemPrompt?: string;
  /** Pinned. Default false. */
  pinned?: boolean;
  /** Tags. Default []. */
  tags?: string[];
}

/** Fields of a conversation that can be changed; omitted fields stay as they are. */
export type ConversationPatch = Partial<
  Pick<
    Conversation,
    "title" | "modelId" | "modelFile" | "adapterSet" | "presetId" | "systemPrompt" | "pinned" | "tags"
  >
>;

/** How to list conversations. */
export interface ListConversationsOptions {
  /** Only conversations with this tag. Default: all. */
  tag?: string;
  /** Only pinned (true) or unpinned (false) ones. Default: both. */
  pinned?: boolean;
  /** Page size. Default 100. */
  limit?: number;
  /** Rows to skip. Default 0. */
  offset?: number;
}

/** One message, a node of its conversation's tree. */
export interface Message {
  /** Stable id (UUID). */
  id: string;
  /** Conversation it belongs to. */
  conversationId: string;
  /** The message it answers or follows; null for the first message of a branch from the root. */
  parentId: string | null;
  /** Who wrote it. */
  role: MessageRole;
  /** Text (partial while streaming). */
  content: string;
  /** Where it stands (see MessageStatus). */
  status: MessageStatus;
  /** Error text when status is `error`; otherwise null. */
  error: string | null;
  /** Creation time (ms since epoch). */
  createdAt: number;
  /** Last content or status change (ms since epoch). */
  updatedAt: number;
  /** How it was generated; null for messages people wrote. */
  provenance: Provenance | null;
}

/** What addMessage needs. */
export interface NewMessage {
  /** Conversation to add to. */
  conversationId: string;
  /** Parent message (same conversation); null to start at the root. */
  parentId: string | null;
  /** Who wrote it. */
  role: MessageRole;
  /** Text. */
  content: string;
  /** Status. Default "complete". */
  status?: Exclude<MessageStatus, "streaming">;
  /** Error text for status "error". Default null. */
  error?: string | null;
  /** Provenance of a generated message. Default null. */
  provenance?: Provenance | null;
  /** Make it the conversation's current leaf. Default true. */
  select?: boolean;
}

/** One node of a branch path: the message and where it sits among its siblings ("2/3"). */
export interface MessageTreeNode {
  /** The message. */
  message: Message;
  /** Ids of the message and its siblings (same parent), oldest first. */
  siblingIds: string[];
  /** Position of the message in siblingIds (0-based). */
  siblingIndex: number;
}

/** The branch from the root to a leaf: what the chat view shows. */
export interface ConversationPath {
  /** The conversation. */
  conversationId: string;
  /** The leaf the path ends at; null for an empty conversation. */
  leafId: string | null;
  /** Root first, leaf last. */
  nodes: MessageTreeNode[];
}

/** What beginAssistantMessage needs. */
export interface BeginAssistantMessageInput {
  /** Conversation to add to. */
  conversationId: string;
  /** The message being answered (usually a user message); null at the root. */
  parentId: string | null;
  /** What is known before generation starts; null when there is none (tests, imports). */
  provenance: ProvenanceStart | null;
  /** Minimum ms between database writes of the growing text. Default 250. */
  throttleMs?: number;
}

/** How a streamed message ends. */
export interface FinishMessageOptions {
  /** Token counts, timings and end time to record in the provenance. */
  stats?: ProvenanceStats;
  /** Final text replacing what was streamed (e.g. trimmed). Default: the streamed text. */
  content?: string;
}

/** A piece of a search snippet; `match` pieces are the highlighted query terms. */
export interface SnippetPart {
  /** Text of this piece. */
  text: string;
  /** True when this piece matched the query. */
  match: boolean;
}

/** Search filters; all optional, combined with AND. */
export interface SearchFilters {
  /** Only this conversation. */
  conversationId?: string;
  /** Only these roles. Default: all. */
  roles?: MessageRole[];
  /**
   * Only messages generated by this model (provenance sha256 or file name), plus the
   * messages people wrote in conversations set to it (conversation model id or file).
   */
  model?: string;
  /**
   * Only messages generated with this adapter (sha256, file or catalog id) in their set,
   * plus the messages people wrote in conversations whose adapter set has it.
   */
  adapter?: string;
  /** Created at or after this time (ms since epoch, inclusive). */
  from?: number;
  /** Created before this time (ms since epoch, exclusive). */
  to?: number;
}

/** How much to return from a search. */
export interface SearchOptions {
  /** Page size (1-500). Default 20. */
  limit?: number;
  /** Hits to skip. Default 0. */
  offset?: number;
}

/** One search result, best first. */
export interface SearchHit {
  /** Matching message. */
  messageId: string;
  /** Its conversation. */
  conversationId: string;
  /** The conversation's title. */
  conversationTitle: string;
  /** Role of the message. */
  role: MessageRole;
  /** Status of the message. */
  status: MessageStatus;
  /** When the message was created (ms since epoch). */
  createdAt: number;
  /** Model file from the provenance; null for messages people wrote. */
  modelFile: string | null;
  /** Excerpt around the matches, matches marked (see SnippetPart). */
  snippet: SnippetPart[];
  /** bm25 relevance; lower is better (SQLite's sign convention). */
  score: number;
}

/** A saved sampling configuration. */
export interface Preset {
  /** Stable id. */
  id: string;
  /** Unique name. */
  name: string;
  /** The sampling config (core/sampling's SamplingConfig, stored opaquely). */
  config: JsonObject;
  /** Shipped with Lathe (cannot be deleted). */
  builtin: boolean;
  /** Creation time (ms since epoch). */
  createdAt: number;
  /** Last change (ms since epoch). */
  updatedAt: number;
}

/** What savePreset needs: insert, or update when the id exists. */
export interface PresetInput {
  /** Id of the preset to update, or of the new one. Default: a new UUID. */
  id?: string;
  /** Unique name. */
  name: string;
  /** Sampling config. */
  config: JsonObject;
  /** Shipped with Lathe. Default false. */
  builtin?: boolean;
}

/** A model file in the catalog. */
export interface ModelRecord {
  /** Stable id. */
  id: string;
  /** Absolute path of the GGUF file (unique). */
  filePath: string;
  /** Display name. */
  name: string;
  /** sha256 of the file (hex); null until hashed. */
  sha256: string | null;
  /** File size in bytes. */
  sizeBytes: number;
  /** GGUF metadata worth keeping (architecture, parameters, quantisation...). */
  metadata: JsonObject;
  /** When it was added (ms since epoch). */
  addedAt: number;
}

/** What upsertModel needs; a model with the same filePath is updated in place. */
export interface ModelInput {
  /** Absolute path of the GGUF file. */
  filePath: string;
  /** Display name. */
  name: string;
  /** sha256 (hex). Default null. */
  sha256?: string | null;
  /** File size in bytes. */
  sizeBytes: number;
  /** Metadata. Default {}. */
  metadata?: JsonObject;
}

/** A LoRA adapter file in the catalog. */
export interface AdapterRecord {
  /** Stable id. */
  id: string;
  /** Absolute path of the adapter GGUF (unique). */
  filePath: string;
  /** Display name. */
  name: string;
  /** sha256 of the file (hex); null until hashed. */
  sha256: string | null;
  /** Adapter metadata (base model, rank, alpha...). */
  metadata: JsonObject;
  /** Free-form tags. */
  tags: string[];
  /** Notes people wrote about it. */
  notes: string;
  /** When it was added (ms since epoch). */
  addedAt: number;
}

/** What upsertAdapter needs; an adapter with the same filePath is updated in place. */
export interface AdapterInput {
  /** Absolute path of the adapter GGUF. */
  filePath: string;
  /** Display name. */
  name: string;
  /** sha256 (hex). Default null. */
  sha256?: string | null;
  /** Metadata. Default {}. */
  metadata?: JsonObject;
  /** Tags. Default [] (kept as they are on update when omitted). */
  tags?: string[];
  /** Notes. Default "" (kept as they are on update when omitted). */
  notes?: string;
}

/** A saved prompt template. */
export interface PromptTemplate {
  /** Stable id. */
  id: string;
  /** Unique name. */
  name: string;
  /** Template body (structure defined by the prompt-template feature, stored opaquely). */
  body: JsonObject;
  /** Creation time (ms since epoch). */
  createdAt: number;
  /** Last change (ms since epoch). */
  updatedAt: number;
}

/** What saveTemplate needs: insert, or update when the id exists. */
export interface TemplateInput {
  /** Id of the template to update, or of the new one. Default: a new UUID. */
  id?: string;
  /** Unique name. */
  name: string;
  /** Body. */
  body: JsonObject;
}

/** What an import added. */
export interface ImportSummary {
  /** Conversations added. */
  conversations: number;
  /** Messages added. */
  messages: number;
  /** Models added. */
  models: number;
  /** Adapters added. */
  adapters: number;
  /** Presets added. */
  presets: number;
  /** Prompt templates added. */
  templates: number;
  /** Catalog rows already present with identical content, left as they were. */
  unchanged: number;
}
