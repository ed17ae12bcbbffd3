// Exports a run as JSON (run, metric table, every item with its inputs and results) or CSV
// (one row per item). Pure; the evaluation service returns the text and the CLI writes it.
import type { EvalItem, Run, RunItemResult } from "./types.ts";

/** The JSON document of a run (what `lathe eval --out` writes too). */
export interface RunExport {
  run: Run;
  /** Metric name → headline score, for scripts. */
  scores: Record<string, number>;
  items: (RunItemResult & { input: string; references: string[]; choices: string[] | null; gold: number | null })[];
}

/** The JSON export as an object. */
export function runExport(run: Run, items: readonly EvalItem[], results: readonly RunItemResult[]): RunExport {
  return {
    run,
    scores: Object.fromEntries(run.metrics.map((m) => [m.name, m.score])),
    items: [...results]
      .sort((a, b) => a.index - b.index)
      .map((r) => {
        const it = items[r.index];
        return { ...r, input: it?.input ?? "", references: it?.references ?? [], choices: it?.choices ?? null, gold: it?.gold ?? null };
      }),
  };
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV with one row per item: index, input, references, prediction or choice scores, judges, error. */
export function runCsv(run: Run, items: readonly EvalItem[], results: readonly RunItemResult[]): string {
  const doc = runExport(run, items, results);
  const judgeNames = run.suite.judges.map((j) => j.name);
  const header = ["index", "input", "references", "prediction", "logLikelihoods", "gold", "sumLogprob", "tokens", ...judgeNames.map((n) => `${n}_verdict`), "error", "ms"];
  const rows = doc.items.map((r) => [
    r.index,
    r.input,
    r.references,
    r.prediction,
    r.logLikelihoods,
    r.gold,
    r.perplexity?.sumLogprob ?? null,
    r.tokens,
    ...judgeNames.map((_, k) => r.judges[k]?.verdict ?? null),
    r.error,
    r.ms,
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
