// Test projects, one per folder of test/ (see docs/ARCHITECTURE.md "Tests").
// Engine and e2e tests run real llama.cpp and Chromium on a 2-core machine, so they
// run one file at a time; unit, db and api files run in parallel.
import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  test: {
    globals: true,
    reporters: ["default", "./test/summaryReporter.ts"],
    projects: [
      {
        plugins: [svelte()],
        resolve: { conditions: ["browser"] },
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 30_000,
          environment: "node",
          globals: true,
          globalSetup: [],
        },
      },
      { test: { name: "db", include: ["test/db/**/*.test.ts"], environment: "node", globals: true, testTimeout: 30_000 } },
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          environment: "node",
          globals: true,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ["test/setup/fixtures.ts"],
        },
      },
      {
        test: {
          name: "api",
          include: ["test/api/**/*.test.ts"],
          environment: "node",
          globals: true,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ["test/setup/fixtures.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globals: true,
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          globalSetup: ["test/setup/fixtures.ts", "test/setup/renderer.ts"],
        },
      },
    ],
  },
});
