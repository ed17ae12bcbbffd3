// Schema 30: constitutional critique and preference data. Constitutions with immutable
// versions (runs point at the version they used), prompt sets, batches, critique runs
// with their steps (each generation's provenance as JSON), comparisons of responses,
// human rankings and human/AI preferences. No existing rows change.
import type { Db } from "../sql.ts";

export default function up(db: Db): void {
  db.exec(`
    CREATE TABLE constitutions (
      id TEXT PRIMARY KEY,
      builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
      archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
      latest_version INTEGER NOT NULL CHECK (latest_version >= 1),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE constitution_versions (
      constitution_id TEXT NOT NULL REFERENCES constitutions(id) ON DELETE CASCADE,
      version INTEGER NOT NULL CHECK (version >= 1),
      name TEXT NOT NULL,
      description TEXT NOT NULL DEFAULT '',
      principles TEXT NOT NULL CHECK (json_valid(principles)),
      created_at INTEGER NOT NULL,
      PRIMARY KEY (constitution_id, version)
    ) STRICT;

    CREATE TABLE critique_prompt_sets (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      prompts TEXT NOT NULL CHECK (json_valid(prompts)),
      builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX critique_prompt_sets_by_name ON critique_prompt_sets(name);

    CREATE TABLE critique_batches (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      prompt_set_id TEXT REFERENCES critique_prompt_sets(id) ON DELETE SET NULL,
      prompts TEXT NOT NULL CHECK (json_valid(prompts)),
      settings TEXT NOT NULL CHECK (json_valid(settings)),
      status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'complete')),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX critique_batches_by_created ON critique_batches(created_at);

    CREATE TABLE critique_runs (
      id TEXT PRIMARY KEY,
      batch_id TEXT REFERENCES critique_batches(id) ON DELETE CASCADE,
      batch_index INTEGER,
      prompt TEXT NOT NULL,
      system_prompt TEXT NOT NULL DEFAULT '',
      constitution_id TEXT NOT NULL,
      constitution_version INTEGER NOT NULL,
      model_id TEXT REFERENCES models(id) ON DELETE SET NULL,
      model_file TEXT NOT NULL,
      settings TEXT NOT NULL CHECK (json_valid(settings)),
      status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'stopped', 'error', 'interrupted')),
      stop_reason TEXT CHECK (stop_reason IN ('rounds', 'noIssues')),
      final TEXT,
      error TEXT,
      created_at INTEGER NOT NULL,
      finished_at INTEGER,
      FOREIGN KEY (constitution_id, constitution_version) REFERENCES constitution_versions(constitution_id, version)
    ) STRICT;
    CREATE INDEX critique_runs_by_batch ON critique_runs(batch_id, batch_index);
    CREATE INDEX critique_runs_by_constitution ON critique_runs(constitution_id, constitution_version);
    CREATE INDEX critique_runs_by_created ON critique_runs(created_at);
    CREATE INDEX critique_runs_by_status ON critique_runs(status);

    CREATE TABLE critique_steps (
      run_id TEXT NOT NULL REFERENCES critique_runs(id) ON DELETE CASCADE,
      idx INTEGER NOT NULL CHECK (idx >= 0),
      kind TEXT NOT NULL CHECK (kind IN ('initial', 'round')),
      principle_ids TEXT NOT NULL CHECK (json_valid(principle_ids)),
      critique TEXT,
      critique_provenance TEXT CHECK (critique_provenance IS NULL OR json_valid(critique_provenance)),
      no_issues INTEGER NOT NULL DEFAULT 0 CHECK (no_issues IN (0, 1)),
      text TEXT NOT NULL,
      provenance TEXT CHECK (provenance IS NULL OR json_valid(provenance)),
      created_at INTEGER NOT NULL,
      PRIMARY KEY (run_id, idx)
    ) STRICT;

    CREATE TABLE feedback_comparisons (
      id TEXT PRIMARY KEY,
      prompt TEXT NOT NULL,
      system_prompt TEXT NOT NULL DEFAULT '',
      source TEXT NOT NULL CHECK (source IN ('generated', 'critique', 'manual')),
      run_id TEXT REFERENCES critique_runs(id) ON DELETE SET NULL,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX feedback_comparisons_by_created ON feedback_comparisons(created_at);
    CREATE INDEX feedback_comparisons_by_run ON feedback_comparisons(run_id);

    CREATE TABLE feedback_responses (
      comparison_id TEXT NOT NULL REFERENCES feedback_comparisons(id) ON DELETE CASCADE,
      idx INTEGER NOT NULL CHECK (idx >= 0),
      text TEXT NOT NULL,
      label TEXT NOT NULL DEFAULT '',
      provenance TEXT CHECK (provenance IS NULL OR json_valid(provenance)),
      created_at INTEGER NOT NULL,
      PRIMARY KEY (comparison_id, idx)
    ) STRICT;

    CREATE TABLE feedback_rankings (
      id TEXT PRIMARY KEY,
      comparison_id TEXT NOT NULL REFERENCES feedback_comparisons(id) ON DELETE CASCADE,
      annotator TEXT NOT NULL,
      guideline TEXT NOT NULL DEFAULT '',
      tiers TEXT NOT NULL CHECK (json_valid(tiers)),
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX feedback_rankings_by_comparison_annotator ON feedback_rankings(comparison_id, annotator);

    -- A pair a < b of one comparison's responses. Human rows come from a ranking and
    -- always have a winner (ties make no row); AI rows keep both judged orders and have
    -- a winner only when the two orders agreed.
    CREATE TABLE feedback_preferences (
      id TEXT PRIMARY KEY,
      comparison_id TEXT NOT NULL REFERENCES feedback_comparisons(id) ON DELETE CASCADE,
      a_idx INTEGER NOT NULL,
      b_idx INTEGER NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('human', 'ai')),
      winner TEXT CHECK (winner IN ('a', 'b')),
      annotator TEXT,
      guideline TEXT,
      ranking_id TEXT REFERENCES feedback_rankings(id) ON DELETE CASCADE,
      constitution_id TEXT,
      constitution_version INTEGER,
      principle_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(principle_ids)),
      agreement INTEGER CHECK (agreement IN (0, 1)),
      judge TEXT CHECK (judge IS NULL OR json_valid(judge)),
      created_at INTEGER NOT NULL,
      CHECK (a_idx < b_idx),
      CHECK (source = 'ai' OR (winner IS NOT NULL AND annotator IS NOT NULL)),
      FOREIGN KEY (comparison_id, a_idx) REFERENCES feedback_responses(comparison_id, idx) ON DELETE CASCADE,
      FOREIGN KEY (comparison_id, b_idx) REFERENCES feedback_responses(comparison_id, idx) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX feedback_preferences_by_comparison ON feedback_preferences(comparison_id, a_idx, b_idx);
    CREATE INDEX feedback_preferences_by_source ON feedback_preferences(source, annotator);
    CREATE INDEX feedback_preferences_by_ranking ON feedback_preferences(ranking_id);
  `);
}
