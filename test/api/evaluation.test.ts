// The evaluation domain end to end over a real WebSocket and the real engine on the demo
// models: builtin suites, a generation and a multiple-choice run of base vs the +2 adapter,
// their comparison, a judge, cancel and resume, a malformed dataset refused without consent,
// export, and `lathe eval` writing the same numbers as the API run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EvalRunPacket } from "../../core/api/evaluation.ts";
import type { Run } from "../../core/evaluation/types.ts";
import { evalMain } from "../../server/evalCli.ts";
import { collect, startTestLathe, type TestLathe } from "../helpers/lathe.ts";

let t: TestLathe;
let closed = false;
let successorId = "";
let plus2Id = "";
let plus2Path = "";
const runs: Record<string, Run> = {};

beforeAll(async () => {
  t = await startTestLathe();
  const done = (await collect(t.api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not written");
  successorId = done.models.find((m) => m.name.startsWith("Successor"))!.id;
  const plus2 = done.adapters.find((a) => a.name.startsWith("Successor +2"))!;
  plus2Id = plus2.id;
  plus2Path = plus2.filePath;
});
afterAll(async () => {
  if (!closed) await t?.close();
});

const suiteId = async (name: string) => (await t.api.evaluation.listSuites({})).find((s) => s.name === name)!.id;
const finalRun = (packets: EvalRunPacket[]): Run => {
  const last = packets.at(-1);
  if (last?.type !== "done") throw new Error(`run did not finish: ${JSON.stringify(last)}`);
  return last.run;
};

describe("evaluation over the real engine", () => {
  it("installs the builtin suites with their datasets", async () => {
    const suites = await t.api.evaluation.listSuites({});
    expect(suites.filter((s) => s.builtin).map((s) => s.name).sort()).toEqual([
      "Demo: next three characters",
      "Demo: which characters come next",
      "Multiple choice: everyday science",
      "Summarize: local news",
      "Translate: English → French",
    ]);
    const datasets = await t.api.evaluation.listDatasets({});
    expect(datasets.filter((d) => d.builtin)).toHaveLength(5);
  });

  it("runs the generation demo suite on the base and +2 adapter, storing each item, with progress", async () => {
    const id = await suiteId("Demo: next three characters");
    const base = await collect(t.api.evaluation.run({ suiteId: id, modelId: successorId, label: "base" }));
    expect(base[0]?.type).toBe("run");
    const progress = base.filter((p) => p.type === "progress" && !p.label.startsWith("Loading")).map((p) => (p as { done: number }).done);
    expect(progress).toEqual([0, 1, 2, 3, 4, 5, 6]);
    runs.genBase = finalRun(base);
    expect(runs.genBase!.status).toBe("complete");
    expect(runs.genBase!.metrics.find((m) => m.name === "exact_match")!.score).toBe(1);
    const plus = await collect(t.api.evaluation.run({ suiteId: id, modelId: successorId, adapters: [{ adapterId: plus2Id, scale: 1 }], label: "+2" }));
    runs.genPlus = finalRun(plus);
    expect(runs.genPlus!.adapters).toEqual([{ path: plus2Path, scale: 1, name: "Successor +2 (demo adapter)" }]);
    expect(runs.genPlus!.metrics.find((m) => m.name === "exact_match")!.score).toBe(0);
    const detail = await t.api.evaluation.getRun({ id: runs.genPlus!.id });
    expect(detail.results.map((r) => r.prediction)).toEqual(["egi", "oqs", "y{}", "EGI", "579", "tvx"]);
    expect(detail.items[0]).toEqual({ input: "abc", references: ["def"], choices: null, gold: null });
  });

  it("runs the multiple-choice demo suite and compares base vs +2 with bootstrap intervals", async () => {
    const id = await suiteId("Demo: which characters come next");
    runs.mcBase = finalRun(await collect(t.api.evaluation.run({ suiteId: id, modelId: successorId })));
    runs.mcPlus = finalRun(await collect(t.api.evaluation.run({ suiteId: id, modelId: successorId, adapters: [{ path: plus2Path, scale: 1 }] })));
    expect(runs.mcBase!.metrics.map((m) => [m.name, m.score])).toEqual([["acc", 1], ["acc_norm", 1]]);
    expect(runs.mcPlus!.metrics.map((m) => [m.name, m.score])).toEqual([["acc", 0], ["acc_norm", 0]]);
    const cmp = await t.api.evaluation.compare({ a: runs.mcBase!.id, b: runs.mcPlus!.id, samples: 200 });
    expect(cmp.sharedItems).toBe(5);
    const acc = cmp.metrics.find((m) => m.name === "acc")!;
    expect(acc.bootstrap.delta).toBe(-1);
    expect([acc.wins, acc.losses, acc.ties]).toEqual([0, 5, 0]);
    expect([acc.bootstrap.ciLow, acc.bootstrap.ciHigh]).toEqual([-1, -1]);
    const gen = await t.api.evaluation.compare({ a: runs.genBase!.id, b: runs.genPlus!.id, samples: 200 });
    expect(gen.metrics.find((m) => m.name === "exact_match")!.bootstrap.delta).toBe(-1);
    await expect(t.api.evaluation.compare({ a: runs.genBase!.id, b: runs.mcBase!.id })).rejects.toThrow(/same dataset/);
  });

  it("refuses a malformed dataset, naming its bad lines, and imports nothing without consent", async () => {
    const text = ['{"input":"abc","reference":"def"}', '{"input":"xyz"', '{"reference":"q"}', '{"input":"klm","reference":"nop"}'].join("\n");
    const before = (await t.api.evaluation.listDatasets({})).length;
    const preview = await t.api.evaluation.previewDataset({ text, fileName: "bad.jsonl" });
    expect(preview.accepted).toBe(2);
    expect(preview.rejected.map((r) => [r.line, r.field])).toEqual([[2, ""], [3, "input"]]);
    await expect(t.api.evaluation.importDataset({ text, fileName: "bad.jsonl" })).rejects.toThrow(/line 2/);
    expect((await t.api.evaluation.listDatasets({})).length).toBe(before);
    const ok = await t.api.evaluation.importDataset({ text, fileName: "bad.jsonl", acceptRejected: true });
    expect(ok).toMatchObject({ created: true, rejected: 2, dataset: { itemCount: 2, name: "bad.jsonl" } });
    const again = await t.api.evaluation.importDataset({ text, fileName: "copy.jsonl", acceptRejected: true });
    expect(again.created).toBe(false);
    expect(again.dataset.id).toBe(ok.dataset.id);
  });

  it("stores the judge's prompt and verdict per item", async () => {
    const { dataset } = await t.api.evaluation.importDataset({ text: '{"input":"abc","reference":"def"}\n{"input":"pqr","reference":"stu"}', fileName: "judge.jsonl" });
    const suite = await t.api.evaluation.saveSuite({
      name: "judged letters",
      datasetId: dataset.id,
      task: "generation",
      metrics: [{ name: "exact_match" }],
      judges: [{ modelId: successorId, rubric: "Does the answer continue the letters?", name: "continues" }],
      sampling: { temperature: 0, maxTokens: 3 },
    });
    const run = finalRun(await collect(t.api.evaluation.run({ suiteId: suite.id, modelId: successorId })));
    const detail = await t.api.evaluation.getRun({ id: run.id });
    for (const r of detail.results) {
      expect(r.judges).toHaveLength(1);
      expect(r.judges[0]!.prompt).toContain("Question: Does the answer continue the letters?");
      expect(r.judges[0]!.prompt).toContain(`Answer:\n${r.prediction}`);
      expect(["Yes", "No"]).toContain(r.judges[0]!.reply);
      expect(r.judges[0]!.verdict).toBe(r.judges[0]!.reply.toLowerCase());
    }
    const judge = run.metrics.find((m) => m.kind === "judge")!;
    expect(judge.name).toBe("continues");
    expect(judge.details.unparsed).toBe(0);
  });

  it("keeps a cancelled run's finished items and resumes it to the same numbers", async () => {
    const id = await suiteId("Demo: next three characters");
    const ac = new AbortController();
    let runId = "";
    await expect(
      (async () => {
        for await (const p of t.api.evaluation.run({ suiteId: id, modelId: successorId, adapters: [{ adapterId: plus2Id }] }, { signal: ac.signal })) {
          if (p.type === "run") runId = p.run.id;
          if (p.type === "item" && p.result.index === 1) ac.abort();
        }
      })(),
    ).rejects.toThrow();
    let stored = (await t.api.evaluation.getRun({ id: runId })).run;
    for (let i = 0; i < 50 && stored.status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stored = (await t.api.evaluation.getRun({ id: runId })).run;
    }
    expect(stored.status).toBe("cancelled");
    expect(stored.done).toBeGreaterThanOrEqual(2);
    expect(stored.done).toBeLessThan(6);
    const resumed = finalRun(await collect(t.api.evaluation.resume({ runId })));
    expect(resumed.done).toBe(6);
    expect(resumed.metrics).toEqual(runs.genPlus!.metrics);
  });

  it("exports a run as CSV and JSON", async () => {
    const csv = await t.api.evaluation.exportRun({ id: runs.genBase!.id, format: "csv" });
    expect(csv.fileName).toMatch(/\.csv$/);
    expect(csv.text.split("\r\n")[1]).toMatch(/^0,abc,"\[""def""\]",def,/);
    const json = JSON.parse((await t.api.evaluation.exportRun({ id: runs.genBase!.id })).text) as { scores: Record<string, number> };
    expect(json.scores.exact_match).toBe(1);
  });

  it("`lathe eval` writes the same numbers as the API run", async () => {
    await t.close();
    closed = true;
    process.env.LATHE_THREADS = "1";
    const out = join(t.dataDir, "cli-results.json");
    const code = await evalMain([
      "--suite", "Demo: next three characters",
      "--model", "Successor (demo: next letter)",
      "--adapter", `${plus2Path}:1`,
      "--data", t.dataDir,
      "--out", out,
      "--quiet",
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as { run: Run; scores: Record<string, number>; items: { prediction: string }[] };
    expect(doc.run.metrics).toEqual(runs.genPlus!.metrics);
    expect(doc.items.map((i) => i.prediction)).toEqual(["egi", "oqs", "y{}", "EGI", "579", "tvx"]);
    expect(await evalMain(["--suite", "nope", "--model", "x", "--data", t.dataDir, "--quiet"])).toBe(2);
  });
});
