// The critique → revise loop against a scripted fake engine: rounds and steps, early
// stop under the default and configured checks, principle choice (all, round-robin,
// seeded random), per-generation seeds, a given initial answer, failures and cancel.
import { runCritique, type CritiquePipelineOptions, type PipelineEvent } from "../../../core/critique/pipeline.ts";
import { generationSeed, planRounds } from "../../../core/critique/principles.ts";
import { critiqueRequestText } from "../../../core/critique/prompts.ts";
import { critiqueFindsNothing, defaultStopCheck } from "../../../core/critique/stopCheck.ts";
import type { Principle } from "../../../core/critique/types.ts";
import { greedySamplingConfig, resolveSamplingConfig } from "../../../core/sampling/config.ts";
import { drain, scriptedEngine, type Script, type ScriptCall } from "./fakeEngine.ts";

const principles: Principle[] = ["alpha", "beta", "gamma"].map((id) => ({
  id,
  name: id.toUpperCase(),
  critiqueRequest: `CRIT-${id}: what is wrong?`,
  revisionRequest: `REV-${id}: rewrite it.`,
}));

const options = (over: Partial<CritiquePipelineOptions> = {}): CritiquePipelineOptions => ({
  modelId: "m1",
  prompt: "How do I sharpen a chisel?",
  principles,
  rounds: 2,
  principleChoice: "roundRobin",
  seed: 42,
  stopCheck: defaultStopCheck,
  sampling: greedySamplingConfig,
  ...over,
});

/** Which phase a call is, from what it asks. */
const phaseOf = (c: ScriptCall) => (c.ask.includes("CRIT-") || c.ask.startsWith("Critique the last") ? "critique" : c.ask.includes("REV-") || c.ask.startsWith("Rewrite") ? "revision" : "response");
/** Principles named in the request of a call. */
const principlesOf = (c: ScriptCall) => principles.filter((p) => c.ask.includes(`-${p.id}:`)).map((p) => p.id);

/** Answers: "answer 0", then "critique n" / "revision n" by call number. */
const numbered: Script = (c) => (phaseOf(c) === "response" ? "answer 0" : `${phaseOf(c)} ${c.n}`);

