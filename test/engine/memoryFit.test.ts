// Memory fit before loading (engine/host/memoryFit.ts): node-llama-cpp's estimate for a model
// file with a context size and GPU layers against free memory, on the CPU backend with one
// thread. Checks: the tiny successor fits, a 2M-token context needs more RAM than a small one
// (monotonic in context size and sequences), nothing gets loaded, and a file llama.cpp would
// abort on is refused by the validator first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import { EngineError } from "../../core/engine/errors.ts";
import { fixture } from "../helpers/fixtures.ts";
import { testEngine } from "./engineTestUtils.ts";

let engine: EngineClient;

beforeAll(() => {
  engine = testEngine({ gpu: "cpu" });
});
afterAll(async () => {
  await engine?.dispose();
});

describe("memory fit", () => {
  it("says the successor fits in RAM on the CPU backend, with the numbers", async () => {
    const fit = await engine.memoryFit({ path: fixture.successor, contextSize: 512 });
    expect(fit).toMatchObject({
      verdict: "fits",
      backend: "cpu",
      totalLayers: 2, // 1 block + the output layer, as llama.cpp counts GPU layers
      gpuLayers: 0,
      maxGpuLayersThatFit: 0,
      contextSize: 512,
      sequences: 1,
      trainContextSize: 4096,
    });
    expect(fit.reason).toMatch(/RAM/);
    expect(fit.ram.needed).toBe(fit.ram.model + fit.ram.context);
    expect(fit.ram.model).toBeGreaterThan(0);
    expect(fit.ram.context).toBeGreaterThan(0);
    expect(fit.ram.needed).toBeLessThanOrEqual(fit.ram.free);
    expect(fit.ram.free).toBeLessThanOrEqual(fit.ram.total);
    expect(fit.vram).toMatchObject({ model: 0, context: 0, needed: 0 });
    // Nothing was loaded to get there.
    expect((await engine.status()).models).toEqual([]);
  });

  it("needs more RAM for a bigger context and for more sequences, the model's share unchanged", async () => {
    const small = await engine.memoryFit({ path: fixture.successor, contextSize: 256 });
    const mid = await engine.memoryFit({ path: fixture.successor, contextSize: 8192 });
    const huge = await engine.memoryFit({ path: fixture.successor, contextSize: 1 << 21 });
    const twoSeq = await engine.memoryFit({ path: fixture.successor, contextSize: 8192, sequences: 2 });
    expect(huge.contextSize).toBe(1 << 21);
    expect(small.ram.context).toBeLessThan(mid.ram.context);
    expect(mid.ram.context).toBeLessThan(huge.ram.context);
    expect(mid.ram.context).toBeLessThan(twoSeq.ram.context);
    expect(new Set([small.ram.model, mid.ram.model, huge.ram.model]).size).toBe(1);
    // Every verdict is consistent with its own numbers.
    for (const f of [small, mid, huge, twoSeq]) {
      expect(f.verdict).toBe(f.ram.needed > f.ram.free ? "won't fit" : "fits");
    }
  });

  it("uses min(4096, trained context) when no size is given, and pads to 256", async () => {
    expect((await engine.memoryFit({ path: fixture.demo })).contextSize).toBe(4096);
    expect((await engine.memoryFit({ path: fixture.demo, contextSize: 300 })).contextSize).toBe(512);
  });

  it("refuses a file llama.cpp would abort on, before llama.cpp sees it", async () => {
    const err = await engine.memoryFit({ path: fixture.broken.zeroBlocks }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).reason).toBe("invalid_gguf");
    expect((err as EngineError).message).toMatch(/block_count is 0/);
    // The host is still the same process.
    expect((await engine.status()).restarts).toBe(0);
  });
});
