// Every sampling field as people see it in the preset editor: a label, its range and
// step, and one line on what it does, plus validation that names the field at fault
// (through samplingConfigSchema, so the editor and the API agree). Used by the Sampling
// panel's preset editor and the preset import.
import { samplingConfigSchema, type SamplingConfig, type SamplingConfigInput } from "./config.ts";

/** How a field is edited. */
export type FieldKind = "number" | "integer" | "boolean" | "seed" | "strings" | "tokenBias" | "text" | "json";

/** One editable field. */
export interface SamplingField {
  /** Dotted path into SamplingConfig, e.g. "repeatPenalty.penalty". */
  path: string;
  /** Short label. */
  label: string;
  /** One line: what it does and which value switches it off. */
  help: string;
  kind: FieldKind;
  /** Lowest allowed value (numbers). */
  min?: number;
  /** Highest allowed value (numbers). */
  max?: number;
  /** Slider step (numbers). */
  step?: number;
  /** Group heading in the editor. */
  group: "Randomness" | "Truncation" | "Repetition" | "DRY" | "XTC" | "Length and stops" | "Constraints";
}

export const samplingFields: readonly SamplingField[] = [
  { path: "temperature", label: "Temperature", help: "Divides the logits: below 1 sharpens, above 1 flattens; 0 always takes the most likely token.", kind: "number", min: 0, max: 10, step: 0.05, group: "Randomness" },
  { path: "seed", label: "Seed", help: "Fixes the random draws so a run can be repeated; empty picks a new one each time.", kind: "seed", min: 0, max: 0xffff_ffff, step: 1, group: "Randomness" },
  { path: "topK", label: "Top-k", help: "Keeps only the k most likely tokens; 0 keeps the whole vocabulary.", kind: "integer", min: 0, max: 1_000_000, step: 1, group: "Truncation" },
  { path: "topP", label: "Top-p", help: "Keeps the fewest most likely tokens whose probabilities add up to p; 1 is off.", kind: "number", min: 0, max: 1, step: 0.01, group: "Truncation" },
  { path: "minP", label: "Min-p", help: "Drops tokens less likely than p times the best one; 0 is off.", kind: "number", min: 0, max: 1, step: 0.01, group: "Truncation" },
  { path: "repeatPenalty.penalty", label: "Repeat penalty", help: "Makes recently generated tokens less likely (divides their logits); 1 is off.", kind: "number", min: 0, max: 10, step: 0.01, group: "Repetition" },
  { path: "repeatPenalty.frequencyPenalty", label: "Frequency penalty", help: "Subtracted once per time a token appeared recently; 0 is off.", kind: "number", min: -2, max: 2, step: 0.05, group: "Repetition" },
  { path: "repeatPenalty.presencePenalty", label: "Presence penalty", help: "Subtracted once from every token that appeared recently; 0 is off.", kind: "number", min: -2, max: 2, step: 0.05, group: "Repetition" },
  { path: "repeatPenalty.lastTokens", label: "Penalty window", help: "How many of the last generated tokens count as recent; 0 switches the penalties off.", kind: "integer", min: 0, max: 8192, step: 1, group: "Repetition" },
  { path: "repeatPenalty.penalizeNewLine", label: "Penalise newlines", help: "Whether the newline token can be penalised too.", kind: "boolean", group: "Repetition" },
  { path: "dry.multiplier", label: "DRY multiplier", help: "Strength of the penalty on repeating earlier sequences; 0 is off, 0.8 is usual.", kind: "number", min: 0, max: 5, step: 0.05, group: "DRY" },
  { path: "dry.base", label: "DRY base", help: "How fast the penalty grows with the length of the repeat.", kind: "number", min: 1, max: 4, step: 0.05, group: "DRY" },
  { path: "dry.allowedLength", label: "DRY allowed length", help: "Repeats up to this many tokens long go unpunished.", kind: "integer", min: 1, max: 64, step: 1, group: "DRY" },
  { path: "dry.lastTokens", label: "DRY window", help: "How many recent tokens to search for repeats; empty means the whole context.", kind: "seed", min: 0, max: 65_536, step: 1, group: "DRY" },
  { path: "dry.sequenceBreakers", label: "DRY breakers", help: "Texts that end a repeated sequence, one per line (quote one to write \\n or spaces).", kind: "strings", group: "DRY" },
  { path: "xtc.probability", label: "XTC probability", help: "Chance per token that the top choices are excluded; 0 is off.", kind: "number", min: 0, max: 1, step: 0.01, group: "XTC" },
  { path: "xtc.threshold", label: "XTC threshold", help: "Tokens at least this likely count as top choices; above 0.5 it never triggers.", kind: "number", min: 0, max: 1, step: 0.01, group: "XTC" },
  { path: "maxTokens", label: "Max tokens", help: "Stops after this many generated tokens.", kind: "integer", min: 1, max: 1_000_000, step: 1, group: "Length and stops" },
  { path: "stopStrings", label: "Stop strings", help: "Generation ends when one of these appears (one per line, quote one to write \\n); it is not part of the output.", kind: "strings", group: "Length and stops" },
  { path: "tokenBias", label: "Token bias", help: "Per token (id or text) a logit offset from -100 to 100, or never; one per line as token=offset.", kind: "tokenBias", group: "Constraints" },
  { path: "grammar", label: "Grammar (GBNF)", help: "The output must follow this grammar; exclusive with a JSON schema.", kind: "text", group: "Constraints" },
  { path: "jsonSchema", label: "JSON schema", help: "The output must be JSON matching this schema; exclusive with a grammar.", kind: "json", group: "Constraints" },
];

