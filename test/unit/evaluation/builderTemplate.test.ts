// A saved prompt-builder template run as an evaluation prompt: each item's input takes the
// template's input, the run's shot mode picks how many examples go in, and the template's
// own separator and labels survive the mapping.
import { describe, expect, it } from "vitest";
import { builderPromptTemplate } from "../../../core/evaluation/builderTemplate.ts";
import { renderPrompt } from "../../../core/evaluation/prompts.ts";
import { promptTemplateSchema } from "../../../core/evaluation/types.ts";
import { buildPrompt, promptSpecSchema } from "../../../core/sampling/promptBuilder.ts";

const spec = promptSpecSchema.parse({
  instruction: "Name the tool.",
  examples: [
    { input: "cuts wood on a lathe", output: "gouge" },
    { input: "measures a diameter", output: "caliper" },
  ],
  input: "the template's own input",
  mode: "few",
});

describe("builderPromptTemplate", () => {
  it("renders each item exactly as the builder renders the template with that input", () => {
    const template = builderPromptTemplate(spec);
    expect(promptTemplateSchema.parse(template)).toEqual(template);
    const r = renderPrompt(template, "holds the work");
    expect(r.text).toBe(buildPrompt({ ...spec, input: "holds the work" }).text);
    expect(r.text).toBe("Name the tool.\n\nInput: cuts wood on a lathe\nOutput: gouge\n\nInput: measures a diameter\nOutput: caliper\n\nInput: holds the work\nOutput:");
    expect(r.prompt).toEqual({ kind: "raw", text: r.text });
  });

  it("the run's mode overrides the template's: zero-shot leaves the examples out, one-shot keeps the first", () => {
    expect(renderPrompt(builderPromptTemplate(spec, { mode: "zero" }), "x").text).toBe("Name the tool.\n\nInput: x\nOutput:");
    expect(renderPrompt(builderPromptTemplate(spec, { mode: "one" }), "x").text).toBe("Name the tool.\n\nInput: cuts wood on a lathe\nOutput: gouge\n\nInput: x\nOutput:");
  });

  it("keeps a custom separator and labels, and sends chat turns when asked", () => {
    const custom = promptSpecSchema.parse({ ...spec, separator: "\n---\n", inputLabel: "Q:", outputLabel: "A:", mode: "one" });
    const template = builderPromptTemplate(custom, { chat: true });
    expect(template).toMatchObject({ separator: "\n---\n", inputLabel: "Q:", outputLabel: "A:", chat: true });
    expect(renderPrompt({ ...template, chat: false }, "x").text).toBe("Name the tool.\n---\nQ: cuts wood on a lathe\nA: gouge\n---\nQ: x\nA:");
    expect(renderPrompt(template, "x").prompt).toEqual({
      kind: "chat",
      systemPrompt: "Name the tool.",
      messages: [
        { role: "user", content: "cuts wood on a lathe" },
        { role: "assistant", content: "gouge" },
        { role: "user", content: "x" },
      ],
    });
    // The default separator stays implicit, so suites and runs that never set one hash as before.
    expect("separator" in builderPromptTemplate(spec)).toBe(false);
  });
});
