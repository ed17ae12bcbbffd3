// `lathe eval`: runs an evaluation suite headless with the same service the UI uses (a
// private `lathe serve` on loopback and the typed API client), so the numbers it writes are
// the ones the UI run stores. Progress goes to stderr; the run (metrics and every item) to
// --out as JSON. Exit 0 when the run completes without item errors, 1 otherwise, 2 on bad usage.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { contract, createApiClient, webSocketChannel, type ApiClient, type LatheContract, type WebSocketLike } from "../core/api/index.ts";
import type { EvalRunPacket, RunInput } from "../core/api/evaluation.ts";
import { runExport, type RunExport } from "../core/evaluation/exportRun.ts";
import { evalItemSchema, taskTypeSchema, type Suite, type SuiteInput, type TaskType } from "../core/evaluation/types.ts";
import { startLathe, type RunningLathe } from "./app.ts";

export const evalUsage = `Usage: lathe eval (--suite NAME|FILE | --dataset FILE) --model NAME|FILE [options]

  --suite NAME|FILE     a stored suite (name or id), or a suite JSON file
                        ({name, task, prompt?, metrics?, items: [...] | dataset: "file"})
  --dataset FILE        a JSONL/CSV dataset; makes (or updates) the suite "cli: FILE"
  --task T              task for --dataset: generation (default), multiple_choice, perplexity
  --metric NAME         metric for --dataset (repeatable; default per task)
  --accept-rejected     import the good rows of a dataset that has bad rows
  --model NAME|FILE     a catalog model (name, id or file name) or a .gguf path
  --adapter FILE[:S]    adapter file (or catalog name) with optional scale (repeatable)
  --preset NAME         sampling preset (name or id) overriding the suite's sampling
  --max-tokens N        tokens per generation
  --limit N             only the first N items
  --label TEXT          label of the run
  --data DIR            data folder (default: LATHE_HOME or the OS app-data folder)
  --out FILE            write the run as JSON (alias --json)
  --quiet               no progress on stderr`;

const DEFAULT_METRICS: Record<TaskType, string[]> = {
  generation: ["exact_match", "chrf"],
  multiple_choice: ["acc", "acc_norm"],
  perplexity: ["perplexity"],
};

class UsageError extends Error {}

/** Splits "path:scale" (the scale is the text after the last colon when it is a number). */
export function parseAdapterArg(arg: string): { ref: string; scale: number } {
  const m = /^(.*):(-?\d+(?:\.\d+)?)$/.exec(arg);
  return m ? { ref: m[1]!, scale: Number(m[2]) } : { ref: arg, scale: 1 };
}

