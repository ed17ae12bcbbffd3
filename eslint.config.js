// Lint, and the import-direction table of docs/ARCHITECTURE.md enforced mechanically:
// zones say which folders may import which; banned packages keep each layer honest.
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import svelte from "eslint-plugin-svelte";
import globals from "globals";

/** Node built-ins by import string, anchored so core's own "../util/x.ts" is not mistaken for "util". */
const nodeBuiltins = { regex: "^(node:|(fs|path|os|child_process|worker_threads|net|http|https|crypto|stream|url|util|events|buffer)(/|$))" };
const banned = (names, why) => names.map((name) => ({ group: [name], message: why }));
/** Relative imports climbing out to another top-level layer; caught even before the target file exists. */
const layerRegex = (layers) => `^(\\.\\./)+(${layers.join("|")})(/|$)`;

/** Which folders each layer must not import (import-x/no-restricted-paths zones). */
const zones = [
  { target: "./core", from: ["./db", "./engine", "./electron", "./server", "./renderer", "./test", "./bench", "./scripts"], message: "core/ is pure: it imports nothing outside core/." },
  { target: "./db", from: ["./engine", "./electron", "./server", "./renderer", "./test", "./bench"], message: "db/ may import core/ only." },
  { target: "./engine", from: ["./db", "./electron", "./server", "./renderer", "./test", "./bench"], message: "engine/ may import core/ only." },
  { target: "./electron", from: ["./server", "./renderer", "./test", "./bench"], message: "electron/ may import core/, db/, engine/." },
  { target: "./server", from: ["./electron", "./renderer", "./test", "./bench"], message: "server/ may import core/, db/, engine/." },
  { target: "./renderer", from: ["./db", "./engine", "./electron", "./server", "./test", "./bench", "./scripts"], message: "renderer/ talks only through the typed API (core/api) and pure core/ helpers." },
];

export default tseslint.config(
  { ignores: ["node_modules/", "out/", "dist/", ".fixtures/", "test-results/", "bench/results/", "bench/.cache/", "coverage/", "release/", "**/*.d.ts"] },
  ...tseslint.configs.recommended,
  ...svelte.configs["flat/recommended"],
  {
    plugins: { "import-x": importX },
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "import-x/no-restricted-paths": ["error", { zones }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: [".svelte"] }, globals: { ...globals.browser } },
  },
  {
    files: ["core/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [
        { ...nodeBuiltins, message: "core/ is pure TypeScript: no Node built-ins (put I/O behind a port)." },
        ...banned(["electron", "node-llama-cpp", "better-sqlite3", "ws", "svelte", "svelte/*"], "core/ imports no runtime, database, engine or UI package."),
      ] }],
    },
  },
  {
    files: ["db/**"],
    rules: { "no-restricted-imports": ["error", { patterns: banned(["electron", "node-llama-cpp", "svelte", "svelte/*"], "db/ is the SQLite layer only.") }] },
  },
  {
    files: ["engine/**"],
    rules: { "no-restricted-imports": ["error", { patterns: banned(["electron", "better-sqlite3", "svelte", "svelte/*"], "engine/ is the node-llama-cpp layer only (electron's utilityProcess is started by electron/).") }] },
  },
  {
    files: ["server/**", "electron/**"],
    rules: { "no-restricted-imports": ["error", { patterns: banned(["node-llama-cpp"], "Only engine/ imports node-llama-cpp; use the engine client.") }] },
  },
  {
    files: ["renderer/**"],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "no-restricted-imports": ["error", { patterns: [
        { ...nodeBuiltins, message: "renderer/ runs in a browser context: no Node built-ins." },
        ...banned(["electron", "node-llama-cpp", "better-sqlite3", "ws"], "renderer/ talks only through the typed API client."),
        { regex: layerRegex(["db", "engine", "electron", "server", "test", "bench", "scripts"]), message: "renderer/ talks only through the typed API (core/api) and pure core/ helpers." },
      ] }],
    },
  },
);
