// Public surface of core/evaluation: dataset import, suites, the run pipeline, judge
// prompts, scoring and comparisons, exports and builtin suites. Imported by the evaluation
// service, db/evaluation.ts, the CLI and the renderer.
export * from "./builtinSuites.ts";
export * from "./datasets.ts";
export * from "./exportRun.ts";
export * from "./hash.ts";
export * from "./highlight.ts";
export type * from "./ports.ts";
export * from "./prompts.ts";
export * from "./runner.ts";
export * from "./scoring.ts";
export * from "./types.ts";
