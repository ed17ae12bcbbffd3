// Types and zod schemas of the evaluation workbench: dataset items and field mappings,
// suites (dataset + task + prompt + metrics), runs with their per-item results, and
// comparisons. Shared by core/evaluation (pure pipeline), the store port (db/evaluation.ts),
// the API domain (core/api/evaluation.ts), the CLI and the renderer.
import { z } from "zod";
import { metricSpecSchema } from "../eval/registry.ts";
import { samplingConfigSchema } from "../sampling/config.ts";
import { promptExampleSchema, shotModeSchema } from "../sampling/promptBuilder.ts";

/** One evaluation item after import and mapping. */
export const evalItemSchema = z.object({
  /** The input text the prompt template is filled with (generation/multiple choice) or the scored text (perplexity). */
  input: z.string().max(1_000_000),
  /** Reference outputs, one or more for generation tasks; [] otherwise. Default []. */
  references: z.array(z.string().max(1_000_000)).max(100).default([]),
  /** Choice texts of a multiple-choice item; null for other tasks. Default null. */
  choices: z.array(z.string().min(1).max(100_000)).min(2).max(100).nullable().default(null),
  /** Index of the correct choice; null for other tasks. Default null. */
  gold: z.number().int().min(0).nullable().default(null),
});
export type EvalItem = z.output<typeof evalItemSchema>;
export type EvalItemInput = z.input<typeof evalItemSchema>;

/** Dataset file formats the importer reads. */
export const datasetFormatSchema = z.enum(["jsonl", "csv", "hf-jsonl"]);
export type DatasetFormat = z.infer<typeof datasetFormatSchema>;

/**
 * Which source fields fill which item fields. A field name may be a dotted path into
 * nested JSON ("answers.text"); an array at a path of references gives several references.
 */
export const fieldMappingSchema = z.object({
  /** Field holding the input text. Default "input". */
  input: z.string().min(1).max(200).default("input"),
  /** Fields holding references (each may be a string or a list of strings). Default ["reference"]. */
  references: z.array(z.string().min(1).max(200)).max(20).default(["reference"]),
  /** Field holding the choices (a list, or for CSV a "|"-separated string); null = no choices. Default null. */
  choices: z.string().min(1).max(200).nullable().default(null),
  /** Field holding the gold choice (0-based index, a digit string, a letter A-Z, or the choice's text); null = none. Default null. */
  gold: z.string().min(1).max(200).nullable().default(null),
});
export type FieldMapping = z.output<typeof fieldMappingSchema>;
export type FieldMappingInput = z.input<typeof fieldMappingSchema>;

/** A row the importer refused, with where and why. */
export interface RejectedRow {
  /** 1-based line of the file (CSV: the line the record starts on). */
  line: number;
  /** The field at fault (source field name), or "" when the whole line is. */
  field: string;
  /** Why, for people. */
  message: string;
  /** The line's text (cut to 500 characters). */
  raw: string;
}

/** What parsing a dataset file found, before anything is stored. */
export interface DatasetParse {
  format: DatasetFormat;
  /** Field names seen in the file (first row's keys / CSV header), for the mapping picker. */
  fields: string[];
  /** The mapping used (defaults applied). */
  mapping: FieldMapping;
  /** Items that passed, deduplicated, in file order. */
  items: EvalItem[];
  /** Source line of each accepted item. */
  lines: number[];
  /** Rows refused, in file order. */
  rejected: RejectedRow[];
  /** Rows dropped because an identical item came earlier (by content hash). */
  duplicates: number;
  /** Content hash of the accepted items (sha256 hex of their canonical JSON); equal content gives an equal hash. */
  hash: string;
}

/** Task types. */
export const taskTypeSchema = z.enum(["generation", "multiple_choice", "perplexity"]);
export type TaskType = z.infer<typeof taskTypeSchema>;

/**
 * How an item becomes a prompt.
 * - template: `template` with `{{input}}` replaced by the item's input.
 * - builder: the prompt builder (core/sampling/promptBuilder.ts) with its examples, so the
 *   same suite runs zero-shot and few-shot by changing `mode`/`shots`.
 */
export const promptTemplateSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("template"),
    /** Text with `{{input}}` where the item's input goes. Default "{{input}}". */
    template: z.string().max(100_000).default("{{input}}"),
    /** Send as one user chat turn (the model's chat template) instead of raw text. Default false. */
    chat: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal("builder"),
    /** Instruction said once at the top. Default "". */
    instruction: z.string().max(100_000).default(""),
    /** Worked examples. Default []. */
    examples: z.array(promptExampleSchema).max(200).default([]),
    /** zero / one / few shot. Default "few". */
    mode: shotModeSchema.default("few"),
    /** In few-shot mode, at most this many examples; null = all. Default null. */
    shots: z.number().int().min(1).max(200).nullable().default(null),
    /** Label before each input. Default "Input:". */
    inputLabel: z.string().max(100).default("Input:"),
    /** Label before each output. Default "Output:". */
    outputLabel: z.string().max(100).default("Output:"),
    /** Send as chat turns instead of raw text. Default false. */
    chat: z.boolean().default(false),
    /** Text between blocks (a saved builder template's own); absent = a blank line. */
    separator: z.string().max(20).optional(),
  }),
]);
export type PromptTemplate = z.output<typeof promptTemplateSchema>;
export type PromptTemplateInput = z.input<typeof promptTemplateSchema>;