async function connect(lathe: RunningLathe): Promise<{ api: ApiClient<LatheContract>; close(): void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${lathe.http.port}/api?token=${lathe.http.token}`);
  await new Promise<void>((ok, fail) => {
    ws.once("open", () => ok());
    ws.once("error", fail);
  });
  const api = createApiClient(contract, webSocketChannel(ws as unknown as WebSocketLike));
  return { api, close: () => api.$close() };
}

async function resolveModel(api: ApiClient<LatheContract>, ref: string): Promise<string> {
  const { models } = await api.models.list({});
  const hit = models.find((m) => m.id === ref || m.name === ref || basename(m.filePath) === ref || m.filePath === resolve(ref));
  if (hit) return hit.id;
  if (existsSync(ref)) return (await api.models.add({ path: resolve(ref) })).id;
  throw new UsageError(`No model "${ref}" in the catalog and no such file. Known: ${models.map((m) => m.name).join(", ") || "none"}.`);
}

async function resolveSuite(api: ApiClient<LatheContract>, values: Record<string, unknown>): Promise<Suite> {
  const suites = await api.evaluation.listSuites({});
  const saveNamed = async (input: SuiteInput) => {
    const same = suites.find((s) => s.name === input.name);
    return api.evaluation.saveSuite({ ...input, ...(same ? { id: same.id } : {}) });
  };
  const importFile = async (text: string, fileName: string) => {
    const out = await api.evaluation.importDataset({ text, fileName, acceptRejected: values["accept-rejected"] === true });
    if (out.rejected) process.stderr.write(`Imported ${out.dataset.itemCount} items; ${out.rejected} row problem(s) skipped.\n`);
    return out.dataset;
  };
  const suiteRef = values.suite as string | undefined;
  if (suiteRef) {
    const stored = suites.find((s) => s.id === suiteRef || s.name === suiteRef);
    if (stored) return stored;
    if (!existsSync(suiteRef)) throw new UsageError(`No suite "${suiteRef}" and no such file. Suites: ${suites.map((s) => s.name).join(", ")}.`);
    const file = JSON.parse(readFileSync(suiteRef, "utf8")) as SuiteInput & { items?: unknown[]; dataset?: string };
    const { items, dataset, ...rest } = file;
    let datasetId: string;
    if (items) {
      const lines = items.map((i) => JSON.stringify(evalItemSchema.parse(i)));
      datasetId = (await importFile(lines.join("\n"), `${basename(suiteRef)}.jsonl`)).id;
    } else if (dataset) {
      const path = resolve(suiteRef, "..", dataset);
      datasetId = (await importFile(readFileSync(path, "utf8"), basename(path))).id;
    } else throw new UsageError(`${suiteRef}: a suite file needs "items" or "dataset".`);
    return saveNamed({ ...rest, name: rest.name ?? basename(suiteRef), datasetId });
  }
  const datasetPath = values.dataset as string | undefined;
  if (!datasetPath) throw new UsageError("Give --suite or --dataset.");
  const task = taskTypeSchema.safeParse(values.task ?? "generation");
  if (!task.success) throw new UsageError(`--task must be generation, multiple_choice or perplexity.`);
  const dataset = await importFile(readFileSync(datasetPath, "utf8"), basename(datasetPath));
  const metrics = ((values.metric as string[] | undefined) ?? DEFAULT_METRICS[task.data]).map((name) => ({ name }));
  return saveNamed({ name: `cli: ${basename(datasetPath)}`, datasetId: dataset.id, task: task.data, metrics });
}

function fmtEta(ms: number | null): string {
  if (ms === null) return "";
  const s = Math.round(ms / 1000);
  return ` (about ${s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`} left)`;
}

/** Runs `lathe eval`; returns the exit code. */
export async function evalMain(argv: string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        suite: { type: "string" },
        dataset: { type: "string" },
        task: { type: "string" },
        metric: { type: "string", multiple: true },
        "accept-rejected": { type: "boolean" },
        model: { type: "string" },
        adapter: { type: "string", multiple: true },
        preset: { type: "string" },
        "max-tokens": { type: "string" },
        limit: { type: "string" },
        label: { type: "string" },
        data: { type: "string" },
        out: { type: "string" },
        json: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${evalUsage}`);
    return 2;
  }
  if (values.help) {
    console.log(evalUsage);
    return 0;
  }
  if (!values.model || (!values.suite && !values.dataset)) {
    console.error(evalUsage);
    return 2;
  }
  const numberOpt = (name: string): number | undefined => {
    const v = values[name] as string | undefined;
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number, not "${v}".`);
    return n;
  };
  const quiet = values.quiet === true;
  const outPath = (values.out ?? values.json) as string | undefined;
  const lathe = await startLathe({ staticDir: null, port: 0, ...(values.data ? { dataDir: values.data as string } : {}) });
  const client = await connect(lathe);
  const { api } = client;
  try {
    const maxTokens = numberOpt("max-tokens");
    const limit = numberOpt("limit");
    const suite = await resolveSuite(api, values);
    const modelId = await resolveModel(api, values.model as string);
    const catalogAdapters = (await api.adapters.list({})).adapters;
    const adapters: RunInput["adapters"] = ((values.adapter as string[] | undefined) ?? []).map((arg) => {
      const { ref, scale } = parseAdapterArg(arg);
      if (existsSync(ref)) return { path: resolve(ref), scale };
      const hit = catalogAdapters.find((a) => a.id === ref || a.name === ref);
      if (!hit) throw new UsageError(`No adapter file or catalog adapter "${ref}".`);
      return { adapterId: hit.id, scale };
    });
    let sampling: Record<string, unknown> | undefined;
    if (values.preset) {
      const preset = (await api.presets.list({})).find((p) => p.id === values.preset || p.name === values.preset);
      if (!preset) throw new UsageError(`No preset "${values.preset as string}".`);
      sampling = { ...preset.config };
    }
    if (maxTokens) sampling = { ...(sampling ?? {}), maxTokens };
    let last: EvalRunPacket | null = null;
    for await (const p of api.evaluation.run({
      suiteId: suite.id,
      modelId,
      adapters,
      ...(sampling ? { sampling } : {}),
      ...(limit ? { limit } : {}),
      label: (values.label as string | undefined) ?? "cli",
    })) {
      last = p;
      if (!quiet && p.type === "progress") process.stderr.write(`${suite.name}: ${p.label}${fmtEta(p.etaMs)}\n`);
      if (p.type === "item" && p.result.error) process.stderr.write(`item ${p.result.index}: ${p.result.error}\n`);
    }
    if (last?.type !== "done") throw new Error("The run ended without a result.");
    const detail = await api.evaluation.getRun({ id: last.run.id });
    const doc: RunExport = runExport(detail.run, Object.values(detail.items).length ? toArray(detail.items) : [], detail.results);
    if (outPath) writeFileSync(outPath, JSON.stringify(doc, null, 2));
    for (const m of detail.run.metrics) process.stderr.write(`${m.name}: ${m.score}\n`);
    const failed = detail.results.filter((r) => r.error).length;
    if (failed) process.stderr.write(`${failed} item(s) failed.\n`);
    return detail.run.status === "complete" && failed === 0 ? 0 : 1;
  } catch (err) {
    console.error(err instanceof UsageError ? `${err.message}\n${evalUsage}` : (err as Error).message);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    client.close();
    await lathe.close();
  }
}

function toArray<T>(byIndex: Record<number, T>): T[] {
  const out: T[] = [];
  for (const [k, v] of Object.entries(byIndex)) out[Number(k)] = v;
  return out;
}
