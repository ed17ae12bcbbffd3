// Bundles the desktop shell: main (ESM) and the sandboxed preload (CommonJS, as
// sandboxed preloads must be). node-llama-cpp and better-sqlite3 stay external: they
// are native and load from node_modules (asar-unpacked by electron-builder).
import { defineConfig } from "electron-vite";

const external = ["electron", "node-llama-cpp", "better-sqlite3", "ws", /^node:/];

export default defineConfig({
  main: {
    build: {
      outDir: "out/main",
      rollupOptions: { input: { index: "electron/main.ts", engineHost: "engine/host/main.ts", downloadWorker: "engine/download/worker.ts" }, external, output: { format: "es", entryFileNames: "[name].js" } },
    },
  },
  preload: {
    build: {
      outDir: "out/preload",
      rollupOptions: { input: { index: "electron/preload.ts" }, external, output: { format: "cjs", entryFileNames: "[name].cjs" } },
    },
  },
});
