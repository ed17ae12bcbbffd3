// The chat messages the critique loop and the AI judge send to the model. The critique
// and revision follow the conversation (question, answer, critique request, critique,
// revision request), as in constitutional AI; the judge sees both answers labelled A
// and B and is asked for one letter. Pure: the pipeline and judge build with these.
import type { ChatMessage } from "../engine/types.ts";
import { NO_ISSUES_REPLY } from "./stopCheck.ts";
import type { Principle } from "./types.ts";

/** The request that asks for a critique under the round's principles. */
export function critiqueRequestText(principles: readonly Principle[]): string {
  const escape = `If the answer already satisfies ${principles.length === 1 ? "this" : "all of them"}, reply only: "${NO_ISSUES_REPLY}"`;
  if (principles.length === 1) return `${principles[0]!.critiqueRequest}\n\n${escape}`;
  const list = principles.map((p, i) => `${i + 1}. ${p.name}: ${p.critiqueRequest}`).join("\n");
  return `Critique the last answer under each of these principles:\n\n${list}\n\n${escape}`;
}

/** The request that asks for a revision after the critique. */
export function revisionRequestText(principles: readonly Principle[]): string {
  if (principles.length === 1) return principles[0]!.revisionRequest;
  const list = principles.map((p, i) => `${i + 1}. ${p.name}: ${p.revisionRequest}`).join("\n");
  return `Rewrite the answer so that it fixes what the critique found, following these principles:\n\n${list}\n\nGive only the rewritten answer.`;
}

/** Messages asking for the first answer. */
export function responseMessages(prompt: string): ChatMessage[] {
  return [{ role: "user", content: prompt }];
}

/** Messages asking for a critique of `answer`. */
export function critiqueMessages(prompt: string, answer: string, principles: readonly Principle[]): ChatMessage[] {
  return [
    { role: "user", content: prompt },
    { role: "assistant", content: answer },
    { role: "user", content: critiqueRequestText(principles) },
  ];
}

/** Messages asking for a revision of `answer` after `critique`. */
export function revisionMessages(prompt: string, answer: string, principles: readonly Principle[], critique: string): ChatMessage[] {
  return [
    ...critiqueMessages(prompt, answer, principles),
    { role: "assistant", content: critique },
    { role: "user", content: revisionRequestText(principles) },
  ];
}

/** The judge's question: which of two answers (shown as A then B) better follows the principles. */
export function judgeMessages(prompt: string, first: string, second: string, principles: readonly Principle[]): ChatMessage[] {
  const rules = principles.map((p) => `- ${p.name}: ${p.critiqueRequest}`).join("\n");
  const content = [
    "Compare two answers to the same request.",
    "",
    "Request:",
    "<<<",
    prompt,
    ">>>",
    "",
    "Answer A:",
    "<<<",
    first,
    ">>>",
    "",
    "Answer B:",
    "<<<",
    second,
    ">>>",
    "",
    `Judge them by ${principles.length === 1 ? "this principle" : "these principles"} (what a careful critic would check):`,
    rules,
    "",
    "Which answer follows it better? Reply with the single letter A or B.",
  ].join("\n");
  return [{ role: "user", content }];
}

/** A GBNF grammar that lets the judge say only "A" or "B". */
export const JUDGE_GRAMMAR = 'root ::= "A" | "B"';

/**
 * Reads a judge's reply: a leading letter ("A", "(B)", "B."), else the first "Answer A"
 * / "Response B" / "Option A" mention. Lowercase "a" is an article, so a bare letter
 * counts only in capitals. Null when no verdict can be read.
 */
export function parseJudgeVerdict(text: string): "A" | "B" | null {
  const t = text.trim();
  const lead = /^[\s*_`"'(]*([AB])(?![A-Za-z0-9])/.exec(t);
  if (lead) return lead[1] as "A" | "B";
  const named = /\b(?:answer|response|option)\s*\(?([ab])\)?(?![A-Za-z0-9])/i.exec(t);
  if (named) return named[1]!.toUpperCase() as "A" | "B";
  return null;
}
