// The SQLite implementation of core/critique's CritiqueStore (schema 30): versioned
// constitutions, prompt sets, critique runs and steps, batches, comparisons, rankings
// and preferences. Query functions of the handle plus `sqliteCritiqueStore`, which wires
// them to the port; shells make one beside their SqliteStore (same handle).
import { StoreError } from "../core/history/errors.ts";
import type { Provenance } from "../core/history/types.ts";
import { contentFingerprint } from "../core/critique/constitution.ts";
import type { CritiqueStore } from "../core/critique/ports.ts";
import { rankingPairs } from "../core/critique/ranking.ts";
import type {
  BatchSettings,
  Comparison,
  ComparisonResponse,
  ComparisonSource,
  ComparisonSummary,
  Constitution,
  ConstitutionInput,
  ConstitutionSummary,
  ConstitutionVersionInfo,
  CritiqueBatch,
  CritiqueBatchStatus,
  CritiqueRun,
  CritiqueRunDetail,
  CritiqueRunEnd,
  CritiqueRunStatus,
  CritiqueSettings,
  CritiqueStep,
  CritiqueStopReason,
  JudgeRecord,
  NewComparison,
  NewCritiqueBatch,
  NewCritiqueRun,
  NewCritiqueStep,
  NewPreference,
  NewRanking,
  Preference,
  PreferenceFilter,
  Principle,
  PromptSet,
  PromptSetInput,
  PromptSetSummary,
  Ranking,
  RunFilter,
} from "../core/critique/types.ts";
import { storeRunner } from "./errors.ts";
import { fromJson, isUniqueViolation, newId, notFound, now, stmt, toFlag, toJson, type Db } from "./sql.ts";

// ---------------------------------------------------------------- rows

interface ConstitutionRow {
  id: string;
  builtin: number;
  archived: number;
  latest_version: number;
  created_at: number;
  updated_at: number;
  version: number;
  name: string;
  description: string;
  principles: string;
  version_created_at: number;
}

function hydrateConstitution(r: ConstitutionRow): Constitution {
  return {
    id: r.id,
    version: r.version,
    latestVersion: r.latest_version,
    name: r.name,
    description: r.description,
    principles: fromJson<Principle[]>(r.principles),
    builtin: r.builtin === 1,
    archived: r.archived === 1,
    createdAt: r.version_created_at,
  };
}

interface PromptSetRow {
  id: string;
  name: string;
  prompts: string;
  builtin: number;
  created_at: number;
  updated_at: number;
}

function hydratePromptSet(r: PromptSetRow): PromptSet {
  return { id: r.id, name: r.name, prompts: fromJson<string[]>(r.prompts), builtin: r.builtin === 1, createdAt: r.created_at, updatedAt: r.updated_at };
}

interface RunRow {
  id: string;
  batch_id: string | null;
  batch_index: number | null;
  prompt: string;
  system_prompt: string;
  constitution_id: string;
  constitution_version: number;
  constitution_name: string;
  model_id: string | null;
  model_file: string;
  settings: string;
  status: CritiqueRunStatus;
  stop_reason: CritiqueStopReason | null;
  final: string | null;
  error: string | null;
  created_at: number;
  finished_at: number | null;
  initial: string | null;
  rounds_run: number;
}

const RUN_SELECT = `
  SELECT r.*, v.name AS constitution_name,
    (SELECT s.text FROM critique_steps s WHERE s.run_id = r.id AND s.idx = 0) AS initial,
    (SELECT count(*) FROM critique_steps s WHERE s.run_id = r.id AND s.kind = 'round') AS rounds_run
  FROM critique_runs r
  JOIN constitution_versions v ON v.constitution_id = r.constitution_id AND v.version = r.constitution_version`;

