// The store port of constitutional critique and preference data: constitutions with
// versions, prompt sets, critique runs and steps, batches, comparisons, rankings and
// preferences. db/critique.ts implements it on SQLite; the critique and feedback
// services are written against it. Every method rejects with a StoreError.
import type {
  Comparison,
  ComparisonResponse,
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
  CritiqueStep,
  NewComparison,
  NewCritiqueBatch,
  NewCritiqueRun,
  NewCritiqueStep,
  NewPreference,
  NewRanking,
  Preference,
  PreferenceFilter,
  PromptSet,
  PromptSetInput,
  PromptSetSummary,
  Ranking,
  RunFilter,
} from "./types.ts";

export interface CritiqueStore {
  /** Newest version of each constitution, builtin first, then by name; archived ones only when asked. */
  listConstitutions(options?: { includeArchived?: boolean }): Promise<ConstitutionSummary[]>;
  /** A version (default the newest), or null. */
  getConstitution(id: string, version?: number): Promise<Constitution | null>;
  /** Every version, newest first; [] for an unknown id. */
  listConstitutionVersions(id: string): Promise<ConstitutionVersionInfo[]>;
  /**
   * Creates a constitution (version 1), or adds a version when the content differs from
   * the newest one (same content: returns the newest version unchanged). A builtin
   * constitution only changes through a builtin save (`conflict` otherwise). Saving
   * unarchives.
   */
  saveConstitution(input: ConstitutionInput): Promise<Constitution>;
  /** Hides a constitution from lists (its versions stay, runs refer to them); builtin: `conflict`. False when unknown. */
  archiveConstitution(id: string): Promise<boolean>;

  /** Builtin first, then by name. */
  listPromptSets(): Promise<PromptSetSummary[]>;
  getPromptSet(id: string): Promise<PromptSet | null>;
  /** Inserts or updates by id; names are unique (`conflict`). Builtin sets change only through a builtin save. */
  savePromptSet(input: PromptSetInput): Promise<PromptSet>;
  /** Builtin sets: `conflict`. False when unknown. */
  deletePromptSet(id: string): Promise<boolean>;

  /** Starts a run (status running). */
  createRun(input: NewCritiqueRun): Promise<CritiqueRun>;
  /** Stores a finished step of a running run; the run's initial text and rounds follow it. */
  addStep(input: NewCritiqueStep): Promise<CritiqueStep>;
  /** Ends a run. */
  finishRun(id: string, end: CritiqueRunEnd): Promise<CritiqueRun>;
  /** A run with its steps, or null. */
  getRun(id: string): Promise<CritiqueRunDetail | null>;
  /** Newest first (batch runs: by batch index). */
  listRuns(filter?: RunFilter): Promise<CritiqueRun[]>;
  /** Deletes a run and its steps; false when unknown. */
  deleteRun(id: string): Promise<boolean>;

  createBatch(input: NewCritiqueBatch): Promise<CritiqueBatch>;
  getBatch(id: string): Promise<CritiqueBatch | null>;
  /** Newest first. */
  listBatches(): Promise<CritiqueBatch[]>;
  setBatchStatus(id: string, status: CritiqueBatchStatus): Promise<CritiqueBatch>;
  /** Batch indices that already have a complete run (resume skips them). */
  completedBatchIndices(batchId: string): Promise<number[]>;

  /** Creates a comparison with the responses known so far. */
  createComparison(input: NewComparison): Promise<Comparison>;
  /** Appends a response (index = the next one). */
  addComparisonResponse(comparisonId: string, response: Omit<ComparisonResponse, "index">): Promise<ComparisonResponse>;
  getComparison(id: string): Promise<Comparison | null>;
  /** Newest first. */
  listComparisons(options?: { limit?: number; offset?: number }): Promise<ComparisonSummary[]>;
  /** Deletes it with its rankings and preferences; false when unknown. */
  deleteComparison(id: string): Promise<boolean>;

  /**
   * Saves a ranking and its pairwise preferences in one transaction, replacing the
   * annotator's earlier ranking of the same comparison (and its preferences).
   */
  saveRanking(input: NewRanking): Promise<{ ranking: Ranking; preferences: Preference[] }>;
  /** Rankings of a comparison, oldest first. */
  listRankings(comparisonId: string): Promise<Ranking[]>;
  /** Stores an AI preference. */
  addPreference(input: NewPreference): Promise<Preference>;
  /** Oldest first. */
  listPreferences(filter?: PreferenceFilter): Promise<Preference[]>;
}
