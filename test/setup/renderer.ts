// Vitest globalSetup for e2e: builds the renderer once per run so Chromium tests the
// same bundle `lathe serve` ships.
import { build } from "vite";
import { fileURLToPath } from "node:url";

export default async function setup(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL("../../vite.renderer.config.ts", import.meta.url)), logLevel: "warn" });
}
