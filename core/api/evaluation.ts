// The `evaluation` domain: metrics, dataset import (preview with rejected rows named by
// line and field, then an import the user consents to), suites (builtin and user), runs
// streamed item by item with progress, ETA, cancel (abort the stream) and resume, per-item
// results, comparisons of two runs with bootstrap intervals, and CSV/JSON export.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { MetricInfo } from "../eval/registry.ts";
import type { MetricComparison } from "../evaluation/scoring.ts";
import {
  datasetFormatSchema,
  fieldMappingSchema,
  promptTemplateSchema,
  suiteInputSchema,
  type Dataset,
  type DatasetFormat,
  type EvalItem,
  type FieldMapping,
  type RejectedRow,
  type Run,
  type RunItemResult,
  type Suite,
} from "../evaluation/types.ts";

const id = z.string().min(1).max(200);

/** A dataset file as sent by the renderer or CLI. */
export const datasetFileSchema = z.object({
  /** The file's text (up to 50 MB). */
  text: z.string().max(50_000_000),
  /** File name, for format detection and the dataset's source. Default "dataset.jsonl". */
  fileName: z.string().min(1).max(500).default("dataset.jsonl"),
  /** Format; default detected from the name and content. */
  format: datasetFormatSchema.optional(),
  /** Field mapping; missing fields are guessed from the field names. */
  mapping: fieldMappingSchema.partial().optional(),
});

/** What a preview shows before anything is stored. */
export interface DatasetPreview {
  format: DatasetFormat;
  /** Field names seen, for the mapping picker. */
  fields: string[];
  /** The mapping used. */
  mapping: FieldMapping;
  /** Items that would be imported. */
  accepted: number;
  /** The first accepted items with their source lines. */
  sample: { line: number; item: EvalItem }[];
  /** Every refused row (line, field, reason), up to 1000. */
  rejected: RejectedRow[];
  /** Total refused problems (may exceed the list). */
  rejectedCount: number;
  /** Duplicate items dropped. */
  duplicates: number;
  /** Content hash. */
  hash: string;
  /** The stored dataset with the same content, when there is one (importing reuses it). */
  existing: Dataset | null;
}

/** Input of `run`. */
export const runInputSchema = z.object({
  suiteId: id,
  /** Catalog id of the model. */
  modelId: id,
  /** Adapter set: catalog adapter ids or file paths, with scales. Default []. */
  adapters: z
    .array(
      z.object({
        /** Catalog adapter id (or use `path`). */
        adapterId: id.optional(),
        /** Absolute adapter file path (or use `adapterId`). */
        path: z.string().min(1).max(4096).optional(),
        /** Scale. Default 1. */
        scale: z.number().min(-100).max(100).default(1),
      }),
    )
    .max(16)
    .default([]),
  /** Sampling fields overriding the suite's (e.g. maxTokens); checked after merging. Default none. */
  sampling: z.record(z.string(), z.unknown()).optional(),
  /** A prompt template overriding the suite's (e.g. the few-shot variant). */
  prompt: promptTemplateSchema.optional(),
  /** Evaluate only the first N items. Default all. */
  limit: z.number().int().min(1).max(1_000_000).optional(),
  /** A label for lists and comparisons. Default "" (model + adapters are shown). */
  label: z.string().max(200).default(""),
});
export type RunInput = z.input<typeof runInputSchema>;

/** Packets of a run stream: run, (loading progress), then progress/item pairs, then done. */
export type EvalRunPacket =
  /** The run was created (or resumed). */
  | { type: "run"; run: Run }
  /** Progress: items done of total, with an ETA in ms when known. */
  | { type: "progress"; done: number; total: number; etaMs: number | null; label: string }
  /** One item finished and is stored. */
  | { type: "item"; result: RunItemResult }
  /** The run ended: complete (with metrics), cancelled (resumable) or error. */
  | { type: "done"; run: Run };

/** A run with its items and the dataset items they answer. */
export interface RunDetail {
  run: Run;
  results: RunItemResult[];
  /** The dataset items of the results, by index. */
  items: Record<number, EvalItem>;
}

/** Comparison of run B against run A. */
export interface RunComparison {
  a: Run;
  b: Run;
  /** Items both runs scored. */
  sharedItems: number;
  metrics: MetricComparison[];
}

export const evaluationApi = {
  /** Every metric of the registry with its options. */
  metrics: unary(z.object({})).returns<MetricInfo[]>(),

  /** Parses a dataset file without storing it: accepted items, rejected rows, duplicates. */
  previewDataset: unary(datasetFileSchema).returns<DatasetPreview>(),
  /**
   * Stores the accepted items of a dataset file. When rows were rejected, nothing is stored
   * unless `acceptRejected` says the user saw them and wants the rest (`invalid_input` with
   * the rejected rows otherwise). Same content as a stored dataset: that one is returned.
   */
  importDataset: unary(
    datasetFileSchema.extend({
      /** Name. Default: the file name. */
      name: z.string().min(1).max(200).optional(),
      /** Import the good rows even though some were rejected. Default false. */
      acceptRejected: z.boolean().default(false),
    }),
  ).returns<{ dataset: Dataset; created: boolean; rejected: number; duplicates: number }>(),
  listDatasets: unary(z.object({})).returns<Dataset[]>(),
  /** A page of a dataset's items. */
  datasetItems: unary(
    z.object({ id, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(100) }),
  ).returns<{ dataset: Dataset; items: EvalItem[] }>(),
  deleteDataset: unary(z.object({ id })).returns<{ deleted: boolean }>(),

  listSuites: unary(z.object({})).returns<Suite[]>(),
  /** Creates or updates a suite; checks the dataset fits the task (choices, references). */
  saveSuite: unary(suiteInputSchema).returns<Suite>(),
  deleteSuite: unary(z.object({ id })).returns<{ deleted: boolean }>(),

  /** Runs a suite against a model + adapter set, storing each item as it finishes. Cancel = abort the stream. */
  run: stream(runInputSchema).yields<EvalRunPacket>(),
  /** Continues a paused, cancelled or failed run from its missing items. */
  resume: stream(z.object({ runId: id })).yields<EvalRunPacket>(),
  /** Newest first; optionally one suite's runs (for its history chart). */
  listRuns: unary(z.object({ suiteId: id.optional() })).returns<Run[]>(),
  getRun: unary(z.object({ id })).returns<RunDetail>(),
  deleteRun: unary(z.object({ id })).returns<{ deleted: boolean }>(),
  /** Run B against run A on their shared items: metric deltas with paired bootstrap intervals, wins and losses. */
  compare: unary(
    z.object({
      a: id,
      b: id,
      /** Bootstrap resamples. Default 1000. */
      samples: z.number().int().min(10).max(100_000).default(1000),
      /** Seed. Default 12345. */
      seed: z.number().int().min(0).max(0xffff_ffff).default(12345),
    }),
  ).returns<RunComparison>(),
  /** A run as CSV (one row per item) or JSON (run, scores, items). */
  exportRun: unary(z.object({ id, format: z.enum(["csv", "json"]).default("json") })).returns<{ fileName: string; text: string }>(),
};
