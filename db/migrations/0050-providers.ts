// Schema 50: remote OpenAI-compatible providers (llama-server, vLLM, Ollama, another
// Lathe). One row per endpoint with its key as given, the concurrency evaluation runs
// use, and the last connection test (models and probed capabilities). No existing rows change.
import type { Db } from "../sql.ts";

export default function up(db: Db): void {
  db.exec(`
    CREATE TABLE providers (
      id           TEXT PRIMARY KEY,
      name         TEXT NOT NULL,
      base_url     TEXT NOT NULL,
      api_key      TEXT,
      concurrency  INTEGER NOT NULL DEFAULT 1 CHECK (concurrency BETWEEN 1 AND 64),
      last_test    TEXT CHECK (last_test IS NULL OR json_valid(last_test)),
      created_at   INTEGER NOT NULL,
      updated_at   INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX providers_by_name ON providers(name);
  `);
}