describe("runCritique", () => {
  it("runs N rounds: initial answer, then critique and revision per round, three stored steps for two rounds", async () => {
    const engine = scriptedEngine(numbered);
    const { events, result } = await drain(runCritique(engine, options()));
    expect(engine.calls.map(phaseOf)).toEqual(["response", "critique", "revision", "critique", "revision"]);
    expect(result.status).toBe("complete");
    expect(result.stopReason).toBe("rounds");
    expect(result.roundsRun).toBe(2);
    expect(result.steps.map((s) => [s.index, s.kind, s.text, s.critique?.text ?? null, s.noIssues])).toEqual([
      [0, "initial", "answer 0", null, false],
      [1, "round", "revision 2", "critique 1", false],
      [2, "round", "revision 4", "critique 3", false],
    ]);
    expect(result.initial).toBe("answer 0");
    expect(result.final).toBe("revision 4");
    // Streamed in order: a phase, its fragments, and a step when a step is done.
    const kinds = events.map((e) => (e.type === "phase" ? `phase:${e.step}:${e.phase}` : e.type === "step" ? `step:${e.step.index}` : `frag:${e.step}:${e.phase}`));
    expect(kinds).toEqual([
      "phase:0:response", "frag:0:response", "frag:0:response", "step:0",
      "phase:1:critique", "frag:1:critique", "frag:1:critique",
      "phase:1:revision", "frag:1:revision", "frag:1:revision", "step:1",
      "phase:2:critique", "frag:2:critique", "frag:2:critique",
      "phase:2:revision", "frag:2:revision", "frag:2:revision", "step:2",
    ]);
    const fragments = events.filter((e): e is Extract<PipelineEvent, { type: "fragment" }> => e.type === "fragment" && e.step === 1 && e.phase === "critique");
    expect(fragments.map((f) => f.text).join("")).toBe("critique 1");
  });

  it("builds each request from the conversation so far: the critique sees the answer, the revision sees the critique", async () => {
    const engine = scriptedEngine(numbered);
    await drain(runCritique(engine, options({ rounds: 1, systemPrompt: "Be brief." })));
    const [response, critique, revision] = engine.calls;
    expect(response!.messages).toEqual([{ role: "user", content: "How do I sharpen a chisel?" }]);
    expect(critique!.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(critique!.messages[1]!.content).toBe("answer 0");
    expect(critique!.ask).toBe(critiqueRequestText([principles[0]!]));
    expect(critique!.ask).toMatch(/reply only: "No issues\."/);
    expect(revision!.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(revision!.messages[3]!.content).toBe("critique 1");
    expect(revision!.ask).toBe("REV-alpha: rewrite it.");
    for (const c of engine.calls) expect(c.request.prompt).toMatchObject({ kind: "chat", systemPrompt: "Be brief." });
  });

  it("stops early when a critique finds nothing to fix: no revision that round, the answer kept", async () => {
    const engine = scriptedEngine((c) => (c.n === 3 ? "No issues." : numbered(c)));
    const { result } = await drain(runCritique(engine, options({ rounds: 4 })));
    expect(engine.calls.map(phaseOf)).toEqual(["response", "critique", "revision", "critique"]);
    expect(result.stopReason).toBe("noIssues");
    expect(result.roundsRun).toBe(2);
    expect(result.steps).toHaveLength(3);
    const last = result.steps[2]!;
    expect(last).toMatchObject({ index: 2, noIssues: true, text: "revision 2", response: null });
    expect(last.critique!.text).toBe("No issues.");
    expect(result.final).toBe("revision 2");
  });

  it("uses the configured check: never stop, or a regex", async () => {
    const says = (text: string): Script => (c) => (phaseOf(c) === "critique" ? text : numbered(c));
    const never = await drain(runCritique(scriptedEngine(says("No issues.")), options({ stopCheck: { kind: "never" } })));
    expect(never.result.stopReason).toBe("rounds");
    expect(never.result.steps.every((s) => !s.noIssues)).toBe(true);

    const regex = { kind: "regex" as const, pattern: "^LGTM\\b", flags: "i" };
    const lgtm = await drain(runCritique(scriptedEngine(says("lgtm, ship it")), options({ stopCheck: regex })));
    expect(lgtm.result.stopReason).toBe("noIssues");
    expect(lgtm.result.steps).toHaveLength(2);
    const other = await drain(runCritique(scriptedEngine(says("No issues.")), options({ stopCheck: regex })));
    expect(other.result.stopReason).toBe("rounds");
  });

  it("default check: the critique must open with a no-issues phrase, however it is dressed", () => {
    expect(critiqueFindsNothing("No issues.", defaultStopCheck)).toBe(true);
    expect(critiqueFindsNothing("  **No issues**", defaultStopCheck)).toBe(true);
    expect(critiqueFindsNothing('"Nothing to fix" - the answer is good.', defaultStopCheck)).toBe(true);
    expect(critiqueFindsNothing("There are no issues with accuracy, but the tone is rude.", defaultStopCheck)).toBe(false);
    expect(critiqueFindsNothing("No issuesxyz", defaultStopCheck)).toBe(false);
    expect(critiqueFindsNothing("The tone: no issues", { kind: "phrases", phrases: ["no issues"], match: "anywhere" })).toBe(true);
  });

  it("round-robin walks the principles in order and wraps", async () => {
    const engine = scriptedEngine(numbered);
    const { result } = await drain(runCritique(engine, options({ rounds: 4, stopCheck: { kind: "never" } })));
    expect(result.steps.slice(1).map((s) => s.principleIds)).toEqual([["alpha"], ["beta"], ["gamma"], ["alpha"]]);
    expect(engine.calls.filter((c) => phaseOf(c) === "critique").map(principlesOf)).toEqual([["alpha"], ["beta"], ["gamma"], ["alpha"]]);
    expect(engine.calls.filter((c) => phaseOf(c) === "revision").map((c) => c.ask)).toEqual(["REV-alpha: rewrite it.", "REV-beta: rewrite it.", "REV-gamma: rewrite it.", "REV-alpha: rewrite it."]);
  });

  it("'all' critiques and revises under every principle in each round", async () => {
    const engine = scriptedEngine(numbered);
    const { result } = await drain(runCritique(engine, options({ principleChoice: "all" })));
    expect(result.steps.slice(1).map((s) => s.principleIds)).toEqual([["alpha", "beta", "gamma"], ["alpha", "beta", "gamma"]]);
    for (const c of engine.calls.filter((x) => phaseOf(x) !== "response")) expect(principlesOf(c)).toEqual(["alpha", "beta", "gamma"]);
  });

  it("seeded random choice: the same seed gives the same principles, other seeds differ", async () => {
    const ids = async (seed: number) => {
      const { result } = await drain(runCritique(scriptedEngine(numbered), options({ principleChoice: "random", rounds: 8, seed, stopCheck: { kind: "never" } })));
      return result.steps.slice(1).map((s) => s.principleIds[0]);
    };
    const a = await ids(7);
    expect(a).toHaveLength(8);
    expect(await ids(7)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
    const others = await Promise.all([8, 9, 10].map(ids));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a))).toBe(true);
    expect(planRounds(principles, "random", 8, 7).map((r) => r[0]!.id)).toEqual(a);
  });

  it("gives every generation its own seed from the run seed when sampling randomly, none when greedy", async () => {
    const random = scriptedEngine(numbered);
    const sampling = resolveSamplingConfig({ temperature: 0.7 });
    const { result } = await drain(runCritique(random, options({ sampling, seed: 99 })));
    const seeds = random.calls.map((c) => (c.request.sampling as { seed?: number }).seed);
    expect(seeds).toEqual([0, 1, 2, 3, 4].map((g) => generationSeed(99, g)));
    expect(new Set(seeds).size).toBe(5);
    expect(result.steps[1]!.critique!.sampling.seed).toBe(generationSeed(99, 1));

    const greedy = scriptedEngine(numbered);
    await drain(runCritique(greedy, options()));
    expect(greedy.calls.every((c) => (c.request.sampling as { seed?: number }).seed === undefined)).toBe(true);
  });

  it("critiques a given initial answer without generating one", async () => {
    const engine = scriptedEngine(numbered);
    const { result } = await drain(runCritique(engine, options({ rounds: 1, initial: "Rub it on a brick." })));
    expect(engine.calls.map(phaseOf)).toEqual(["critique", "revision"]);
    expect(engine.calls[0]!.messages[1]!.content).toBe("Rub it on a brick.");
    expect(result.steps[0]).toMatchObject({ index: 0, text: "Rub it on a brick.", response: null });
    expect(result.final).toBe("revision 1");
  });

  it("keeps the answer when a revision comes back empty", async () => {
    const { result } = await drain(runCritique(scriptedEngine((c) => (phaseOf(c) === "revision" ? "   " : numbered(c))), options({ rounds: 1 })));
    expect(result.final).toBe("answer 0");
  });

  it("throws the engine's failure", async () => {
    const engine = scriptedEngine((c) => {
      if (phaseOf(c) === "revision") throw new Error("llama.cpp fell over");
      return numbered(c);
    });
    await expect(drain(runCritique(engine, options()))).rejects.toThrow("llama.cpp fell over");
  });

  it("cancelled mid-round: returns stopped with the steps finished so far", async () => {
    const ac = new AbortController();
    const engine = scriptedEngine(numbered, (c) => {
      if (c.n === 3) ac.abort();
    });
    const { result } = await drain(runCritique(engine, options({ signal: ac.signal })));
    expect(result.status).toBe("stopped");
    expect(result.stopReason).toBeNull();
    expect(result.steps.map((s) => s.index)).toEqual([0, 1]);
    expect(engine.calls).toHaveLength(4);
  });
});
