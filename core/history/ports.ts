// The store ports core services are written against: conversation history (message
// trees, streaming writes, search, export/import) and the catalog (presets, models,
// adapters, prompt templates). db/SqliteStore implements them on SQLite; tests and the
// API layer may implement them in memory. Every method rejects with a StoreError.
import type {
  AdapterInput,
  AdapterRecord,
  BeginAssistantMessageInput,
  Conversation,
  ConversationPatch,
  ConversationPath,
  ConversationSummary,
  FinishMessageOptions,
  ImportSummary,
  ListConversationsOptions,
  Message,
  ModelInput,
  ModelRecord,
  NewConversation,
  NewMessage,
  Preset,
  PresetInput,
  PromptTemplate,
  SearchFilters,
  SearchHit,
  SearchOptions,
  TemplateInput,
} from "./types.ts";

/**
 * A message being generated. append() is cheap and synchronous (it buffers); the store
 * writes the growing text at most every `throttleMs` so a crash loses little. Exactly
 * one of finish/stop/fail ends it; after that append and the enders throw `closed`.
 */
export interface StreamingMessageWriter {
  /** Id of the message being written. */
  readonly messageId: string;
  /** All text appended so far, written or not. */
  readonly content: string;
  /** Adds text; written to the database within throttleMs. */
  append(text: string): void;
  /** Writes buffered text now. */
  flush(): Promise<void>;
  /** Ends with status `complete`. */
  finish(options?: FinishMessageOptions): Promise<Message>;
  /** Ends with status `stopped` (the user stopped generation); keeps the text so far. */
  stop(options?: FinishMessageOptions): Promise<Message>;
  /** Ends with status `error` and the error text; keeps the text so far. */
  fail(error: string, options?: FinishMessageOptions): Promise<Message>;
}

/** Export formats of one conversation. */
export type ConversationExportFormat = "markdown" | "json";

/** Conversations and their message trees. */
export interface HistoryStore {
  createConversation(input?: NewConversation): Promise<Conversation>;
  /** The conversation, or null. */
  getConversation(id: string): Promise<Conversation | null>;
  /** Pinned first, then most recently updated. */
  listConversations(options?: ListConversationsOptions): Promise<ConversationSummary[]>;
  updateConversation(id: string, patch: ConversationPatch): Promise<Conversation>;
  /** Removes the conversation and all its messages; false when it did not exist. */
  deleteConversation(id: string): Promise<boolean>;

  /** Adds a message under parentId (becomes the current leaf unless select is false). */
  addMessage(input: NewMessage): Promise<Message>;
  /** The message, or null. */
  getMessage(id: string): Promise<Message | null>;
  /** Every message of the conversation (all branches), oldest first. */
  listMessages(conversationId: string): Promise<Message[]>;
  /**
   * Editing: adds a sibling of the message with the new content (same parent and role)
   * and makes it the current leaf; the original branch stays reachable.
   */
  editMessage(id: string, content: string): Promise<Message>;
  /** Replaces a message's content in place (no branch); for corrections of finished text. */
  setMessageContent(id: string, content: string): Promise<Message>;
  /** Deletes the message and everything below it; moves the current leaf if it was inside. */
  deleteMessage(id: string): Promise<boolean>;
  /** The branch from the root to leafId (default: the current leaf), with sibling positions. */
  getPath(conversationId: string, leafId?: string): Promise<ConversationPath>;
  /**
   * Shows the branch through messageId: descends to the leaf last viewed below it (or
   * the newest one), makes that the current leaf and returns the path.
   */
  switchBranch(messageId: string): Promise<ConversationPath>;

  /**
   * Starts a streamed assistant message under parentId (regenerating = a new one under
   * the same parent, which makes a sibling). It becomes the current leaf.
   */
  beginAssistantMessage(input: BeginAssistantMessageInput): Promise<StreamingMessageWriter>;

  /** Full-text search over message content, best (bm25) first. */
  search(query: string, filters?: SearchFilters, options?: SearchOptions): Promise<SearchHit[]>;

  /** One conversation: Markdown (the current branch) or JSON (the whole tree with provenance). */
  exportConversation(id: string, format: ConversationExportFormat): Promise<string>;
  /** Everything (history and catalog) as one JSON document. */
  exportHistory(): Promise<string>;
  /** Adds an exported history; all or nothing. Faults name the line and field. */
  importHistory(text: string): Promise<ImportSummary>;
}

/** Saved sampling configurations. */
export interface PresetStore {
  /** Builtin first, then by name. */
  listPresets(): Promise<Preset[]>;
  getPreset(id: string): Promise<Preset | null>;
  /** Inserts or updates (by id); names are unique. */
  savePreset(input: PresetInput): Promise<Preset>;
  /** Removes a user preset; builtin presets throw `conflict`. False when it did not exist. */
  deletePreset(id: string): Promise<boolean>;
}

/** The model catalog. */
export interface ModelStore {
  /** By name. */
  listModels(): Promise<ModelRecord[]>;
  getModel(id: string): Promise<ModelRecord | null>;
  getModelByPath(filePath: string): Promise<ModelRecord | null>;
  /** Inserts, or updates the entry with the same filePath (keeping its id and addedAt). */
  upsertModel(input: ModelInput): Promise<ModelRecord>;
  /** Removes the entry (conversations keep the file name); false when it did not exist. */
  removeModel(id: string): Promise<boolean>;
}

/** The LoRA adapter catalog. */
export interface AdapterStore {
  /** By name. */
  listAdapters(): Promise<AdapterRecord[]>;
  getAdapter(id: string): Promise<AdapterRecord | null>;
  /** Inserts, or updates the entry with the same filePath (keeping its id and addedAt). */
  upsertAdapter(input: AdapterInput): Promise<AdapterRecord>;
  /** Changes name, tags or notes. */
  updateAdapter(
    id: string,
    patch: Partial<Pick<AdapterRecord, "name" | "tags" | "notes">>,
  ): Promise<AdapterRecord>;
  removeAdapter(id: string): Promise<boolean>;
}

/** Saved prompt templates. */
export interface TemplateStore {
  /** By name. */
  listTemplates(): Promise<PromptTemplate[]>;
  getTemplate(id: string): Promise<PromptTemplate | null>;
  /** Inserts or updates (by id); names are unique. */
  saveTemplate(input: TemplateInput): Promise<PromptTemplate>;
  deleteTemplate(id: string): Promise<boolean>;
}

/** Every store a shell composes services from. */
export interface LatheStores {
  history: HistoryStore;
  presets: PresetStore;
  models: ModelStore;
  adapters: AdapterStore;
  templates: TemplateStore;
}
