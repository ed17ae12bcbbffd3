// Maps a saved prompt-builder template (core/sampling/promptBuilder.ts, made in the
// Sampling panel) onto an evaluation prompt template, so one suite can be run zero-,
// one- and few-shot from the same examples and the runs compared. The item's input takes
// the place of the template's own input. Called by the Evaluate panel.
import type { PromptSpec, ShotMode } from "../sampling/promptBuilder.ts";
import type { PromptTemplate } from "./types.ts";

/** Options for builderPromptTemplate. */
export interface BuilderPromptOptions {
  /** Shot mode of the run; default: the template's own. */
  mode?: ShotMode;
  /** Send as chat turns (instruction as system, examples as pairs). Default false (raw text). */
  chat?: boolean;
}

/** The evaluation prompt template of a builder spec (its `input` is left out: each item supplies one). */
export function builderPromptTemplate(spec: PromptSpec, options: BuilderPromptOptions = {}): PromptTemplate {
  return {
    kind: "builder",
    instruction: spec.instruction,
    examples: spec.examples.map((e) => ({ input: e.input, output: e.output })),
    mode: options.mode ?? spec.mode,
    shots: spec.shots,
    inputLabel: spec.inputLabel,
    outputLabel: spec.outputLabel,
    chat: options.chat ?? false,
    // The default separator stays implicit, so the run's config reads as before.
    ...(spec.separator !== "\n\n" ? { separator: spec.separator } : {}),
  };
}
