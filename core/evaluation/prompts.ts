// Turns an item into what the engine is asked: a raw or chat prompt from the suite's
// template (a `{{input}}` template or the prompt builder, so zero- and few-shot runs of
// one suite differ only in `mode`), the judge's rubric prompt and the parsing of its
// verdict. Called by the run pipeline (core/evaluation/runner.ts).
import type { PromptInput } from "../engine/types.ts";
import { buildPrompt } from "../sampling/promptBuilder.ts";
import type { JudgeSpec, PromptTemplate } from "./types.ts";

/** The prompt for one input, as text (for display and storage) and as the engine's prompt. */
export interface RenderedPrompt {
  /** Raw text, or the chat turns joined for display. */
  text: string;
  prompt: PromptInput;
}

/** Renders the suite's template for one input. */
export function renderPrompt(template: PromptTemplate, input: string): RenderedPrompt {
  if (template.kind === "template") {
    const text = template.template.split("{{input}}").join(input);
    return template.chat
      ? { text, prompt: { kind: "chat", messages: [{ role: "user", content: text }] } }
      : { text, prompt: { kind: "raw", text } };
  }
  const built = buildPrompt({
    instruction: template.instruction,
    examples: template.examples,
    mode: template.mode,
    shots: template.shots,
    inputLabel: template.inputLabel,
    outputLabel: template.outputLabel,
    ...(template.separator !== undefined ? { separator: template.separator } : {}),
    input,
  });
  if (!template.chat) return { text: built.text, prompt: { kind: "raw", text: built.text } };
  const system = built.messages.find((m) => m.role === "system");
  const messages = built.messages.filter((m) => m.role !== "system");
  return {
    text: built.messages.map((m) => `${m.role}: ${m.content}`).join("\n\n"),
    prompt: { kind: "chat", messages, ...(system ? { systemPrompt: system.content } : {}) },
  };
}

/** The multiple-choice context: the rendered prompt as raw text (log-likelihood is scored on raw text). */
export function renderContext(template: PromptTemplate, input: string): string {
  return renderPrompt({ ...template, chat: false }, input).text;
}

/** Grammar that limits a constrained judge to "Yes" or "No". */
export const JUDGE_VERDICT_GRAMMAR = 'root ::= "Yes" | "No"';

/** The judge's question about one answer. */
export function judgePrompt(judge: JudgeSpec, input: string, prediction: string): string {
  return [
    "You are grading an answer written by an AI assistant. Read the request and the answer, then answer the question about it with Yes or No only.",
    `Request:\n${input}`,
    `Answer:\n${prediction}`,
    `Question: ${judge.rubric}`,
    "Reply with exactly one word: Yes or No.",
  ].join("\n\n");
}

/** Reads a judge's reply: a leading Yes/No, else the first standalone yes/no; null when neither. */
export function parseVerdict(reply: string): "yes" | "no" | null {
  const lead = /^[\s"'*([]*(yes|no)\b/i.exec(reply);
  const m = lead ?? /\b(yes|no)\b/i.exec(reply);
  if (!m) return null;
  return m[1]!.toLowerCase() === "yes" ? "yes" : "no";
}
