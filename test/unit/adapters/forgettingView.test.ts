// @vitest-environment jsdom
// The Forgetting tab of the Adapters panel in jsdom against a scripted API: the empty state
// when there are no suites, choosing suites as target or guard and the call it makes, the
// progress bar with ETA and cancel, and the finished report with the flagged guard row, its
// one-line explanation and the chart of changes with interval whiskers.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import AdaptersPanel from "../../../renderer/adapters/AdaptersPanel.svelte";
import type { Api } from "../../../renderer/api/connect.ts";
import type { AdapterEntry, ForgettingCheckInput, ForgettingPacket } from "../../../core/api/adapters.ts";
import type { ForgettingReport } from "../../../core/evaluation/forgetting.ts";
import type { Suite } from "../../../core/evaluation/types.ts";

const plus2 = {
  id: "a1",
  filePath: "/data/adapters/successor-plus2.gguf",
  name: "Successor +2",
  sha256: null,
  metadata: {},
  tags: [],
  notes: "",
  addedAt: 1,
  available: true,
  sizeBytes: 1,
  compatibility: [{ modelId: "m1", modelName: "Successor", compatible: true, reason: null }],
} as AdapterEntry;
const suite = (id: string, name: string) => ({ id, name, description: "", datasetId: "d", task: "generation", metrics: [{ name: "exact_match" }], judges: [], builtin: false }) as unknown as Suite;
const suites = [suite("s1", "Next letters"), suite("s2", "Skip letters")];
const delta = (base: number, adapter: number, forgetting: boolean, verdict: "improved" | "worse") => ({
  metric: "exact_match",
  higherIsBetter: true,
  base,
  adapter,
  delta: adapter - base,
  ciLow: adapter - base,
  ciHigh: adapter - base,
  confidence: 0.95,
  pValue: 0.002,
  items: 6,
  verdict,
  forgetting,
});
const finished: ForgettingReport = {
  id: "f1",
  status: "complete",
  modelId: "m1",
  modelName: "Successor",
  adapters: [{ path: plus2.filePath, scale: 1, name: "Successor +2" }],
  label: "",
  config: { threshold: 0, samples: 1000, seed: 12345, presetId: null, sampling: null, limit: null },
  suites: [
    { suiteId: "s1", suiteName: "Next letters", role: "guard", task: "generation", baseRunId: "r1", adapterRunId: "r2", result: delta(1, 0, true, "worse"), error: null },
    { suiteId: "s2", suiteName: "Skip letters", role: "target", task: "generation", baseRunId: "r3", adapterRunId: "r4", result: delta(0, 1, false, "improved"), error: null },
  ],
  flagged: 1,
  error: null,
  createdAt: 1,
  updatedAt: 2,
  finishedAt: 2,
};
const running: ForgettingReport = { ...finished, status: "running", flagged: 0, suites: finished.suites.map((s) => ({ ...s, result: null, baseRunId: null, adapterRunId: null })) };

function fakeApi(list: Suite[], check: (input: ForgettingCheckInput, signal: AbortSignal) => AsyncIterable<ForgettingPacket>) {
  const stored: ForgettingReport[] = [];
  const calls = { check: vi.fn() };
  const api = {
    adapters: {
      list: async () => ({ adapters: [plus2], folder: "/data/adapters" }),
      forgettingReports: async () => stored,
      forgettingReport: async ({ id }: { id: string }) => stored.find((r) => r.id === id)!,
      forgettingCheck: (input: ForgettingCheckInput, options: { signal: AbortSignal }) => {
        calls.check(input);
        return check(input, options.signal);
      },
    },
    evaluation: { listSuites: async () => list },
    presets: { list: async () => [] },
    models: { list: async () => ({ models: [{ id: "m1", name: "Successor", filePath: "/m/s.gguf", sha256: null, sizeBytes: 1, metadata: {}, addedAt: 1, available: true, loaded: null }], folder: "/m" }) },
    history: { listConversations: async () => [] },
  };
  return { api: api as unknown as Api, calls, stored };
}

async function openForgetting() {
  await fireEvent.click(screen.getByTestId("adapters-tab-forgetting"));
}
async function chooseSet() {
  const pick = (await vi.waitFor(() => screen.getByTestId("forgetting-set-choose"))) as HTMLSelectElement;
  await vi.waitFor(() => expect([...pick.options].map((o) => o.value)).toContain("a1"));
  await fireEvent.change(pick, { target: { value: "a1" } });
  await fireEvent.click(screen.getByTestId("forgetting-set-add"));
}

