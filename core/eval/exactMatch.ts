// Exact match as lm-evaluation-harness `exact_match_hf_evaluate` (the HF `evaluate` port):
// optional regex removal (Python `re` patterns), lowercasing, ASCII punctuation and digit
// removal, then string equality where trailing NULs do not count (numpy unicode arrays drop
// them). Called by the metric registry. SPEC: shared/metrics/SPEC.md §4.2.
import { z } from "zod";
import { compilePythonRegex, pyRegexRemove } from "./pyRegex.ts";
import { ASCII_PUNCTUATION, pyLower } from "./text.ts";

export const exactMatchOptionsSchema = z
  .object({
    /** Python `re` patterns removed from both sides, in order, before anything else. Default none. */
    regexesToIgnore: z.array(z.string()).optional(),
    /** Compare after Python lower(). Default false. */
    ignoreCase: z.boolean().default(false),
    /** Delete ASCII punctuation (string.punctuation) only; "。" and "’" stay. Default false. */
    ignorePunctuation: z.boolean().default(false),
    /** Delete ASCII digits 0-9 only. Default false. */
    ignoreNumbers: z.boolean().default(false),
  })
  .strict();

/** Options of {@link exactMatch}; every field is optional. */
export type ExactMatchOptions = z.input<typeof exactMatchOptionsSchema>;

const PUNCT_RE = new RegExp(`[${ASCII_PUNCTUATION.replace(/[\\\]^-]/g, "\\$&")}]`, "g");
const DIGITS_RE = /[0-9]/g;
const TRAILING_NUL = /\0+$/;

/** A compiled normalizer: the text each side is reduced to before comparison. */
export type ExactMatchNormalizer = (s: string) => string;

/** Builds the normalizer for a set of options (compiles the regexes once). */
export function exactMatchNormalizer(options?: ExactMatchOptions): ExactMatchNormalizer {
  const o = exactMatchOptionsSchema.parse(options ?? {});
  const regexes = (o.regexesToIgnore ?? []).map(compilePythonRegex);
  return (input) => {
    // numpy's fixed-width unicode arrays drop trailing NULs when the strings first enter an
    // array: after the first regex when there are regexes, right away otherwise.
    let s = input;
    if (regexes.length === 0) s = s.replace(TRAILING_NUL, "");
    for (const re of regexes) s = pyRegexRemove(re, s).replace(TRAILING_NUL, "");
    if (o.ignoreCase) s = pyLower(s);
    if (o.ignorePunctuation) s = s.replace(PUNCT_RE, "");
    if (o.ignoreNumbers) s = s.replace(DIGITS_RE, "");
    return s.replace(TRAILING_NUL, "");
  };
}

/**
 * 1 when the normalized prediction equals the normalized reference, else 0. With several
 * references the item counts as a match when any of them matches (lm-eval's multiple targets).
 */
export function exactMatch(
  prediction: string,
  references: string | readonly string[],
  options?: ExactMatchOptions,
): number {
  const norm = exactMatchNormalizer(options);
  const p = norm(prediction);
  const refs = typeof references === "string" ? [references] : references;
  return refs.some((r) => norm(r) === p) ? 1 : 0;
}
