// RLAIF judging against a scripted fake engine: both orders are asked with the answers
// swapped, verdicts map back to the pair, a position-biased judge gets no winner, the
// reply is constrained to A/B by a grammar, and replies are read tolerantly.
import { combineVerdicts, judgePair, verdictOf } from "../../../core/critique/judge.ts";
import { JUDGE_GRAMMAR, parseJudgeVerdict } from "../../../core/critique/prompts.ts";
import type { Principle } from "../../../core/critique/types.ts";
import { greedySamplingConfig, resolveSamplingConfig } from "../../../core/sampling/config.ts";
import { drain, scriptedEngine, type ScriptCall } from "./fakeEngine.ts";

const honest: Principle = { id: "honest", name: "Honest", critiqueRequest: "Is anything made up?", revisionRequest: "Fix it." };
const input = { prompt: "Capital of France?", a: "Paris.", b: "Lyon, obviously.", principles: [honest] };

/** The answer shown first / second in a judge request. */
function shown(c: ScriptCall): { first: string; second: string } {
  const m = /Answer A:\n<<<\n([\s\S]*?)\n>>>\n\nAnswer B:\n<<<\n([\s\S]*?)\n>>>/.exec(c.ask)!;
  return { first: m[1]!, second: m[2]! };
}

describe("judgePair", () => {
  it("asks twice with the answers swapped; a consistent judge wins the pair for the same answer", async () => {
    // Prefers "Paris." wherever it is shown.
    const engine = scriptedEngine((c) => (shown(c).first === "Paris." ? "A" : "B"));
    const { events, result } = await drain(judgePair(engine, input, { modelId: "m", sampling: greedySamplingConfig }));
    expect(engine.calls.map(shown)).toEqual([
      { first: "Paris.", second: "Lyon, obviously." },
      { first: "Lyon, obviously.", second: "Paris." },
    ]);
    expect(result.orders).toEqual([
      { order: "ab", text: "A", verdict: "a" },
      { order: "ba", text: "B", verdict: "a" },
    ]);
    expect(result.agreement).toBe(true);
    expect(result.winner).toBe("a");
    expect(events.map((e) => (e.type === "judging" ? `judging ${e.order}` : `verdict ${e.order.order}`))).toEqual(["judging ab", "verdict ab", "judging ba", "verdict ba"]);
    expect(engine.calls[0]!.ask).toMatch(/Honest: Is anything made up\?/);
    expect(engine.calls[0]!.ask).toMatch(/Capital of France\?/);
  });

  it("a judge that always picks the first answer (position bias) disagrees with itself: no winner", async () => {
    const engine = scriptedEngine(() => "A");
    const { result } = await drain(judgePair(engine, input, { modelId: "m", sampling: greedySamplingConfig }));
    expect(result.orders.map((o) => o.verdict)).toEqual(["a", "b"]);
    expect(result.agreement).toBe(false);
    expect(result.winner).toBeNull();
  });

  it("an unreadable verdict in either order leaves the pair undecided", async () => {
    const engine = scriptedEngine((c) => (c.n === 0 ? "B" : "I cannot say."));
    const { result } = await drain(judgePair(engine, input, { modelId: "m", sampling: greedySamplingConfig, constrain: false }));
    expect(result.orders.map((o) => o.verdict)).toEqual(["b", null]);
    expect(result).toMatchObject({ agreement: false, winner: null });
  });

  it("constrains the reply with an A/B grammar and a few tokens unless told not to", async () => {
    const engine = scriptedEngine(() => "A");
    const sampling = resolveSamplingConfig({ temperature: 0, maxTokens: 300, jsonSchema: { type: "string" } });
    await drain(judgePair(engine, input, { modelId: "m", sampling }));
    const s = engine.calls[0]!.request.sampling as { grammar?: string; maxTokens?: number; jsonSchema?: unknown };
    expect(s.grammar).toBe(JUDGE_GRAMMAR);
    expect(s.maxTokens).toBe(8);
    expect(s.jsonSchema).toBeUndefined();
    const free = scriptedEngine(() => "A");
    await drain(judgePair(free, input, { modelId: "m", sampling: greedySamplingConfig, constrain: false }));
    expect((free.calls[0]!.request.sampling as { grammar?: string }).grammar).toBeUndefined();
  });

  it("maps letters back to the pair and combines the orders", () => {
    expect([verdictOf("A", "ab"), verdictOf("B", "ab"), verdictOf("A", "ba"), verdictOf("B", "ba"), verdictOf(null, "ab")]).toEqual(["a", "b", "b", "a", null]);
    expect(combineVerdicts([{ order: "ab", text: "", verdict: "b" }, { order: "ba", text: "", verdict: "b" }])).toEqual({ winner: "b", agreement: true });
    expect(combineVerdicts([{ order: "ab", text: "", verdict: null }, { order: "ba", text: "", verdict: null }])).toEqual({ winner: null, agreement: false });
  });

  it("reads verdicts: leading letters and named answers; a lowercase article is not a verdict", () => {
    expect(parseJudgeVerdict("A")).toBe("A");
    expect(parseJudgeVerdict(" (B) because it is honest")).toBe("B");
    expect(parseJudgeVerdict("**A**")).toBe("A");
    expect(parseJudgeVerdict("B.")).toBe("B");
    expect(parseJudgeVerdict("I prefer Answer B, since A invents things.")).toBe("B");
    expect(parseJudgeVerdict("response a is better")).toBe("A");
    expect(parseJudgeVerdict("a better answer is hard to find")).toBeNull();
    expect(parseJudgeVerdict("Both are fine.")).toBeNull();
    expect(parseJudgeVerdict("ABC")).toBeNull();
  });

  it("cancelled: rejects with a cancelled error", async () => {
    const ac = new AbortController();
    const engine = scriptedEngine(() => "A", () => ac.abort());
    await expect(drain(judgePair(engine, input, { modelId: "m", sampling: greedySamplingConfig, signal: ac.signal }))).rejects.toMatchObject({ code: "cancelled" });
    expect(engine.calls).toHaveLength(1);
  });
});
