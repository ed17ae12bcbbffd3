// Vitest globalSetup for the engine and e2e projects: make sure the generated GGUF fixtures
// exist before any test loads a model.
import { ensureFixtures } from "../helpers/fixtures.ts";

export default async function setup(): Promise<void> {
  await ensureFixtures();
}
