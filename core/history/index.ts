// Public face of core/history: domain types, store ports, errors, export schemas and the
// pure helpers (tree walking, Markdown, JSON locations). Import from here outside core/history.
export * from "./types.ts";
export type * from "./ports.ts";
export * from "./errors.ts";
export * from "./schemas.ts";
export * from "./tree.ts";
export * from "./markdown.ts";
export * from "./jsonLocate.ts";
