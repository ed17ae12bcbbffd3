// The Critique panel's stores against fake handlers served by the real API server over a
// memory channel: a run's fragments are appended once per frame and replaced by the
// stored step, the finished run gets its initial-vs-final diff, stopping cancels the
// stream, and the ranking moves and settings turn into the right API calls.
import { describe, expect, it } from "vitest";
import { contract, createApiClient, createMemoryChannelPair, serveApi, type HandlersOf, type LatheContract } from "../../../core/api/index.ts";
import type { CritiquePacket } from "../../../core/api/critique.ts";
import type { CritiqueRunDetail, CritiqueStep } from "../../../core/critique/types.ts";
import { CritiqueShared, RunStore } from "../../../renderer/critique/critique.svelte.ts";
import { FeedbackStore } from "../../../renderer/critique/feedback.svelte.ts";

const step = (index: number, text: string, critique: string | null = null): CritiqueStep => ({
  runId: "r1",
  index,
  kind: index === 0 ? "initial" : "round",
  principleIds: index === 0 ? [] : ["honest"],
  critique,
  critiqueProvenance: null,
  noIssues: false,
  text,
  provenance: null,
  createdAt: 1,
});
const runDetail = (steps: CritiqueStep[]): CritiqueRunDetail => ({
  id: "r1",
  batchId: null,
  batchIndex: null,
  prompt: "Q?",
  systemPrompt: "",
  constitutionId: "builtin-hhh",
  constitutionVersion: 1,
  constitutionName: "HHH",
  modelId: "m1",
  modelFile: "m.gguf",
  settings: { rounds: 1, principleChoice: "roundRobin", seed: 1, stopCheck: { kind: "never" }, sampling: {}, presetId: null },
  status: "complete",
  stopReason: "rounds",
  roundsRun: 1,
  initial: steps[0]?.text ?? null,
  final: steps.at(-1)?.text ?? null,
  error: null,
  createdAt: 1,
  finishedAt: 2,
  steps,
});

/** A gate the fake run waits at, so the test can look between packets. */
function gate() {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open: () => open() };
}

