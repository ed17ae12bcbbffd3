// The early-stop check of the critique loop: does a critique say there is nothing to
// fix? Configurable (phrases at the start or anywhere, a regex, or never); the default
// matches the answer the critique prompt asks for when there is nothing to change.
import type { StopCheck } from "./types.ts";

/** What the critique prompt asks the model to say when the answer needs no change. */
export const NO_ISSUES_REPLY = "No issues.";

/** The default check: the critique opens with one of these phrases. */
export const defaultStopCheck: StopCheck = {
  kind: "phrases",
  phrases: ["no issues", "nothing to fix", "no changes needed", "no revision needed", "the answer is fine"],
  match: "start",
};

/** Lowercase, quotes and markdown emphasis dropped, whitespace collapsed: phrases match however they are dressed. */
function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[*_`"'“”‘’]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** True when the critique finds nothing to fix under `check`. */
export function critiqueFindsNothing(critique: string, check: StopCheck): boolean {
  switch (check.kind) {
    case "never":
      return false;
    case "regex":
      return new RegExp(check.pattern, check.flags).test(critique);
    case "phrases": {
      const text = normalise(critique);
      return check.phrases.some((p) => {
        const phrase = normalise(p).replace(/[.!]+$/, "");
        if (!phrase) return false;
        if (check.match === "anywhere") return text.includes(phrase);
        // At the start, ending at a word boundary ("no issues." yes, "no issuesxyz" no).
        return text.startsWith(phrase) && !/[a-z0-9]/.test(text.charAt(phrase.length));
      });
    }
  }
}
