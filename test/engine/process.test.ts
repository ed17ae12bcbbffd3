// The host process: crash recovery (killed mid-generation, llama.cpp aborting on a bad
// file), the GGUF validator stopping broken files before llama.cpp sees them, llama.cpp's
// own load errors, a forced backend that is missing, and memory falling after unload.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import { EngineError, EngineStoppedError } from "../../core/engine/errors.ts";
import type { EngineEvent } from "../../core/engine/types.ts";
import { successorNext } from "../../core/fixtures/successor.ts";
import { llamaModelSpec } from "../../core/fixtures/llamaModel.ts";
import { writeGguf } from "../../core/gguf/writer.ts";
import { fixture } from "../helpers/fixtures.ts";
import { expectedText, generateAll, testEngine } from "./engineTestUtils.ts";

let engine: EngineClient;
const events: EngineEvent[] = [];
const raw = (text: string) => ({ kind: "raw" as const, text });

beforeAll(async () => {
  // Info-level logs, so the stop error has llama.cpp lines to carry.
  engine = testEngine({ gpu: "cpu", logLevel: "info" });
  engine.onEvent((e) => {
    if (e.type !== "log") events.push(e);
  });
});
afterAll(async () => {
  await engine?.dispose();
});

describe("crash recovery", () => {
  it("a host killed mid-generation fails the call with 'engine stopped' and the log lines; the next call works", async () => {
    // A long context, so the generation is still running when the first fragment arrives
    // (fragments come at most one per 16 ms).
    const model = await engine.loadModel({ path: fixture.successor, contextSize: 4096 });
    const pid = engine.pid!;
    const received: string[] = [];
    const err = await (async () => {
      for await (const p of engine.generate({ modelId: model.id, prompt: raw("a"), sampling: { temperature: 0, maxTokens: 1_000_000 } })) {
        if (p.type === "fragment") {
          received.push(p.text);
          if (received.length === 1) process.kill(pid, "SIGKILL");
        }
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStoppedError);
    const stopped = err as EngineStoppedError;
    expect(stopped.reason).toBe("engine_stopped");
    expect(stopped.code).toBe("engine_stopped");
    expect(stopped.message).toMatch(/^engine stopped \(signal SIGKILL\)/);
    expect(stopped.logs.some((l) => /llama|load|context/i.test(l))).toBe(true);

    // The stop is an event and part of status; the lost model must be loaded again.
    const stop = events.find((e) => e.type === "stopped");
    expect(stop).toMatchObject({ type: "stopped", reason: "signal SIGKILL", lostModels: [{ id: model.id, path: fixture.successor }] });
    const lost = (await generateAll(engine, { modelId: model.id, prompt: raw("a") }).catch((e: unknown) => e)) as EngineError;
    expect(lost.reason).toBe("model_not_loaded");
    expect(lost.message).toContain("load it again");

    const again = await engine.loadModel({ path: fixture.successor, contextSize: 256 });
    expect(again.id).not.toBe(model.id);
    expect(engine.pid).not.toBe(pid);
    const { done } = await generateAll(engine, { modelId: again.id, prompt: raw("a"), sampling: { temperature: 0, maxTokens: 5 } });
    expect(done.text).toBe(expectedText(successorNext, "a", 5));
    const s = await engine.status();
    expect(s.restarts).toBe(1);
    expect(s.lastStop?.lostModels.map((m) => m.id)).toEqual([model.id]);
  });

  it("a file that makes llama.cpp abort (duplicate token texts, validator bypassed) gives a clear error; the next call works", async () => {
    const pid = engine.pid;
    const err = (await engine.loadModel({ path: fixture.broken.duplicateTokens, validate: false }).catch((e: unknown) => e)) as EngineStoppedError;
    expect(err).toBeInstanceOf(EngineStoppedError);
    expect(err.message).toContain("signal SIGABRT");
    expect(err.logs.join("\n")).toContain("GGML_ASSERT");
    expect(engine.pid).toBeNull();
    const model = await engine.loadModel({ path: fixture.successor, contextSize: 256 });
    expect(engine.pid).not.toBe(pid);
    const { done } = await generateAll(engine, { modelId: model.id, prompt: raw("k"), sampling: { temperature: 0, maxTokens: 3 } });
    expect(done.text).toBe("lmn");
  });
});

describe("model files", () => {
  it("the validator rejects every broken fixture before llama.cpp sees it, without disturbing the host", async () => {
    const before = await engine.status();
    const expected: Record<string, RegExp> = {
      truncated: /truncated|past the end/,
      wrongMagic: /not a GGUF file/,
      hugeTensorCount: /tensor count 1000000 cannot fit/,
      hugeString: /string|length/i,
      duplicateTokens: /duplicate token text/,
      zeroBlocks: /block_count is 0/,
      wrongShape: /blk\.0\.attn_q\.weight/,
      adapterAsModel: /adapter/,
    };
    for (const [name, path] of Object.entries(fixture.broken)) {
      const err = (await engine.loadModel({ path }).catch((e: unknown) => e)) as EngineError;
      expect(err, name).toBeInstanceOf(EngineError);
      expect(err.reason, name).toBe("invalid_gguf");
      expect(err.message, name).toMatch(expected[name]!);
    }
    const after = await engine.status();
    expect(after.pid).toBe(before.pid);
    expect(after.counters.modelLoads).toBe(before.counters.modelLoads);
  });

  it("a load llama.cpp refuses carries llama.cpp's own reason from its logger", async () => {
    const err = (await engine.loadModel({ path: fixture.broken.wrongShape, validate: false }).catch((e: unknown) => e)) as EngineError;
    expect(err.reason).toBe("load_failed");
    expect(err.message).toContain("tensor 'blk.0.attn_q.weight' has wrong shape");
    expect(err.logs.join("\n")).toContain("check_tensor_dims");
  });

  it("a missing file is a clear error", async () => {
    const err = (await engine.loadModel({ path: "/nonexistent/model.gguf" }).catch((e: unknown) => e)) as EngineError;
    expect(err.reason).toBe("file_not_found");
  });

  it("unloading frees the model: the host's memory falls", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lathe-engine-"));
    try {
      // ~200 MB of zero weights (F32): big enough to see in RSS once a decode has touched them.
      const path = join(dir, "big.gguf");
      const shape = { nEmbd: 512, nVocab: 259, nHead: 8, nHeadKv: 8, nFf: 8192, nLayer: 4 };
      await writeFile(path, writeGguf(llamaModelSpec({ name: "big zeros", shape, data: () => undefined })));
      const base = (await engine.status()).hostRssBytes;
      const m = await engine.loadModel({ path, contextSize: 256, sha256: false });
      await generateAll(engine, { modelId: m.id, prompt: raw("a"), sampling: { temperature: 0, maxTokens: 2 } });
      const loaded = (await engine.status()).hostRssBytes;
      await engine.unloadModel(m.id);
      const unloaded = (await engine.status()).hostRssBytes;
      expect(loaded - base).toBeGreaterThan(150e6);
      expect(loaded - unloaded).toBeGreaterThan(150e6);
      expect((await engine.status()).models.map((x) => x.id)).not.toContain(m.id);
      const gone = (await generateAll(engine, { modelId: m.id, prompt: raw("a") }).catch((e: unknown) => e)) as EngineError;
      expect(gone.reason).toBe("model_not_loaded");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports load progress and can cancel a load", async () => {
    const progress: number[] = [];
    await engine.loadModel({ path: fixture.demo, contextSize: 256 }, { onProgress: (p) => progress.push(p.progress) });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
    const before = (await engine.status()).models.length;
    const controller = new AbortController();
    controller.abort();
    const err = (await engine.loadModel({ path: fixture.demo }, { signal: controller.signal }).catch((e: unknown) => e)) as EngineError;
    expect(err.reason).toBe("cancelled");
    // Cancelled while the host is loading: the call fails at once and the host drops the model.
    const late = new AbortController();
    const pending = engine.loadModel({ path: fixture.demo, contextSize: 256 }, { signal: late.signal });
    setTimeout(() => late.abort(), 5);
    expect(((await pending.catch((e: unknown) => e)) as EngineError).reason).toBe("cancelled");
    await vi.waitFor(async () => expect((await engine.status()).models.length).toBe(before), { timeout: 30_000, interval: 200 });
  });
});

describe("backends", () => {
  it("forcing a backend this machine lacks is a clear error, not a crash", async () => {
    const status = await engine.status();
    const missing = (["cuda", "vulkan", "metal"] as const).find((b) => b !== status.backend)!;
    const forced = testEngine({ gpu: missing });
    try {
      const err = (await forced.status().catch((e: unknown) => e)) as EngineError;
      expect(err).toBeInstanceOf(EngineError);
      expect(err.reason).toBe("backend_unavailable");
      expect(err.message).toContain(`"${missing}" backend is not available`);
    } finally {
      await forced.dispose();
    }
  });
});
