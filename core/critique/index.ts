// Public face of core/critique: constitutions, prompt sets, the critique pipeline, AI
// judging, rankings, agreement, diffs and training-data formats.
export * from "./types.ts";
export * from "./constitution.ts";
export * from "./promptSets.ts";
export * from "./principles.ts";
export * from "./stopCheck.ts";
export * from "./prompts.ts";
export * from "./pipeline.ts";
export * from "./judge.ts";
export * from "./ranking.ts";
export * from "./agreement.ts";
export * from "./exportFormats.ts";
export * from "./diff.ts";
export type { CritiqueStore } from "./ports.ts";