describe("ForgettingView", () => {
  it("says what to do when there are no suites, and cannot run", async () => {
    render(AdaptersPanel, { api: fakeApi([], () => (async function* () {})()).api });
    await openForgetting();
    const empty = await vi.waitFor(() => screen.getByTestId("forgetting-empty"));
    expect(empty.textContent).toMatch(/No evaluation suites yet/);
    await chooseSet();
    expect((screen.getByTestId("forgetting-run") as HTMLButtonElement).disabled).toBe(true);
  });

  it("runs the chosen suites with their roles and shows the flagged guard row, explanation and chart", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fake = fakeApi(suites, () =>
      (async function* (): AsyncGenerator<ForgettingPacket> {
        yield { type: "report", report: running };
        yield { type: "progress", done: 6, total: 24, etaMs: 3000, label: "Suite 1 of 2 (Next letters), adapter set: 6/6 items", suite: 0, suites: 2, side: "adapter" };
        await gate;
        fake.stored.push(finished);
        yield { type: "suite", index: 0, suite: finished.suites[0]! };
        yield { type: "done", report: finished };
      })(),
    );
    render(AdaptersPanel, { api: fake.api });
    await openForgetting();
    await vi.waitFor(() => expect(screen.getAllByTestId("forgetting-suite")).toHaveLength(2));
    await chooseSet();
    await fireEvent.change(screen.getByLabelText("Role of Next letters"), { target: { value: "guard" } });
    await fireEvent.change(screen.getByLabelText("Role of Skip letters"), { target: { value: "target" } });
    const run = screen.getByTestId("forgetting-run") as HTMLButtonElement;
    expect(run.textContent).toContain("on 2 suites");
    await fireEvent.click(run);
    expect(fake.calls.check).toHaveBeenCalledWith({
      modelId: "m1",
      adapters: [{ adapterId: "a1", scale: 1 }],
      suites: [
        { suiteId: "s1", role: "guard" },
        { suiteId: "s2", role: "target" },
      ],
      threshold: 0,
    });
    const progress = await vi.waitFor(() => screen.getByTestId("forgetting-progress"));
    await vi.waitFor(() => expect(progress.textContent).toContain("Suite 1 of 2"));
    expect(screen.getByTestId("forgetting-eta").textContent).toBe("about 3.0 s left");
    release();

    const report = await vi.waitFor(() => {
      const r = screen.getByTestId("forgetting-report");
      expect(r.getAttribute("data-status")).toBe("complete");
      return r;
    });
    expect(report.getAttribute("data-flagged")).toBe("1");
    const rows = within(report).getAllByTestId("forgetting-row");
    expect(rows.map((r) => [r.getAttribute("data-name"), r.getAttribute("data-forgetting")])).toEqual([
      ["Next letters", "true"],
      ["Skip letters", "false"],
    ]);
    expect(within(rows[0]!).getByTestId("forgetting-flag").textContent).toContain("forgetting");
    expect(rows[1]!.textContent).toContain("improved");
    expect(screen.getByTestId("forgetting-explain").textContent).toMatch(/catastrophic forgetting .* not trained for .* below zero/);
    const bars = screen.getAllByTestId("forgetting-chart-bar").map((b) => [b.getAttribute("data-name"), Number(b.getAttribute("data-gain"))]);
    expect(bars).toEqual([
      ["Next letters", -1],
      ["Skip letters", 1],
    ]);
    expect(screen.getAllByTestId("forgetting-chart-ci")).toHaveLength(2);
    expect(screen.queryByTestId("forgetting-progress")).toBeNull();
  });

  it("cancels a running check by aborting its stream", async () => {
    let seen: AbortSignal | null = null;
    const fake = fakeApi(suites, (_input, signal) => {
      seen = signal;
      return (async function* (): AsyncGenerator<ForgettingPacket> {
        yield { type: "report", report: running };
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        throw Object.assign(new Error("cancelled"), { name: "AbortError" });
      })();
    });
    render(AdaptersPanel, { api: fake.api });
    await openForgetting();
    await vi.waitFor(() => expect(screen.getAllByTestId("forgetting-suite")).toHaveLength(2));
    await chooseSet();
    await fireEvent.change(screen.getByLabelText("Role of Next letters"), { target: { value: "guard" } });
    await fireEvent.click(screen.getByTestId("forgetting-run"));
    await fireEvent.click(await vi.waitFor(() => screen.getByTestId("forgetting-progress-cancel")));
    expect(seen!.aborted).toBe(true);
    await vi.waitFor(() => expect(screen.queryByTestId("forgetting-progress")).toBeNull());
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
