// ModelSlot's fallback when a wider context (parallel compare columns, scoring lanes)
// cannot be created: the lease comes from the model's own context instead, the reason is
// logged, and concurrent leases then take turns on its one sequence. A context that fails
// for the narrow width too, an adapter mismatch or a cancel is still an error. The model
// is a stand-in whose createContext fails above one sequence (a real allocation failure
// cannot be provoked here: llama.cpp's buffers are allocated lazily).
import { describe, expect, it } from "vitest";
import type { LlamaModel } from "node-llama-cpp";
import { ModelSlot } from "../../engine/host/ModelSlot.ts";
import { LogBuffer } from "../../engine/host/LogBuffer.ts";
import { EngineError } from "../../core/engine/errors.ts";
import type { ModelInfo } from "../../core/engine/types.ts";

function fakeModel(maxSequences: number) {
  const created: number[] = [];
  const model = {
    async createContext(options: { sequences: number; contextSize: number }) {
      if (options.sequences > maxSequences) throw new Error("Failed to create context: not enough memory for the KV cache");
      created.push(options.sequences);
      return {
        contextSize: options.contextSize,
        disposed: false,
        memoryUsage: { ram: 0, vram: 0 },
        getSequence: () => ({ contextSize: options.contextSize }),
        async dispose() {
          this.disposed = true;
        },
      };
    },
  };
  return { model: model as unknown as LlamaModel, created };
}

function slot(maxSequences: number) {
  const { model, created } = fakeModel(maxSequences);
  const logs = new LogBuffer();
  const s = new ModelSlot(
    { id: "m" } as ModelInfo,
    model,
    null,
    { contextSize: 256, sequences: 1, threads: 1, flashAttention: "auto" },
    { maxContexts: 4, maxBytes: null, validateAdapters: false },
    logs,
  );
  return { s, created, logs };
}

describe("ModelSlot wide-context fallback", () => {
  it("leases from the model's own context when a 4-sequence context cannot be made, and says why", async () => {
    const { s, created, logs } = slot(1);
    const a = await s.lease([], undefined, 1, 4);
    expect(a.sequences).toHaveLength(1);
    expect(created).toEqual([1]);
    expect(logs.since(0).join("\n")).toMatch(/a context with 4 sequences could not be created \(.*not enough memory.*\); using the model's own context/);
    // A second concurrent lease waits for the one sequence, then gets it.
    let second = false;
    const b = s.lease([], undefined, 1, 4).then((l) => {
      second = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false);
    a.release();
    (await b).release();
    expect(second).toBe(true);
    expect(s.contextStatus().map((c) => c.sequences)).toEqual([1]);
  });

  it("uses the wide context when it can be made", async () => {
    const { s, created } = slot(4);
    const a = await s.lease([], undefined, 4, 4);
    expect(a.sequences).toHaveLength(4);
    expect(created).toEqual([4]);
    a.release();
  });

  it("still fails when even the model's own context cannot be made, or the lease was cancelled", async () => {
    const { s } = slot(0);
    const err = (await s.lease([], undefined, 1, 4).catch((e: unknown) => e)) as EngineError;
    expect(err).toBeInstanceOf(EngineError);
    expect(err.message).toContain("not enough memory");
    const { s: s2, created } = slot(1);
    const cancelled = (await s2.lease([], AbortSignal.abort(), 1, 4).catch((e: unknown) => e)) as EngineError;
    expect(cancelled).toBeInstanceOf(EngineError);
    expect(cancelled.reason).toBe("cancelled");
    expect(created).toEqual([]);
  });
});