function setup(runPackets: (signal: AbortSignal) => AsyncIterable<CritiquePacket>) {
  const calls: { method: string; input: unknown }[] = [];
  const handlers: Partial<HandlersOf<LatheContract>> = {
    models: { list: async () => ({ models: [{ id: "m1", filePath: "/m.gguf", name: "M", sha256: null, sizeBytes: 1, metadata: {}, addedAt: 0, available: true, loaded: null }], folder: "/" }) } as never,
    presets: { list: async () => [] } as never,
    critique: {
      listConstitutions: async () => [{ id: "builtin-hhh", name: "HHH", description: "", version: 1, principleCount: 4, builtin: true, archived: false, updatedAt: 1 }],
      listPromptSets: async () => [],
      listRuns: async () => [],
      run: (input: unknown, ctx: { signal: AbortSignal }) => {
        calls.push({ method: "critique.run", input });
        return runPackets(ctx.signal);
      },
    } as never,
    feedback: {
      rank: async (input: unknown) => {
        calls.push({ method: "feedback.rank", input });
        return { ranking: {}, preferences: [{}, {}, {}, {}, {}] };
      },
      listComparisons: async () => [],
      agreement: async () => ({ pairs: 0, agreed: 0, percent: null, kappa: null, undecided: 0, matrix: { a: { a: 0, b: 0 }, b: { a: 0, b: 0 } } }),
    } as never,
  };
  const [server, client] = createMemoryChannelPair();
  serveApi(contract, handlers, server);
  const frames: (() => void)[] = [];
  const shared = new CritiqueShared(createApiClient(contract, client));
  const run = new RunStore(shared, (cb) => void frames.push(cb));
  return { shared, run, calls, frames, runFrames: () => frames.splice(0).forEach((cb) => cb()) };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("Critique stores", () => {
  it("streams a run: fragments wait for the next frame, stored steps replace them, the diff follows the finished run", async () => {
    const g = gate();
    const steps = [step(0, "Rub it on a brick."), step(1, "Rub it on a whetstone.", "Bricks are too coarse.")];
    const t = setup(async function* () {
      yield { type: "run", run: runDetail([]) };
      yield { type: "phase", step: 0, phase: "response", principleIds: [] };
      yield { type: "fragment", step: 0, phase: "response", text: "Rub it " };
      yield { type: "fragment", step: 0, phase: "response", text: "on a brick." };
      await g.wait;
      yield { type: "step", step: steps[0]! };
      yield { type: "phase", step: 1, phase: "critique", principleIds: ["honest"] };
      yield { type: "fragment", step: 1, phase: "critique", text: "Bricks are too coarse." };
      yield { type: "step", step: steps[1]! };
      yield { type: "done", run: runDetail(steps) };
    });
    await t.shared.refresh();
    expect(t.shared.settings.modelId).toBe("m1");
    t.shared.settings.maxTokens = 16;
    t.shared.settings.stopKind = "regex";
    t.shared.settings.pattern = "^ok";
    t.run.prompt = "  How do I sharpen a chisel?  ";
    const running = t.run.start();
    await tick();
    expect(t.run.running).toBe(true);
    expect(t.run.steps.map((s) => [s.index, s.phase, s.text])).toEqual([[0, "response", ""]]);
    expect(t.frames.length).toBe(1);
    t.runFrames();
    expect(t.run.steps[0]!.text).toBe("Rub it on a brick.");
    g.open();
    await running;
    expect(t.run.steps.map((s) => [s.index, s.phase, s.critique, s.text])).toEqual([
      [0, null, "", "Rub it on a brick."],
      [1, null, "Bricks are too coarse.", "Rub it on a whetstone."],
    ]);
    expect(t.run.run?.status).toBe("complete");
    expect(t.run.diff?.parts.filter((p) => p.op !== "same").map((p) => [p.op, p.text.trim()])).toEqual([
      ["del", "brick."],
      ["add", "whetstone."],
    ]);
    expect(t.calls[0]!.input).toMatchObject({ prompt: "How do I sharpen a chisel?", modelId: "m1", maxTokens: 16, stopCheck: { kind: "regex", pattern: "^ok" }, rounds: 2, principleChoice: "roundRobin" });
  });

  it("stop cancels the stream without reporting an error", async () => {
    const t = setup(async function* (signal) {
      yield { type: "run", run: runDetail([]) };
      yield { type: "phase", step: 0, phase: "response", principleIds: [] };
      await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    });
    await t.shared.refresh();
    t.run.prompt = "Q?";
    const running = t.run.start();
    await tick();
    t.run.stop();
    await running;
    expect(t.run.running).toBe(false);
    expect(t.run.error).toBeNull();
  });

  it("refuses to run without a prompt", async () => {
    const t = setup(async function* () {});
    await t.shared.refresh();
    await t.run.start();
    expect(t.run.error).toBe("Type a prompt first.");
    expect(t.calls).toEqual([]);
  });

  it("ranking moves update the tiers and the pair count; saving sends the tiers and the annotator", async () => {
    const t = setup(async function* () {});
    const f = new FeedbackStore(t.shared);
    f.current = { id: "c1", prompt: "Q", systemPrompt: "", source: "manual", runId: null, createdAt: 1, responses: [0, 1, 2, 3].map((i) => ({ index: i, text: `r${i}`, label: "", provenance: null })) };
    f.tiers = [[0], [1], [2], [3]];
    expect(f.pairCount).toBe(6);
    f.move(2, { kind: "newTier", tier: 0 });
    f.move(3, { kind: "join", tier: 1 });
    expect(f.tiers).toEqual([[2], [0, 3], [1]]);
    expect(f.pairCount).toBe(5);
    f.annotator = "";
    await f.saveRanking();
    expect(f.error).toMatch(/annotator/);
    f.annotator = " ana ";
    await f.saveRanking();
    expect(t.calls.at(-1)).toEqual({ method: "feedback.rank", input: { comparisonId: "c1", annotator: "ana", guideline: f.guideline, tiers: [[2], [0, 3], [1]] } });
    expect(f.notice).toBe("Saved: 5 preference pairs.");
  });
});
