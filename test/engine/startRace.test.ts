// Calls that arrive while the engine host is still starting wait for it: the app asks for
// the engine status at start-up and a chat message can follow within milliseconds.
import { afterAll, expect, it } from "vitest";
import { fixture } from "../helpers/fixtures.ts";
import { testEngine } from "./engineTestUtils.ts";

const engine = testEngine();
afterAll(() => engine.dispose());

it("serves concurrent first calls once the host has started, from one host", async () => {
  const [status, model, again] = await Promise.all([
    engine.status(),
    engine.loadModel({ path: fixture.successor, sha256: false }),
    engine.status(),
  ]);
  expect(model.architecture).toBe("llama");
  expect(status.pid).not.toBeNull();
  expect(again.pid).toBe(status.pid);
  expect((await engine.status()).counters.modelLoads).toBe(1);
});
