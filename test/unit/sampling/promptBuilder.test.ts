// The prompt builder: zero-, one- and few-shot prompts as text and as chat turns, and
// fitting to a token budget by dropping examples from the end.
import { describe, expect, it } from "vitest";
import { buildPrompt, fitPromptToBudget, type PromptSpecInput } from "../../../core/sampling/promptBuilder.ts";

const spec: PromptSpecInput = {
  instruction: "Translate to French.",
  examples: [
    { input: "cat", output: "chat" },
    { input: "dog", output: "chien" },
    { input: "bird", output: "oiseau" },
  ],
  input: "horse",
};

describe("buildPrompt", () => {
  it("builds a few-shot prompt with every example, the input last with the output label open", () => {
    const p = buildPrompt(spec);
    expect(p.shots).toBe(3);
    expect(p.mode).toBe("few");
    expect(p.text).toBe(
      "Translate to French.\n\nInput: cat\nOutput: chat\n\nInput: dog\nOutput: chien\n\nInput: bird\nOutput: oiseau\n\nInput: horse\nOutput:",
    );
  });

  it("zero-shot has no examples and one-shot has the first", () => {
    expect(buildPrompt({ ...spec, mode: "zero" }).text).toBe("Translate to French.\n\nInput: horse\nOutput:");
    const one = buildPrompt({ ...spec, mode: "one" });
    expect(one.shots).toBe(1);
    expect(one.text).toBe("Translate to French.\n\nInput: cat\nOutput: chat\n\nInput: horse\nOutput:");
    expect(buildPrompt({ ...spec, shots: 2 }).shots).toBe(2);
  });

  it("gives the same prompt as chat turns: instruction as system, examples as user/assistant pairs", () => {
    const p = buildPrompt({ ...spec, mode: "one", inputLabel: "Q:", outputLabel: "A:" });
    expect(p.messages).toEqual([
      { role: "system", content: "Translate to French." },
      { role: "user", content: "cat" },
      { role: "assistant", content: "chat" },
      { role: "user", content: "horse" },
    ]);
    expect(p.text).toContain("Q: cat\nA: chat");
  });
});

describe("fitPromptToBudget", () => {
  const chars = async (p: { text: string }) => p.text.length;

  it("keeps every example when the prompt fits", async () => {
    const full = buildPrompt(spec).text.length;
    const f = await fitPromptToBudget(spec, full, chars);
    expect(f).toMatchObject({ shots: 3, dropped: 0, fits: true, tokens: full });
  });

  it("drops examples from the end until it fits", async () => {
    const twoShot = buildPrompt(spec, 2).text.length;
    const f = await fitPromptToBudget(spec, twoShot + 5, chars);
    expect(f).toMatchObject({ shots: 2, dropped: 1, fits: true, tokens: twoShot });
    expect(f.text).not.toContain("bird");
    const z = await fitPromptToBudget(spec, buildPrompt(spec, 0).text.length, chars);
    expect(z).toMatchObject({ shots: 0, dropped: 3, mode: "zero", fits: true });
  });

  it("says when even the zero-shot prompt does not fit", async () => {
    const f = await fitPromptToBudget(spec, 5, chars);
    expect(f.fits).toBe(false);
    expect(f.shots).toBe(0);
  });
});
