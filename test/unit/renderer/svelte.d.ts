// Type-checks renderer stores and components from test files (tsconfig.test.json has no
// svelte types of its own): the rune globals and the `*.svelte` module declaration.
/// <reference types="svelte" />
