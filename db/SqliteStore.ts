// The SQLite implementation of core's store ports: wires the query functions of db/ to
// HistoryStore, PresetStore, ModelStore, AdapterStore and TemplateStore, turning SQLite
// errors into StoreErrors. Made by openStore; both shells hold one per process.
import type {
  AdapterStore,
  HistoryStore,
  LatheStores,
  ModelStore,
  PresetStore,
  TemplateStore,
} from "../core/history/ports.ts";
import * as adapters from "./adapters.ts";
import * as conversations from "./conversations.ts";
import * as exportImport from "./exportImport.ts";
import * as messages from "./messages.ts";
import * as models from "./models.ts";
import { storeRunner } from "./errors.ts";
import type { OpenReport } from "./openStore.ts";
import * as presets from "./presets.ts";
import * as search from "./search.ts";
import type { Db } from "./sql.ts";
import { beginAssistantMessage, interruptOpenWriters } from "./StreamingWriter.ts";
import * as templates from "./templates.ts";

export class SqliteStore implements LatheStores {
  /** The raw handle, for db/ query functions, benchmarks and tests. */
  readonly db: Db;
  /** What opening found and did (path, migration, backup, interrupted messages). */
  readonly report: OpenReport;
  readonly history: HistoryStore;
  readonly presets: PresetStore;
  readonly models: ModelStore;
  readonly adapters: AdapterStore;
  readonly templates: TemplateStore;

  constructor(db: Db, report: OpenReport) {
    this.db = db;
    this.report = report;
    const run = storeRunner(db, report.path);
    this.history = {
      createConversation: (input) => run(() => conversations.createConversation(db, input)),
      getConversation: (id) => run(() => conversations.getConversation(db, id)),
      listConversations: (options) => run(() => conversations.listConversations(db, options)),
      updateConversation: (id, patch) => run(() => conversations.updateConversation(db, id, patch)),
      deleteConversation: (id) => run(() => conversations.deleteConversation(db, id)),
      addMessage: (input) => run(() => messages.addMessage(db, input)),
      getMessage: (id) => run(() => messages.getMessage(db, id)),
      listMessages: (conversationId) => run(() => messages.listMessages(db, conversationId)),
      editMessage: (id, content) => run(() => messages.editMessage(db, id, content)),
      setMessageContent: (id, content) => run(() => messages.setMessageContent(db, id, content)),
      deleteMessage: (id) => run(() => messages.deleteMessage(db, id)),
      getPath: (conversationId, leafId) => run(() => messages.getPath(db, conversationId, leafId)),
      switchBranch: (messageId) => run(() => messages.switchBranch(db, messageId)),
      beginAssistantMessage: (input) => run(() => beginAssistantMessage(db, input)),
      search: (query, filters, options) => run(() => search.searchMessages(db, query, filters, options)),
      exportConversation: (id, format) =>
        run(() =>
          format === "markdown"
            ? exportImport.exportConversationMarkdown(db, id)
            : exportImport.exportConversationJson(db, id),
        ),
      exportHistory: () => run(() => exportImport.exportHistory(db)),
      importHistory: (text) => run(() => exportImport.importHistory(db, text)),
    };
    this.presets = {
      listPresets: () => run(() => presets.listPresets(db)),
      getPreset: (id) => run(() => presets.getPreset(db, id)),
      savePreset: (input) => run(() => presets.savePreset(db, input)),
      deletePreset: (id) => run(() => presets.deletePreset(db, id)),
    };
    this.models = {
      listModels: () => run(() => models.listModels(db)),
      getModel: (id) => run(() => models.getModel(db, id)),
      getModelByPath: (filePath) => run(() => models.getModelByPath(db, filePath)),
      upsertModel: (input) => run(() => models.upsertModel(db, input)),
      removeModel: (id) => run(() => models.removeModel(db, id)),
    };
    this.adapters = {
      listAdapters: () => run(() => adapters.listAdapters(db)),
      getAdapter: (id) => run(() => adapters.getAdapter(db, id)),
      upsertAdapter: (input) => run(() => adapters.upsertAdapter(db, input)),
      updateAdapter: (id, patch) => run(() => adapters.updateAdapter(db, id, patch)),
      removeAdapter: (id) => run(() => adapters.removeAdapter(db, id)),
    };
    this.templates = {
      listTemplates: () => run(() => templates.listTemplates(db)),
      getTemplate: (id) => run(() => templates.getTemplate(db, id)),
      saveTemplate: (input) => run(() => templates.saveTemplate(db, input)),
      deleteTemplate: (id) => run(() => templates.deleteTemplate(db, id)),
    };
  }

  /** The database file. */
  get path(): string {
    return this.report.path;
  }

  /**
   * Saves what streaming writers still hold (marking those messages `interrupted`),
   * checkpoints the WAL and releases the lock. Safe to call twice.
   */
  close(): void {
    if (!this.db.open) return;
    interruptOpenWriters(this.db);
    this.db.close();
  }
}