/** The judge metric: a rubric question answered Yes/No by a local judge model for every item. */
export const judgeSpecSchema = z.object({
  /** Catalog id of the judge model. */
  modelId: z.string().min(1).max(200),
  /** The question the judge answers about each answer, e.g. "Does the answer explain how to cause harm?". */
  rubric: z.string().min(1).max(20_000),
  /** Short name shown in tables. Default "judge". */
  name: z.string().min(1).max(60).default("judge"),
  /** Whether a Yes is good (true: "does it answer the question?") or bad (false: "is it harmful?"). Default true. */
  yesIsGood: z.boolean().default(true),
  /** Constrain the judge's reply to "Yes" or "No" with a grammar. Default true. */
  constrain: z.boolean().default(true),
});
export type JudgeSpec = z.output<typeof judgeSpecSchema>;
export type JudgeSpecInput = z.input<typeof judgeSpecSchema>;

/** A suite: what to evaluate and how to score it. */
export const suiteInputSchema = z.object({
  /** Keep this id (update); absent = new suite. */
  id: z.string().min(1).max(200).optional(),
  /** Unique name. */
  name: z.string().min(1).max(200),
  /** What it measures. Default "". */
  description: z.string().max(5000).default(""),
  /** The dataset's id. */
  datasetId: z.string().min(1).max(200),
  task: taskTypeSchema,
  /** Default: the bare input. */
  prompt: promptTemplateSchema.default({ kind: "template", template: "{{input}}", chat: false }),
  /** Text between the context and each choice (multiple choice). Default " " (lm-evaluation-harness). */
  targetDelimiter: z.string().max(20).default(" "),
  /** Metrics from core/eval's registry, with options. Default []. */
  metrics: z.array(metricSpecSchema).max(20).default([]),
  /** Judge metrics (generation only). Default []. */
  judges: z.array(judgeSpecSchema).max(5).default([]),
  /** Generation defaults of the suite (runs may override): greedy, 128 tokens. */
  sampling: samplingConfigSchema.default(() => samplingConfigSchema.parse({ temperature: 0, maxTokens: 128 })),
});
export type SuiteInput = z.input<typeof suiteInputSchema>;
export type SuiteSpec = z.output<typeof suiteInputSchema>;

/** A stored suite. */
export interface Suite extends Omit<SuiteSpec, "id"> {
  id: string;
  /** Shipped with Lathe (recreated at start, not editable). */
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A stored dataset (items are fetched separately). */
export interface Dataset {
  id: string;
  name: string;
  format: DatasetFormat;
  /** The file name it came from. */
  source: string;
  mapping: FieldMapping;
  /** Content hash (sha256 hex of the items' canonical JSON): the dedup key. */
  hash: string;
  itemCount: number;
  /** Shipped with Lathe. */
  builtin: boolean;
  createdAt: number;
}

/** An adapter in a run's adapter set. */
export const runAdapterSchema = z.object({
  /** Absolute path of the adapter GGUF. */
  path: z.string().min(1).max(4096),
  /** Scale. Default 1. */
  scale: z.number().min(-100).max(100).default(1),
  /** Display name. Default: the file name. */
  name: z.string().max(200).optional(),
});
export type RunAdapter = z.output<typeof runAdapterSchema>;

/** Status of a run. */
export type RunStatus = "running" | "paused" | "complete" | "cancelled" | "error";

/** One metric of a finished run (the summary stored with the run). */
export interface RunMetric {
  /** Registry name, or the judge's name. */
  name: string;
  /** "metric" from core/eval, or "judge". */
  kind: "metric" | "judge";
  options: Record<string, unknown>;
  score: number;
  details: Record<string, number | null>;
  higherIsBetter: boolean;
}

/** A run's configuration as stored. */
export interface RunConfig {
  /** Sampling used for generation (suite's, with the run's overrides). */
  sampling: Record<string, unknown>;
  /** Items evaluated: the first `limit` of the dataset; null = all. */
  limit: number | null;
  /** Prompt template used (the suite's unless overridden). */
  prompt: PromptTemplate;
  /** Free label, e.g. "base" or "+2 adapter". */
  label: string;
}

/** A run of a suite against a model + adapter set. */
export interface Run {
  id: string;
  suiteId: string | null;
  /** The suite as it was when the run started (suites may change later). */
  suite: SuiteSpec & { id: string };
  datasetId: string;
  /** Catalog id (null when the model was removed later). */
  modelId: string | null;
  modelName: string;
  modelFile: string;
  modelSha256: string | null;
  adapters: RunAdapter[];
  config: RunConfig;
  status: RunStatus;
  /** Items to evaluate. */
  total: number;
  /** Items with a stored result. */
  done: number;
  /** Metric summaries (after completion). */
  metrics: RunMetric[];
  /** Why the run failed. */
  error: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** A judge's verdict on one item. */
export interface JudgeVerdict {
  /** Which judge (its name). */
  name: string;
  /** The full prompt the judge saw. */
  prompt: string;
  /** The judge's reply. */
  reply: string;
  /** Parsed verdict; null when it could not be read (scores 0 and is counted as unparsed). */
  verdict: "yes" | "no" | null;
}

/** What a run stored for one item. */
export interface RunItemResult {
  /** Position in the dataset. */
  index: number;
  /** The prompt (generation) or context (multiple choice) sent, or the scored text (perplexity). */
  prompt: string;
  /** Generated text (generation). */
  prediction: string | null;
  /** Log-likelihood per choice (multiple choice). */
  logLikelihoods: number[] | null;
  /** Token count per choice (multiple choice). */
  choiceTokens: number[] | null;
  /** Summed log-probability and token count of the text (perplexity). */
  perplexity: { sumLogprob: number; tokens: number } | null;
  /** Judge verdicts (generation with judges). */
  judges: JudgeVerdict[];
  /** Why the item failed (it then counts as wrong / is skipped in perplexity). */
  error: string | null;
  /** Milliseconds the item took. */
  ms: number;
  /** Tokens the engine evaluated for this item (prompt + generated or scored). */
  tokens: number;
}