function hydrateRun(r: RunRow): CritiqueRun {
  return {
    id: r.id,
    batchId: r.batch_id,
    batchIndex: r.batch_index,
    prompt: r.prompt,
    systemPrompt: r.system_prompt,
    constitutionId: r.constitution_id,
    constitutionVersion: r.constitution_version,
    constitutionName: r.constitution_name,
    modelId: r.model_id,
    modelFile: r.model_file,
    settings: fromJson<CritiqueSettings>(r.settings),
    status: r.status,
    stopReason: r.stop_reason,
    roundsRun: r.rounds_run,
    initial: r.initial,
    final: r.final,
    error: r.error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

interface StepRow {
  run_id: string;
  idx: number;
  kind: "initial" | "round";
  principle_ids: string;
  critique: string | null;
  critique_provenance: string | null;
  no_issues: number;
  text: string;
  provenance: string | null;
  created_at: number;
}

function hydrateStep(r: StepRow): CritiqueStep {
  return {
    runId: r.run_id,
    index: r.idx,
    kind: r.kind,
    principleIds: fromJson<string[]>(r.principle_ids),
    critique: r.critique,
    critiqueProvenance: r.critique_provenance === null ? null : fromJson<Provenance>(r.critique_provenance),
    noIssues: r.no_issues === 1,
    text: r.text,
    provenance: r.provenance === null ? null : fromJson<Provenance>(r.provenance),
    createdAt: r.created_at,
  };
}

interface BatchRow {
  id: string;
  name: string;
  prompt_set_id: string | null;
  prompts: string;
  settings: string;
  status: CritiqueBatchStatus;
  created_at: number;
  updated_at: number;
  complete: number;
  failed: number;
}

const BATCH_SELECT = `
  SELECT b.*,
    (SELECT count(DISTINCT r.batch_index) FROM critique_runs r WHERE r.batch_id = b.id AND r.status = 'complete') AS complete,
    (SELECT count(DISTINCT r.batch_index) FROM critique_runs r WHERE r.batch_id = b.id AND r.status = 'error'
       AND NOT EXISTS (SELECT 1 FROM critique_runs d WHERE d.batch_id = b.id AND d.batch_index = r.batch_index AND d.status = 'complete')) AS failed
  FROM critique_batches b`;

function hydrateBatch(r: BatchRow): CritiqueBatch {
  const prompts = fromJson<string[]>(r.prompts);
  return {
    id: r.id,
    name: r.name,
    promptSetId: r.prompt_set_id,
    prompts,
    settings: fromJson<BatchSettings>(r.settings),
    status: r.status,
    progress: { total: prompts.length, complete: r.complete, failed: r.failed },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

interface ComparisonRow {
  id: string;
  prompt: string;
  system_prompt: string;
  source: ComparisonSource;
  run_id: string | null;
  created_at: number;
}

interface ResponseRow {
  comparison_id: string;
  idx: number;
  text: string;
  label: string;
  provenance: string | null;
  created_at: number;
}

function hydrateResponse(r: ResponseRow): ComparisonResponse {
  return { index: r.idx, text: r.text, label: r.label, provenance: r.provenance === null ? null : fromJson<Provenance>(r.provenance) };
}

interface RankingRow {
  id: string;
  comparison_id: string;
  annotator: string;
  guideline: string;
  tiers: string;
  created_at: number;
}

function hydrateRanking(r: RankingRow): Ranking {
  return { id: r.id, comparisonId: r.comparison_id, annotator: r.annotator, guideline: r.guideline, tiers: fromJson<number[][]>(r.tiers), createdAt: r.created_at };
}

interface PreferenceRow {
  id: string;
  comparison_id: string;
  a_idx: number;
  b_idx: number;
  source: "human" | "ai";
  winner: "a" | "b" | null;
  annotator: string | null;
  guideline: string | null;
  ranking_id: string | null;
  constitution_id: string | null;
  constitution_version: number | null;
  principle_ids: string;
  agreement: number | null;
  judge: string | null;
  created_at: number;
  prompt: string;
  system_prompt: string;
  text_a: string;
  text_b: string;
}

const PREFERENCE_SELECT = `
  SELECT p.*, c.prompt, c.system_prompt, ra.text AS text_a, rb.text AS text_b
  FROM feedback_preferences p
  JOIN feedback_comparisons c ON c.id = p.comparison_id
  JOIN feedback_responses ra ON ra.comparison_id = p.comparison_id AND ra.idx = p.a_idx
  JOIN feedback_responses rb ON rb.comparison_id = p.comparison_id AND rb.idx = p.b_idx
  LEFT JOIN critique_runs run ON run.id = c.run_id`;

function hydratePreference(r: PreferenceRow): Preference {
  return {
    id: r.id,
    comparisonId: r.comparison_id,
    source: r.source,
    a: r.a_idx,
    b: r.b_idx,
    winner: r.winner,
    annotator: r.annotator,
    guideline: r.guideline,
    rankingId: r.ranking_id,
    constitutionId: r.constitution_id,
    constitutionVersion: r.constitution_version,
    principleIds: fromJson<string[]>(r.principle_ids),
    agreement: r.agreement === null ? null : r.agreement === 1,
    judge: r.judge === null ? null : fromJson<JudgeRecord>(r.judge),
    createdAt: r.created_at,
    prompt: r.prompt,
    systemPrompt: r.system_prompt,
    textA: r.text_a,
    textB: r.text_b,
  };
}

const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : toJson(v));

// ---------------------------------------------------------------- constitutions

const CONSTITUTION_SELECT = `
  SELECT c.*, v.version, v.name, v.description, v.principles, v.created_at AS version_created_at
  FROM constitutions c JOIN constitution_versions v ON v.constitution_id = c.id`;

export function getConstitution(db: Db, id: string, version?: number): Constitution | null {
  const row = stmt<[string, number | null], ConstitutionRow>(
    db,
    `${CONSTITUTION_SELECT} WHERE c.id = ? AND v.version = coalesce(?, c.latest_version)`,
  ).get(id, version ?? null);
  return row ? hydrateConstitution(row) : null;
}

export function listConstitutions(db: Db, includeArchived = false): ConstitutionSummary[] {
  return stmt<[number], ConstitutionRow>(
    db,
    `${CONSTITUTION_SELECT} AND v.version = c.latest_version WHERE (c.archived = 0 OR ?) ORDER BY c.builtin DESC, v.name COLLATE NOCASE, c.id`,
  )
    .all(toFlag(includeArchived))
    .map((r) => {
      const c = hydrateConstitution(r);
      return {
        id: c.id,
        name: c.name,
        description: c.description,
        version: c.version,
        principleCount: c.principles.length,
        builtin: c.builtin,
        archived: c.archived,
        updatedAt: r.updated_at,
      };
    });
}

export function listConstitutionVersions(db: Db, id: string): ConstitutionVersionInfo[] {
  return stmt<[string], { version: number; name: string; principle_count: number; runs: number; created_at: number }>(
    db,
    `SELECT v.version, v.name, json_array_length(v.principles) AS principle_count, v.created_at,
       (SELECT count(*) FROM critique_runs r WHERE r.constitution_id = v.constitution_id AND r.constitution_version = v.version) AS runs
     FROM constitution_versions v WHERE v.constitution_id = ? ORDER BY v.version DESC`,
  )
    .all(id)
    .map((r) => ({ version: r.version, name: r.name, principleCount: r.principle_count, runs: r.runs, createdAt: r.created_at }));
}

/** New constitution (version 1) or a new version when the content changed; see CritiqueStore.saveConstitution. */
export function saveConstitution(db: Db, input: ConstitutionInput): Constitution {
  return db.transaction(() => {
    const t = now();
    const builtin = input.builtin ?? false;
    const existing = input.id === undefined ? null : getConstitution(db, input.id);
    const content = { name: input.name, description: input.description, principles: input.principles };
    if (existing) {
      if (existing.builtin && !builtin) {
        throw new StoreError("conflict", `Constitution "${existing.name}" is built in; save it as a new constitution instead.`, { id: existing.id });
      }
      if (contentFingerprint(existing) === contentFingerprint(content)) {
        if (existing.archived) stmt(db, "UPDATE constitutions SET archived = 0, updated_at = ? WHERE id = ?").run(t, existing.id);
        return getConstitution(db, existing.id)!;
      }
      const version = existing.latestVersion + 1;
      stmt(db, "INSERT INTO constitution_versions (constitution_id, version, name, description, principles, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
        existing.id,
        version,
        content.name,
        content.description,
        toJson(content.principles),
        t,
      );
      stmt(db, "UPDATE constitutions SET latest_version = ?, archived = 0, builtin = ?, updated_at = ? WHERE id = ?").run(version, toFlag(builtin), t, existing.id);
      return getConstitution(db, existing.id)!;
    }
    const id = input.id ?? newId();
    stmt(db, "INSERT INTO constitutions (id, builtin, archived, latest_version, created_at, updated_at) VALUES (?, ?, 0, 1, ?, ?)").run(id, toFlag(builtin), t, t);
    stmt(db, "INSERT INTO constitution_versions (constitution_id, version, name, description, principles, created_at) VALUES (?, 1, ?, ?, ?, ?)").run(
      id,
      content.name,
      content.description,
      toJson(content.principles),
      t,
    );
    return getConstitution(db, id)!;
  })();
}

export function archiveConstitution(db: Db, id: string): boolean {
  const c = getConstitution(db, id);
  if (!c) return false;
  if (c.builtin) throw new StoreError("conflict", `Constitution "${c.name}" is built in and cannot be archived.`, { id });
  stmt(db, "UPDATE constitutions SET archived = 1, updated_at = ? WHERE id = ?").run(now(), id);
  return true;
}

// ---------------------------------------------------------------- prompt sets

export function getPromptSet(db: Db, id: string): PromptSet | null {
  const row = stmt<[string], PromptSetRow>(db, "SELECT * FROM critique_prompt_sets WHERE id = ?").get(id);
  return row ? hydratePromptSet(row) : null;
}

export function listPromptSets(db: Db): PromptSetSummary[] {
  return stmt<[], PromptSetRow & { count: number }>(
    db,
    "SELECT *, json_array_length(prompts) AS count FROM critique_prompt_sets ORDER BY builtin DESC, name COLLATE NOCASE, id",
  )
    .all()
    .map((r) => ({ id: r.id, name: r.name, count: r.count, builtin: r.builtin === 1, updatedAt: r.updated_at }));
}

export function savePromptSet(db: Db, input: PromptSetInput): PromptSet {
  return db.transaction(() => {
    const t = now();
    const builtin = input.builtin ?? false;
    const existing = input.id === undefined ? null : getPromptSet(db, input.id);
    if (existing?.builtin && !builtin) {
      throw new StoreError("conflict", `Prompt set "${existing.name}" is built in; save a copy instead.`, { id: existing.id });
    }
    const id = existing?.id ?? input.id ?? newId();
    try {
      if (existing) {
        stmt(db, "UPDATE critique_prompt_sets SET name = ?, prompts = ?, builtin = ?, updated_at = ? WHERE id = ?").run(input.name, toJson(input.prompts), toFlag(builtin), t, id);
      } else {
        stmt(db, "INSERT INTO critique_prompt_sets (id, name, prompts, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)").run(
          id,
          input.name,
          toJson(input.prompts),
          toFlag(builtin),
          t,
          t,
        );
      }
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreError("conflict", `A prompt set named "${input.name}" already exists.`, { name: input.name });
      throw err;
    }
    return getPromptSet(db, id)!;
  })();
}

export function deletePromptSet(db: Db, id: string): boolean {
  const set = getPromptSet(db, id);
  if (!set) return false;
  if (set.builtin) throw new StoreError("conflict", `Prompt set "${set.name}" is built in and cannot be deleted.`, { id });
  stmt(db, "DELETE FROM critique_prompt_sets WHERE id = ?").run(id);
  return true;
}

// ---------------------------------------------------------------- runs and steps

function runRow(db: Db, id: string): CritiqueRun | null {
  const row = stmt<[string], RunRow>(db, `${RUN_SELECT} WHERE r.id = ?`).get(id);
  return row ? hydrateRun(row) : null;
}

export function createRun(db: Db, input: NewCritiqueRun): CritiqueRun {
  const version = getConstitution(db, input.constitutionId, input.constitutionVersion);
  if (!version) throw notFound(`constitution version ${input.constitutionVersion} of`, input.constitutionId);
  const id = newId();
  stmt(
    db,
    `INSERT INTO critique_runs (id, batch_id, batch_index, prompt, system_prompt, constitution_id, constitution_version,
       model_id, model_file, settings, status, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)`,
  ).run(
    id,
    input.batchId ?? null,
    input.batchIndex ?? null,
    input.prompt,
    input.systemPrompt ?? "",
    input.constitutionId,
    input.constitutionVersion,
    input.modelId,
    input.modelFile,
    toJson(input.settings),
    now(),
  );
  return runRow(db, id)!;
}

export function addStep(db: Db, input: NewCritiqueStep): CritiqueStep {
  const run = runRow(db, input.runId);
  if (!run) throw notFound("critique run", input.runId);
  if (run.status !== "running") throw new StoreError("conflict", `Critique run ${input.runId} has ended (${run.status}); no steps can be added.`, { id: input.runId });
  try {
    stmt(
      db,
      `INSERT INTO critique_steps (run_id, idx, kind, principle_ids, critique, critique_provenance, no_issues, text, provenance, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      input.runId,
      input.index,
      input.kind,
      toJson(input.principleIds),
      input.critique,
      jsonOrNull(input.critiqueProvenance),
      toFlag(input.noIssues),
      input.text,
      jsonOrNull(input.provenance),
      now(),
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw new StoreError("conflict", `Critique run ${input.runId} already has a step ${input.index}.`, { id: input.runId });
    throw err;
  }
  return listSteps(db, input.runId).find((s) => s.index === input.index)!;
}

export function listSteps(db: Db, runId: string): CritiqueStep[] {
  return stmt<[string], StepRow>(db, "SELECT * FROM critique_steps WHERE run_id = ? ORDER BY idx").all(runId).map(hydrateStep);
}

/** Ends a running run; a run that already ended is left as it is. */
export function finishRun(db: Db, id: string, end: CritiqueRunEnd): CritiqueRun {
  return db.transaction(() => {
    const run = runRow(db, id);
    if (!run) throw notFound("critique run", id);
    if (run.status !== "running") return run;
    const last = stmt<[string], { text: string }>(db, "SELECT text FROM critique_steps WHERE run_id = ? ORDER BY idx DESC LIMIT 1").get(id);
    const final = end.final !== undefined ? end.final : end.status === "complete" ? (last?.text ?? null) : null;
    stmt(db, "UPDATE critique_runs SET status = ?, stop_reason = ?, final = ?, error = ?, finished_at = ? WHERE id = ?").run(
      end.status,
      end.stopReason ?? null,
      final,
      end.error ?? null,
      now(),
      id,
    );
    return runRow(db, id)!;
  })();
}

export function getRun(db: Db, id: string): CritiqueRunDetail | null {
  const run = runRow(db, id);
  return run ? { ...run, steps: listSteps(db, id) } : null;
}

export function listRuns(db: Db, filter: RunFilter = {}): CritiqueRun[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.batchId !== undefined) {
    where.push("r.batch_id = ?");
    args.push(filter.batchId);
  }
  if (filter.constitutionId !== undefined) {
    where.push("r.constitution_id = ?");
    args.push(filter.constitutionId);
  }
  if (filter.constitutionVersion !== undefined) {
    where.push("r.constitution_version = ?");
    args.push(filter.constitutionVersion);
  }
  if (filter.status !== undefined) {
    where.push("r.status = ?");
    args.push(filter.status);
  }
  const order = filter.batchId !== undefined ? "r.batch_index, r.created_at, r.rowid" : "r.created_at DESC, r.rowid DESC";
  const sql = `${RUN_SELECT} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ? OFFSET ?`;
  return stmt<(string | number)[], RunRow>(db, sql)
    .all(...args, filter.limit ?? 100, filter.offset ?? 0)
    .map(hydrateRun);
}

export function deleteRun(db: Db, id: string): boolean {
  return stmt(db, "DELETE FROM critique_runs WHERE id = ?").run(id).changes > 0;
}

// ---------------------------------------------------------------- batches

export function getBatch(db: Db, id: string): CritiqueBatch | null {
  const row = stmt<[string], BatchRow>(db, `${BATCH_SELECT} WHERE b.id = ?`).get(id);
  return row ? hydrateBatch(row) : null;
}

export function listBatches(db: Db): CritiqueBatch[] {
  return stmt<[], BatchRow>(db, `${BATCH_SELECT} ORDER BY b.created_at DESC, b.rowid DESC`).all().map(hydrateBatch);
}

export function createBatch(db: Db, input: NewCritiqueBatch): CritiqueBatch {
  const id = newId();
  const t = now();
  stmt(db, "INSERT INTO critique_batches (id, name, prompt_set_id, prompts, settings, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'paused', ?, ?)").run(
    id,
    input.name,
    input.promptSetId ?? null,
    toJson(input.prompts),
    toJson(input.settings),
    t,
    t,
  );
  return getBatch(db, id)!;
}

export function setBatchStatus(db: Db, id: string, status: CritiqueBatchStatus): CritiqueBatch {
  const changed = stmt(db, "UPDATE critique_batches SET status = ?, updated_at = ? WHERE id = ?").run(status, now(), id).changes;
  if (!changed) throw notFound("batch", id);
  return getBatch(db, id)!;
}

export function completedBatchIndices(db: Db, batchId: string): number[] {
  return stmt<[string], { batch_index: number }>(
    db,
    "SELECT DISTINCT batch_index FROM critique_runs WHERE batch_id = ? AND status = 'complete' ORDER BY batch_index",
  )
    .all(batchId)
    .map((r) => r.batch_index);
}

// ---------------------------------------------------------------- comparisons

export function getComparison(db: Db, id: string): Comparison | null {
  const row = stmt<[string], ComparisonRow>(db, "SELECT * FROM feedback_comparisons WHERE id = ?").get(id);
  if (!row) return null;
  const responses = stmt<[string], ResponseRow>(db, "SELECT * FROM feedback_responses WHERE comparison_id = ? ORDER BY idx").all(id).map(hydrateResponse);
  return { id: row.id, prompt: row.prompt, systemPrompt: row.system_prompt, source: row.source, runId: row.run_id, responses, createdAt: row.created_at };
}

function insertResponse(db: Db, comparisonId: string, r: Omit<ComparisonResponse, "index">): ComparisonResponse {
  const next = stmt<[string], { next: number }>(db, "SELECT coalesce(max(idx) + 1, 0) AS next FROM feedback_responses WHERE comparison_id = ?").get(comparisonId)!.next;
  stmt(db, "INSERT INTO feedback_responses (comparison_id, idx, text, label, provenance, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
    comparisonId,
    next,
    r.text,
    r.label,
    jsonOrNull(r.provenance),
    now(),
  );
  return { index: next, text: r.text, label: r.label, provenance: r.provenance };
}

export function createComparison(db: Db, input: NewComparison): Comparison {
  return db.transaction(() => {
    const id = newId();
    stmt(db, "INSERT INTO feedback_comparisons (id, prompt, system_prompt, source, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      id,
      input.prompt,
      input.systemPrompt ?? "",
      input.source,
      input.runId ?? null,
      now(),
    );
    for (const r of input.responses ?? []) insertResponse(db, id, r);
    return getComparison(db, id)!;
  })();
}

export function addComparisonResponse(db: Db, comparisonId: string, response: Omit<ComparisonResponse, "index">): ComparisonResponse {
  return db.transaction(() => {
    if (!stmt(db, "SELECT 1 FROM feedback_comparisons WHERE id = ?").get(comparisonId)) throw notFound("comparison", comparisonId);
    return insertResponse(db, comparisonId, response);
  })();
}

export function listComparisons(db: Db, options: { limit?: number; offset?: number } = {}): ComparisonSummary[] {
  return stmt<[number, number], ComparisonRow & { response_count: number; rankings: number; judgements: number }>(
    db,
    `SELECT c.*,
       (SELECT count(*) FROM feedback_responses r WHERE r.comparison_id = c.id) AS response_count,
       (SELECT count(*) FROM feedback_rankings k WHERE k.comparison_id = c.id) AS rankings,
       (SELECT count(*) FROM feedback_preferences p WHERE p.comparison_id = c.id AND p.source = 'ai') AS judgements
     FROM feedback_comparisons c ORDER BY c.created_at DESC, c.rowid DESC LIMIT ? OFFSET ?`,
  )
    .all(options.limit ?? 100, options.offset ?? 0)
    .map((r) => ({
      id: r.id,
      prompt: r.prompt,
      source: r.source,
      runId: r.run_id,
      responseCount: r.response_count,
      rankings: r.rankings,
      judgements: r.judgements,
      createdAt: r.created_at,
    }));
}

export function deleteComparison(db: Db, id: string): boolean {
  return db.transaction(() => {
    // Children first: preferences point at responses and rankings of the comparison.
    stmt(db, "DELETE FROM feedback_preferences WHERE comparison_id = ?").run(id);
    stmt(db, "DELETE FROM feedback_rankings WHERE comparison_id = ?").run(id);
    stmt(db, "DELETE FROM feedback_responses WHERE comparison_id = ?").run(id);
    return stmt(db, "DELETE FROM feedback_comparisons WHERE id = ?").run(id).changes > 0;
  })();
}

// ---------------------------------------------------------------- rankings and preferences

function preferenceById(db: Db, id: string): Preference {
  return hydratePreference(stmt<[string], PreferenceRow>(db, `${PREFERENCE_SELECT} WHERE p.id = ?`).get(id)!);
}

export function saveRanking(db: Db, input: NewRanking): { ranking: Ranking; preferences: Preference[] } {
  return db.transaction(() => {
    if (!getComparison(db, input.comparisonId)) throw notFound("comparison", input.comparisonId);
    const old = stmt<[string, string], { id: string }>(db, "SELECT id FROM feedback_rankings WHERE comparison_id = ? AND annotator = ?").get(input.comparisonId, input.annotator);
    if (old) {
      stmt(db, "DELETE FROM feedback_preferences WHERE ranking_id = ?").run(old.id);
      stmt(db, "DELETE FROM feedback_rankings WHERE id = ?").run(old.id);
    }
    const id = newId();
    const t = now();
    const guideline = input.guideline ?? "";
    stmt(db, "INSERT INTO feedback_rankings (id, comparison_id, annotator, guideline, tiers, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      id,
      input.comparisonId,
      input.annotator,
      guideline,
      toJson(input.tiers),
      t,
    );
    const preferences = rankingPairs(input.tiers).map((pair) => {
      const pid = newId();
      stmt(
        db,
        `INSERT INTO feedback_preferences (id, comparison_id, a_idx, b_idx, source, winner, annotator, guideline, ranking_id, created_at)
         VALUES (?, ?, ?, ?, 'human', ?, ?, ?, ?, ?)`,
      ).run(pid, input.comparisonId, pair.a, pair.b, pair.winner, input.annotator, guideline, id, t);
      return preferenceById(db, pid);
    });
    const ranking = hydrateRanking(stmt<[string], RankingRow>(db, "SELECT * FROM feedback_rankings WHERE id = ?").get(id)!);
    return { ranking, preferences };
  })();
}

export function listRankings(db: Db, comparisonId: string): Ranking[] {
  return stmt<[string], RankingRow>(db, "SELECT * FROM feedback_rankings WHERE comparison_id = ? ORDER BY created_at, rowid").all(comparisonId).map(hydrateRanking);
}

export function addPreference(db: Db, input: NewPreference): Preference {
  if (input.a >= input.b) throw new StoreError("invalid", `A preference pair needs a < b (got ${input.a}, ${input.b}).`);
  const id = newId();
  try {
    stmt(
      db,
      `INSERT INTO feedback_preferences (id, comparison_id, a_idx, b_idx, source, winner, annotator, guideline, ranking_id,
         constitution_id, constitution_version, principle_ids, agreement, judge, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      input.comparisonId,
      input.a,
      input.b,
      input.source,
      input.winner,
      input.annotator,
      input.guideline,
      input.rankingId,
      input.constitutionId,
      input.constitutionVersion,
      toJson(input.principleIds),
      input.agreement === null ? null : toFlag(input.agreement),
      jsonOrNull(input.judge),
      now(),
    );
  } catch (err) {
    if (String((err as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) {
      throw new StoreError("invalid", `Comparison ${input.comparisonId} has no responses ${input.a} and ${input.b}.`, { id: input.comparisonId });
    }
    throw err;
  }
  return preferenceById(db, id);
}

export function listPreferences(db: Db, filter: PreferenceFilter = {}): Preference[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.comparisonId !== undefined) {
    where.push("p.comparison_id = ?");
    args.push(filter.comparisonId);
  }
  if (filter.source !== undefined) {
    where.push("p.source = ?");
    args.push(filter.source);
  }
  if (filter.annotator !== undefined) {
    where.push("p.annotator = ?");
    args.push(filter.annotator);
  }
  if (filter.constitutionId !== undefined) {
    // AI judgements under it, and preferences on comparisons made from its critique runs.
    where.push("(p.constitution_id = ? OR run.constitution_id = ?)");
    args.push(filter.constitutionId, filter.constitutionId);
  }
  const sql = `${PREFERENCE_SELECT} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY p.created_at, p.rowid LIMIT ?`;
  return stmt<(string | number)[], PreferenceRow>(db, sql)
    .all(...args, filter.limit ?? 100_000)
    .map(hydratePreference);
}

// ---------------------------------------------------------------- the port

/**
 * Marks runs left `running` by an earlier process as `interrupted` and their batches as
 * `paused` (resumable). Safe because the caller holds the database's exclusive lock.
 */
export function recoverCritique(db: Db): { interruptedRuns: number; pausedBatches: number } {
  return db.transaction(() => ({
    interruptedRuns: stmt(db, "UPDATE critique_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'").run(now()).changes,
    pausedBatches: stmt(db, "UPDATE critique_batches SET status = 'paused', updated_at = ? WHERE status = 'running'").run(now()).changes,
  }))();
}

/**
 * The CritiqueStore on an open, migrated handle (the one the shell's SqliteStore holds).
 * Recovers runs an earlier process left running.
 */
export function sqliteCritiqueStore(db: Db, path: string): CritiqueStore {
  const run = storeRunner(db, path);
  recoverCritique(db);
  return {
    listConstitutions: (options) => run(() => listConstitutions(db, options?.includeArchived ?? false)),
    getConstitution: (id, version) => run(() => getConstitution(db, id, version)),
    listConstitutionVersions: (id) => run(() => listConstitutionVersions(db, id)),
    saveConstitution: (input) => run(() => saveConstitution(db, input)),
    archiveConstitution: (id) => run(() => archiveConstitution(db, id)),
    listPromptSets: () => run(() => listPromptSets(db)),
    getPromptSet: (id) => run(() => getPromptSet(db, id)),
    savePromptSet: (input) => run(() => savePromptSet(db, input)),
    deletePromptSet: (id) => run(() => deletePromptSet(db, id)),
    createRun: (input) => run(() => createRun(db, input)),
    addStep: (input) => run(() => addStep(db, input)),
    finishRun: (id, end) => run(() => finishRun(db, id, end)),
    getRun: (id) => run(() => getRun(db, id)),
    listRuns: (filter) => run(() => listRuns(db, filter)),
    deleteRun: (id) => run(() => deleteRun(db, id)),
    createBatch: (input) => run(() => createBatch(db, input)),
    getBatch: (id) => run(() => getBatch(db, id)),
    listBatches: () => run(() => listBatches(db)),
    setBatchStatus: (id, status) => run(() => setBatchStatus(db, id, status)),
    completedBatchIndices: (batchId) => run(() => completedBatchIndices(db, batchId)),
    createComparison: (input) => run(() => createComparison(db, input)),
    addComparisonResponse: (comparisonId, response) => run(() => addComparisonResponse(db, comparisonId, response)),
    getComparison: (id) => run(() => getComparison(db, id)),
    listComparisons: (options) => run(() => listComparisons(db, options)),
    deleteComparison: (id) => run(() => deleteComparison(db, id)),
    saveRanking: (input) => run(() => saveRanking(db, input)),
    listRankings: (comparisonId) => run(() => listRankings(db, comparisonId)),
    addPreference: (input) => run(() => addPreference(db, input)),
    listPreferences: (filter) => run(() => listPreferences(db, filter)),
  };
}
