// The forgetting check end to end over a real WebSocket and the real engine on the demo
// models: the Successor model with its +2 adapter. A target suite whose references follow
// the +2 rule improves; the builtin "next three characters" suite (references follow the +1
// rule the base model was built on) drops to zero and is flagged as forgetting. The runs are
// ordinary evaluation runs and the report reopens from SQLite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForgettingPacket } from "../../core/api/adapters.ts";
import { collect, startTestLathe, type TestLathe } from "../helpers/lathe.ts";

let t: TestLathe;
let successorId = "";
let plus2Id = "";

beforeAll(async () => {
  t = await startTestLathe();
  const done = (await collect(t.api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not written");
  successorId = done.models.find((m) => m.name.startsWith("Successor"))!.id;
  plus2Id = done.adapters.find((a) => a.name.startsWith("Successor +2"))!.id;
});
afterAll(async () => {
  await t?.close();
});

describe("forgetting check over the real engine", () => {
  it("flags the +1-rule suite under the +2 adapter and not the +2-rule target suite", async () => {
    // What the +2 adapter writes after each input (test/api/evaluation.test.ts checks these outputs).
    const plus2 = [["abc", "egi"], ["klm", "oqs"], ["uvw", "y{}"], ["ABC", "EGI"], ["123", "579"], ["pqr", "tvx"]];
    const { dataset } = await t.api.evaluation.importDataset({ text: plus2.map(([input, reference]) => JSON.stringify({ input, reference })).join("\n"), fileName: "plus2.jsonl" });
    const target = await t.api.evaluation.saveSuite({ name: "Skip one letter", datasetId: dataset.id, task: "generation", metrics: [{ name: "exact_match" }], sampling: { temperature: 0, maxTokens: 3 } });
    const guard = (await t.api.evaluation.listSuites({})).find((s) => s.name === "Demo: next three characters")!;

    const packets: ForgettingPacket[] = await collect(
      t.api.adapters.forgettingCheck({
        modelId: successorId,
        adapters: [{ adapterId: plus2Id, scale: 1 }],
        suites: [
          { suiteId: target.id, role: "target" },
          { suiteId: guard.id, role: "guard" },
        ],
        samples: 300,
        label: "+2 vs base",
      }),
    );
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error(`check did not finish: ${JSON.stringify(done)}`);
    const r = done.report;
    expect(r).toMatchObject({ status: "complete", flagged: 1, modelName: expect.stringMatching(/^Successor/), label: "+2 vs base" });
    const [tgt, grd] = r.suites;
    expect(tgt).toMatchObject({ suiteName: "Skip one letter", role: "target", result: { metric: "exact_match", base: 0, adapter: 1, delta: 1, ciLow: 1, ciHigh: 1, verdict: "improved", forgetting: false, items: 6 } });
    expect(grd).toMatchObject({ suiteName: "Demo: next three characters", role: "guard", result: { metric: "exact_match", base: 1, adapter: 0, delta: -1, ciLow: -1, ciHigh: -1, verdict: "worse", forgetting: true, items: 6 } });

    const progress = packets.filter((p) => p.type === "progress");
    expect(progress.at(-1)).toMatchObject({ done: 24, total: 24, suites: 2 });
    expect(progress.some((p) => p.suite === 1 && p.side === "adapter")).toBe(true);

    // Four ordinary evaluation runs, stored and complete, the adapter runs carrying the +2 set.
    const runs = await Promise.all(r.suites.flatMap((s) => [s.baseRunId!, s.adapterRunId!]).map((id) => t.api.evaluation.getRun({ id })));
    expect(runs.map((d) => [d.run.suite.name, d.run.adapters.map((a) => a.name), d.run.status])).toEqual([
      ["Skip one letter", [], "complete"],
      ["Skip one letter", ["Successor +2 (demo adapter)"], "complete"],
      ["Demo: next three characters", [], "complete"],
      ["Demo: next three characters", ["Successor +2 (demo adapter)"], "complete"],
    ]);
    expect(runs[3]!.results.map((x) => x.prediction)).toEqual(["egi", "oqs", "y{}", "EGI", "579", "tvx"]);

    // Reopened from the database as streamed.
    expect(await t.api.adapters.forgettingReport({ id: r.id })).toEqual(r);
    expect((await t.api.adapters.forgettingReports({})).map((x) => x.id)).toContain(r.id);
  });

  it("refuses a check without adapters or with an unknown suite, over the wire", async () => {
    await expect(collect(t.api.adapters.forgettingCheck({ modelId: successorId, adapters: [], suites: [{ suiteId: "x" }] }))).rejects.toMatchObject({ code: "invalid_input" });
    await expect(collect(t.api.adapters.forgettingCheck({ modelId: successorId, adapters: [{ adapterId: plus2Id }], suites: [{ suiteId: "no-such-suite" }] }))).rejects.toMatchObject({ code: "not_found" });
  });
});
