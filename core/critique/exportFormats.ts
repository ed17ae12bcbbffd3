// Training-data formats: SFT JSONL (`messages` ending in the final revision) and
// preference JSONL (`prompt`, `chosen`, `rejected`, plain strings or conversational
// message lists, as TRL-style trainers read them), plus the preference selection the
// export filters apply. Pure; the critique service writes files from these.
import type { ChatMessage } from "../engine/types.ts";
import type { CritiqueRun, Preference } from "./types.ts";

/** Kinds of export. */
export type ExportKind = "sft" | "preferences";
/** Preference record shapes: plain strings, or lists of chat messages. */
export type PreferenceForm = "plain" | "conversational";

/** One SFT line: the conversation a model should learn to produce. */
export interface SftRecord {
  messages: ChatMessage[];
}

/** One preference line, plain form. */
export interface PlainPreferenceRecord {
  prompt: string;
  chosen: string;
  rejected: string;
}

/** One preference line, conversational form. */
export interface ConversationalPreferenceRecord {
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
}

/** A preference pair ready to write. */
export interface PreferencePair {
  prompt: string;
  systemPrompt: string;
  chosen: string;
  rejected: string;
}

/** The SFT record of a finished run: [system], user prompt, assistant final answer. */
export function sftRecord(run: Pick<CritiqueRun, "prompt" | "systemPrompt" | "final">): SftRecord {
  if (run.final === null) throw new Error("A run without a final answer cannot be exported for SFT.");
  return {
    messages: [
      ...(run.systemPrompt ? [{ role: "system" as const, content: run.systemPrompt }] : []),
      { role: "user", content: run.prompt },
      { role: "assistant", content: run.final },
    ],
  };
}

/** A preference pair as a record of the chosen form (the system prompt goes only into the conversational one). */
export function preferenceRecord(pair: PreferencePair, form: PreferenceForm): PlainPreferenceRecord | ConversationalPreferenceRecord {
  if (form === "plain") return { prompt: pair.prompt, chosen: pair.chosen, rejected: pair.rejected };
  return {
    prompt: [...(pair.systemPrompt ? [{ role: "system" as const, content: pair.systemPrompt }] : []), { role: "user", content: pair.prompt }],
    chosen: [{ role: "assistant", content: pair.chosen }],
    rejected: [{ role: "assistant", content: pair.rejected }],
  };
}

/** JSON Lines: one compact JSON value per line, each ending in a newline. */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join("");
}

/** Which preferences become pairs. */
export interface PreferenceSelection {
  /**
   * "any": every preference with a winner; "humanAndAi": only human preferences the AI
   * judge agreed with (one line each). Default "any".
   */
  agreement?: "any" | "humanAndAi";
  /** Drop pairs whose two texts are identical (nothing to learn). Default true. */
  skipIdentical?: boolean;
}

/** Chosen/rejected pairs from stored preferences under a selection. */
export function selectPreferencePairs(preferences: readonly Preference[], selection: PreferenceSelection = {}): PreferencePair[] {
  const skipIdentical = selection.skipIdentical ?? true;
  let chosen = preferences.filter((p) => p.winner !== null);
  if (selection.agreement === "humanAndAi") {
    const ai = new Map<string, Preference>();
    for (const p of preferences) {
      if (p.source !== "ai") continue;
      const k = `${p.comparisonId}:${p.a}:${p.b}`;
      const have = ai.get(k);
      if (!have || have.createdAt <= p.createdAt) ai.set(k, p);
    }
    chosen = chosen.filter((p) => p.source === "human" && ai.get(`${p.comparisonId}:${p.a}:${p.b}`)?.winner === p.winner);
  }
  return chosen
    .map((p) => {
      const [win, lose] = p.winner === "a" ? [p.textA, p.textB] : [p.textB, p.textA];
      return { prompt: p.prompt, systemPrompt: p.systemPrompt, chosen: win, rejected: lose };
    })
    .filter((pair) => !skipIdentical || pair.chosen !== pair.rejected);
}

/** A file name for an export: lathe-<kind>[-<form>]-<yyyymmdd-hhmm>.jsonl (local time). */
export function exportFileName(kind: ExportKind, form: PreferenceForm | null, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}`;
  return `lathe-${kind}${kind === "preferences" && form ? `-${form}` : ""}-${stamp}.jsonl`;
}