/** Reads a dotted path from a config. */
export function getField(config: SamplingConfigInput, path: string): unknown {
  let v: unknown = config;
  for (const k of path.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** A copy of the config with one dotted path set (undefined removes it). */
export function setField(config: SamplingConfigInput, path: string, value: unknown): SamplingConfigInput {
  const keys = path.split(".");
  const out = structuredClone(config) as Record<string, unknown>;
  let o = out;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    o[k] = next && typeof next === "object" ? { ...(next as Record<string, unknown>) } : {};
    o = o[k] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return out as SamplingConfigInput;
}

/** The outcome of validating a config. */
export type ConfigValidation =
  | { ok: true; config: SamplingConfig }
  /** `errors` maps a dotted field path (or "(config)") to what is wrong with it. */
  | { ok: false; errors: Record<string, string> };

/** Validates a config against samplingConfigSchema, naming each field at fault. */
export function validateSamplingConfig(input: unknown): ConfigValidation {
  const r = samplingConfigSchema.safeParse(input);
  if (r.success) return { ok: true, config: r.data };
  const errors: Record<string, string> = {};
  for (const issue of r.error.issues) {
    // Array entries (stop strings, bias lines) report on their field.
    const path = issue.path.filter((p) => typeof p === "string").join(".") || "(config)";
    errors[path] ??= issue.message;
  }
  return { ok: false, errors };
}

/** A list of texts as editable lines: plain when unambiguous, else as a JSON string ("\n", " x"). */
export function stringsToLines(list: readonly string[]): string {
  return list.map((t) => (/^[^\s"][^\n\r\t]*[^\s]$|^[^\s"]$/.test(t) ? t : JSON.stringify(t))).join("\n");
}

/** Reads texts from lines written by stringsToLines (a line in double quotes is a JSON string); throws naming the line. */
export function linesToStrings(text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    if (line.startsWith('"')) {
      try {
        const v: unknown = JSON.parse(line);
        if (typeof v !== "string") throw new Error("not a string");
        out.push(v);
      } catch {
        throw new Error(`line ${i + 1}: a quoted line must be one JSON string, e.g. "\\n"`);
      }
    } else out.push(line);
  });
  return out;
}

/** Token bias as editable lines ("id=offset", "text=offset", "text=never"). */
export function tokenBiasToText(entries: SamplingConfig["tokenBias"]): string {
  return entries.map((e) => `${typeof e.token === "number" ? e.token : JSON.stringify(e.token)}=${e.logit}`).join("\n");
}

/** Parses token bias lines; a bare number is a token id, a quoted or other text is text. Throws naming the line. */
export function tokenBiasFromText(text: string): SamplingConfig["tokenBias"] {
  const out: SamplingConfig["tokenBias"] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const eq = line.lastIndexOf("=");
    if (eq <= 0) throw new Error(`line ${i + 1}: write token=offset (e.g. 42=-5 or "the"=never)`);
    const left = line.slice(0, eq).trim();
    const right = line.slice(eq + 1).trim();
    let token: number | string;
    if (/^\d+$/.test(left)) token = Number(left);
    else if (/^".*"$/.test(left)) token = JSON.parse(left) as string;
    else token = left;
    const logit = right === "never" ? "never" : Number(right);
    if (logit !== "never" && (!Number.isFinite(logit) || logit < -100 || logit > 100)) throw new Error(`line ${i + 1}: the offset must be a number from -100 to 100, or never`);
    out.push({ token, logit });
  });
  return out;
}
