// Schema 10: the catalog (models, adapters, presets, prompt templates), conversations,
// messages as a tree, and per-message provenance. Released migrations never change;
// alter the schema in a new file (see docs/db.md "Adding a migration").
import type { Db } from "../sql.ts";

export default function up(db: Db): void {
  db.exec(`
    CREATE TABLE models (
      id          TEXT PRIMARY KEY,
      file_path   TEXT NOT NULL,
      name        TEXT NOT NULL,
      sha256      TEXT,
      size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
      metadata    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
      added_at    INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX models_by_file_path ON models(file_path);
    CREATE INDEX models_by_sha256 ON models(sha256);

    CREATE TABLE adapters (
      id          TEXT PRIMARY KEY,
      file_path   TEXT NOT NULL,
      name        TEXT NOT NULL,
      sha256      TEXT,
      metadata    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
      tags        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
      notes       TEXT NOT NULL DEFAULT '',
      added_at    INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX adapters_by_file_path ON adapters(file_path);
    CREATE INDEX adapters_by_sha256 ON adapters(sha256);

    CREATE TABLE presets (
      id          TEXT PRIMARY KEY,
      name        TEXT NOT NULL,
      config      TEXT NOT NULL CHECK (json_valid(config)),
      builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX presets_by_name ON presets(name);

    CREATE TABLE prompt_templates (
      id          TEXT PRIMARY KEY,
      name        TEXT NOT NULL,
      body        TEXT NOT NULL CHECK (json_valid(body)),
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX prompt_templates_by_name ON prompt_templates(name);

    CREATE TABLE conversations (
      id               TEXT PRIMARY KEY,
      title            TEXT NOT NULL,
      model_id         TEXT REFERENCES models(id) ON DELETE SET NULL,
      model_file       TEXT,
      adapter_set      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(adapter_set)),
      preset_id        TEXT REFERENCES presets(id) ON DELETE SET NULL,
      system_prompt    TEXT NOT NULL DEFAULT '',
      current_leaf_id  TEXT REFERENCES messages(id) ON DELETE SET NULL,
      pinned           INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
      tags             TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
      created_at       INTEGER NOT NULL,
      updated_at       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX conversations_by_recent ON conversations(pinned DESC, updated_at DESC);
    CREATE INDEX conversations_by_model ON conversations(model_id);
    CREATE INDEX conversations_by_preset ON conversations(preset_id);
    CREATE INDEX conversations_by_current_leaf ON conversations(current_leaf_id);

    -- seq is the rowid (stable across VACUUM, used by full-text search); id is the public key.
    CREATE TABLE messages (
      seq              INTEGER PRIMARY KEY,
      id               TEXT NOT NULL,
      conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      parent_id        TEXT REFERENCES messages(id) ON DELETE CASCADE,
      active_child_id  TEXT REFERENCES messages(id) ON DELETE SET NULL,
      role             TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
      content          TEXT NOT NULL,
      status           TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'stopped', 'interrupted', 'error')),
      error            TEXT,
      created_at       INTEGER NOT NULL,
      updated_at       INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX messages_by_id ON messages(id);
    CREATE INDEX messages_by_conversation ON messages(conversation_id, seq);
    CREATE INDEX messages_by_parent ON messages(parent_id);
    CREATE INDEX messages_by_active_child ON messages(active_child_id);
    CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';

    -- A parent must belong to the same conversation: branches never cross conversations.
    CREATE TRIGGER messages_parent_same_conversation
    BEFORE INSERT ON messages
    WHEN new.parent_id IS NOT NULL
      AND (SELECT conversation_id FROM messages WHERE id = new.parent_id) IS NOT new.conversation_id
    BEGIN
      SELECT RAISE(ABORT, 'parent message belongs to another conversation');
    END;

    CREATE TABLE provenance (
      message_id              TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
      model_file              TEXT NOT NULL,
      model_sha256            TEXT,
      model_metadata          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(model_metadata)),
      adapters                TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(adapters)),
      sampling                TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(sampling)),
      seed                    INTEGER,
      chat_template           TEXT,
      lathe_version           TEXT NOT NULL,
      node_llama_cpp_version  TEXT,
      llama_cpp_version       TEXT,
      prompt_tokens           INTEGER,
      completion_tokens       INTEGER,
      ttft_ms                 REAL,
      tokens_per_second       REAL,
      started_at              INTEGER,
      finished_at             INTEGER
    ) STRICT;
    CREATE INDEX provenance_by_model_sha256 ON provenance(model_sha256);
    CREATE INDEX provenance_by_model_file ON provenance(model_file);
  `);
}
