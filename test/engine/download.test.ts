// Model downloads end to end over the real API: `lathe serve` on a temp folder, its download
// worker process (node-llama-cpp's downloader), and a local HTTP server standing in for the
// Hugging Face hub and plain https hosts (test/helpers/downloadServer.ts). Nothing touches the
// real network. Checks: hf: URIs through the manifest and resolve redirect with the published
// SHA-256, a dropped connection retried from its chunk, cancel then resume from the partial
// file (the server sees a Range from the kept size), the bytes kept on cancel, a file already
// there (kept, never overwritten), 404, size lies, a hash lie, a corrupt
// file caught by the GGUF validator, an adapter filed under adapters, and deleting files.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError } from "../../core/api/errors.ts";
import type { DownloadPacket, DownloadProgressPacket } from "../../core/api/models.ts";
import { truncatedBytes } from "../../core/fixtures/broken.ts";
import { successorPlus2Spec } from "../../core/fixtures/successor.ts";
import { checkDownloadUri, DownloadCancelledError } from "../../core/services/downloads.ts";
import { DownloadClient } from "../../engine/download/DownloadClient.ts";
import { bigModelBytes, ggufBytes, sha256Hex, startDownloadServer, type DownloadServer } from "../helpers/downloadServer.ts";
import { fixture } from "../helpers/fixtures.ts";
import { startTestLathe, type TestLathe } from "../helpers/lathe.ts";

const CHUNK = 5 * 1024 * 1024; // ipull's chunk: resume works from whole chunks
let server: DownloadServer;
let t: TestLathe;
const big = bigModelBytes();
const small = new Uint8Array(readFileSync(fixture.successor));

beforeAll(async () => {
  server = await startDownloadServer();
  t = await startTestLathe({ hfEndpoint: server.hubOrigin });
});
afterAll(async () => {
  await t?.close();
  await server?.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const models = () => t.lathe.store.models.listModels();
const modelsDir = () => join(t.dataDir, "models");

/** Runs a download to its end; returns the packets, or the ApiError it failed with. */
async function download(uri: string, fileName?: string): Promise<{ packets: DownloadPacket[]; error: ApiError | null }> {
  const packets: DownloadPacket[] = [];
  try {
    for await (const p of t.api.models.download({ uri, ...(fileName ? { fileName } : {}) })) packets.push(p);
    return { packets, error: null };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { packets, error: err };
  }
}

describe("downloads", () => {
  it("downloads hf:org/repo:QUANT through the manifest and the resolve redirect, checks the published SHA-256 and adds the model", async () => {
    server.files.set("tiny-q4.Q4_K_M.gguf", { bytes: small });
    server.manifests.set("lathe-test/Tiny-GGUF:Q4_K_M", "tiny-q4.Q4_K_M.gguf");
    const { packets, error } = await download("hf:lathe-test/Tiny-GGUF:Q4_K_M");
    expect(error).toBeNull();
    const done = packets.at(-1)!;
    if (done.type !== "done" || done.kind !== "model") throw new Error(`unexpected ${JSON.stringify(done)}`);
    expect(done.sha256Verified).toBe(true);
    expect(done.resumedFromBytes).toBe(0);
    expect(done.model.sha256).toBe(sha256Hex(small));
    expect(done.model.sizeBytes).toBe(small.length);
    expect(done.model.metadata.source).toBe("hf:lathe-test/Tiny-GGUF:Q4_K_M");
    // node-llama-cpp names hf files hf_<org>_<repo without -GGUF>.<QUANT>.gguf; the bytes on disk are the served ones.
    expect(done.path).toBe(join(modelsDir(), "hf_lathe-test_Tiny.Q4_K_M.gguf"));
    expect(sha256Hex(readFileSync(done.path))).toBe(sha256Hex(small));
    expect(existsSync(`${done.path}.ipull`)).toBe(false);
    const progress = packets.filter((p): p is DownloadProgressPacket => p.type === "progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ done: small.length, total: small.length });
    for (const p of progress) {
      expect(p.bytesPerSecond).toBeGreaterThanOrEqual(0);
      expect(p.etaSeconds === null || p.etaSeconds >= 0).toBe(true);
    }
    expect((await models()).map((m) => m.filePath)).toContain(done.path);
    // The hub was asked for the manifest, then the file through its resolve URL.
    expect(server.requests.some((r) => r.path === "/v2/lathe-test/Tiny-GGUF/manifests/Q4_K_M")).toBe(true);
    expect(server.requests.some((r) => r.path === "/lathe-test/Tiny-GGUF/resolve/main/tiny-q4.Q4_K_M.gguf")).toBe(true);
  });

  it("a dropped connection mid-transfer is retried from its chunk with a Range request, and the file is complete", async () => {
    server.files.set("big.gguf", { bytes: big, dropOnce: { rangeStart: 2 * CHUNK, afterBytes: 300_000 } });
    const { packets, error } = await download(`${server.origin}/files/big.gguf`);
    expect(error).toBeNull();
    const done = packets.at(-1)!;
    if (done.type !== "done" || done.kind !== "model") throw new Error(`unexpected ${JSON.stringify(done)}`);
    expect(sha256Hex(readFileSync(done.path))).toBe(sha256Hex(big));
    const ranged = server.requests.filter((r) => r.method === "GET" && r.rangeStart !== null).map((r) => r.rangeStart);
    // Three chunks, and the dropped third one asked for again from its start (not from 0).
    expect(ranged.filter((s) => s === 2 * CHUNK)).toHaveLength(2);
    expect(ranged.filter((s) => s === 0)).toHaveLength(1);
    expect(done.sha256Verified).toBe(false); // a plain host publishes no hash
  });

  it("cancel keeps the partial file; downloading the same URI again resumes with a Range from the kept size", async () => {
    const name = "resume.gguf";
    server.files.set(name, { bytes: big, stallFrom: 1 });
    const path = join(modelsDir(), name);
    const controller = new AbortController();
    let error: unknown = null;
    try {
      for await (const p of t.api.models.download({ uri: `${server.origin}/files/${name}` }, { signal: controller.signal })) {
        // The first chunk is complete once CHUNK bytes arrived (the others stall); cancel once ipull saved that on disk.
        if (p.type === "progress" && p.done >= CHUNK && !controller.signal.aborted) {
          while ((statSync(`${path}.ipull`, { throwIfNoEntry: false })?.size ?? 0) <= big.length) await new Promise((ok) => setTimeout(ok, 20));
          controller.abort();
        }
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("cancelled");
    expect(existsSync(`${path}.ipull`)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect((await models()).some((m) => m.filePath === path)).toBe(false);

    server.release();
    server.files.set(name, { bytes: big });
    server.requests.length = 0;
    const { packets, error: again } = await download(`${server.origin}/files/${name}`);
    expect(again).toBeNull();
    const done = packets.at(-1)!;
    if (done.type !== "done" || done.kind !== "model") throw new Error(`unexpected ${JSON.stringify(done)}`);
    expect(done.resumedFromBytes).toBe(CHUNK);
    const ranged = server.requests.filter((r) => r.method === "GET" && r.rangeStart !== null).map((r) => r.rangeStart!);
    expect(Math.min(...ranged)).toBe(CHUNK);
    expect(ranged).not.toContain(0);
    expect(sha256Hex(readFileSync(path))).toBe(sha256Hex(big));
    expect(existsSync(`${path}.ipull`)).toBe(false);
  });

  it("the download client reports the bytes a cancelled download kept (whole chunks only), refuses paths outside its folders, and outlives a dead worker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lathe-dl-"));
    server.files.set("kept.gguf", { bytes: big, stallFrom: 1 });
    const client = new DownloadClient({ roots: [dir] });
    const controller = new AbortController();
    try {
      const result = client.download(
        { uri: `${server.origin}/files/kept.gguf`, dirPath: dir },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.doneBytes < CHUNK || controller.signal.aborted) return;
            void (async () => {
              while ((statSync(join(dir, "kept.gguf.ipull"), { throwIfNoEntry: false })?.size ?? 0) <= big.length) await new Promise((ok) => setTimeout(ok, 20));
              controller.abort();
            })();
          },
        },
      );
      const err = await result.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DownloadCancelledError);
      expect((err as DownloadCancelledError).partialBytes).toBe(CHUNK);
      expect(existsSync(join(dir, "kept.gguf.ipull"))).toBe(true);
      // Deleting goes through the client too, and only inside its folders.
      await expect(client.remove(fixture.successor)).rejects.toThrow(/outside the models and adapters folders/);
      expect(await client.remove(join(dir, "kept.gguf"))).toBe(false);
      expect(existsSync(join(dir, "kept.gguf.ipull"))).toBe(false);

      // The worker dying fails its downloads with a reason; the next download starts a fresh worker.
      let seen!: () => void;
      const progressed = new Promise<void>((ok) => (seen = ok));
      const doomed = client.download({ uri: `${server.origin}/files/kept.gguf`, dirPath: dir }, { signal: new AbortController().signal, onProgress: () => seen() });
      const doomedErr = doomed.then(() => null, (e: unknown) => e as Error);
      await progressed;
      const pid = client.pid!;
      process.kill(pid, "SIGKILL");
      expect((await doomedErr)?.message).toMatch(/the download process stopped \(SIGKILL\); start the download again to resume/);
      server.files.set("after.gguf", { bytes: small });
      const after = await client.download({ uri: `${server.origin}/files/after.gguf`, dirPath: dir }, { signal: new AbortController().signal, onProgress: () => {} });
      expect(client.pid).not.toBe(pid);
      expect(sha256Hex(readFileSync(after.path))).toBe(sha256Hex(small));
    } finally {
      server.release();
      await client.dispose();
    }
  });

  it("a complete file already in the folder is checked and catalogued without a transfer; a different file in the way is refused and kept", async () => {
    server.files.set("again.gguf", { bytes: small });
    const first = await download(`${server.origin}/files/again.gguf`);
    expect(first.error).toBeNull();
    server.requests.length = 0;
    const second = await download(`${server.origin}/files/again.gguf`);
    const done = second.packets.at(-1)!;
    if (done.type !== "done" || done.kind !== "model") throw new Error(`unexpected ${JSON.stringify(done)}`);
    expect(done.model.sha256).toBe(sha256Hex(small));
    expect(server.requests.filter((r) => r.method === "GET" && r.rangeStart !== null)).toEqual([]);

    // Same name, another size: ipull would overwrite it, so the download refuses and leaves it alone.
    const other = ggufBytes(successorPlus2Spec());
    server.files.set("again.gguf", { bytes: other });
    const third = await download(`${server.origin}/files/again.gguf`);
    expect(third.error?.message).toMatch(/A different file named again\.gguf is already in the models folder/);
    expect(sha256Hex(readFileSync(done.path))).toBe(sha256Hex(small));
  });

  it("a missing file is a clear 404 error and leaves nothing behind", async () => {
    const { error } = await download(`${server.origin}/files/nope.gguf`);
    expect(error?.code).toBe("unavailable");
    expect(error?.message).toMatch(/HTTP 404 .*no such file/);
    expect(existsSync(join(modelsDir(), "nope.gguf"))).toBe(false);
    const hf = await download("hf:lathe-test/Missing-GGUF:Q4_K_M");
    expect(hf.error?.message).toMatch(/Cannot get quantization "Q4_K_M" for model "hf:lathe-test\/Missing-GGUF"/);
  });

  it("a size the hub published that the file does not have is refused and the file deleted", async () => {
    server.files.set("liar.gguf", { bytes: small, publishedSize: small.length + 4096 });
    const { error } = await download("hf:lathe-test/Liar-GGUF/liar.gguf");
    expect(error?.code).toBe("invalid_input");
    expect(error?.message).toContain(`the server published ${small.length + 4096} bytes for this file but ${small.length} arrived`);
    expect(error?.details).toMatchObject({ reason: "size-mismatch" });
    expect(existsSync(join(modelsDir(), "hf_lathe-test_Liar-GGUF_liar.gguf"))).toBe(false);
    expect((await models()).some((m) => m.filePath.includes("liar"))).toBe(false);
  });

  it("a Content-Length that lies about the file fails the transfer", async () => {
    server.files.set("long.gguf", { bytes: small, claimedLength: small.length + 1000 });
    const { error } = await download(`${server.origin}/files/long.gguf`);
    expect(error?.message).toMatch(new RegExp(`Size mismatch: the server announced ${small.length + 1000} bytes for a range but sent ${small.length}`));
    expect((await models()).some((m) => m.filePath.includes("long"))).toBe(false);
  });

  it("a published SHA-256 the file does not match is refused and the file deleted", async () => {
    server.files.set("tampered.gguf", { bytes: small, publishedSha256: "0".repeat(64) });
    const { error } = await download("hf:lathe-test/T-GGUF/tampered.gguf");
    expect(error?.details).toMatchObject({ reason: "sha256-mismatch" });
    expect(error?.message).toContain(`the file hashes to ${sha256Hex(small)}`);
    expect(statSync(modelsDir()).isDirectory() && existsSync(join(modelsDir(), "hf_lathe-test_T-GGUF_tampered.gguf"))).toBe(false);
  });

  it("a corrupt GGUF is caught by the validator after download, deleted, and not added", async () => {
    const bad = truncatedBytes();
    server.files.set("corrupt.gguf", { bytes: bad });
    const before = (await models()).length;
    const { error } = await download(`${server.origin}/files/corrupt.gguf`);
    expect(error?.code).toBe("invalid_input");
    expect(error?.details).toMatchObject({ reason: "invalid-gguf" });
    expect(error?.message).toMatch(/corrupt\.gguf is not a usable GGUF file: .*(beyond|past|end of (the )?file|truncat)/i);
    expect(existsSync(join(modelsDir(), "corrupt.gguf"))).toBe(false);
    expect((await models()).length).toBe(before);
  });

  it("an adapter (general.type adapter) goes to the adapters folder and catalog", async () => {
    const adapter = ggufBytes(successorPlus2Spec());
    server.files.set("plus2.gguf", { bytes: adapter });
    const { packets, error } = await download(`${server.origin}/files/plus2.gguf`, "successor-plus2.gguf");
    expect(error).toBeNull();
    const done = packets.at(-1)!;
    if (done.type !== "done" || done.kind !== "adapter") throw new Error(`unexpected ${JSON.stringify(done)}`);
    expect(done.path).toBe(join(t.dataDir, "adapters", "successor-plus2.gguf"));
    expect(existsSync(join(modelsDir(), "successor-plus2.gguf"))).toBe(false);
    expect(done.adapter.sha256).toBe(sha256Hex(adapter));
    expect((await t.lathe.store.adapters.listAdapters()).map((a) => a.filePath)).toContain(done.path);
  });

  it("refuses plain http to other hosts and strings that are not download URIs", async () => {
    for (const [uri, message] of [
      ["http://example.com/model.gguf", /only for loopback/],
      ["ftp://example.com/model.gguf", /Not a download URI/],
      ["hf:just-one-part", /Not a download URI/],
    ] as const) {
      const { error } = await download(uri);
      expect(error?.code).toBe("invalid_input");
      expect(error?.message).toMatch(message);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("deleteFile deletes a downloaded model's file and its catalog entry, and refuses files outside the models folder", async () => {
    server.files.set("doomed.gguf", { bytes: small });
    const { packets } = await download(`${server.origin}/files/doomed.gguf`);
    const done = packets.at(-1)!;
    if (done.type !== "done" || done.kind !== "model") throw new Error(`unexpected ${JSON.stringify(done)}`);
    await expect(t.api.models.deleteFile({ id: done.model.id, confirmed: false as true })).rejects.toMatchObject({ code: "invalid_input" });
    expect(existsSync(done.path)).toBe(true);
    expect(await t.api.models.deleteFile({ id: done.model.id, confirmed: true })).toEqual({ deleted: true, path: done.path });
    expect(existsSync(done.path)).toBe(false);
    expect((await models()).some((m) => m.id === done.model.id)).toBe(false);

    const outside = await t.api.models.add({ path: fixture.successor });
    await expect(t.api.models.deleteFile({ id: outside.id, confirmed: true })).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/outside the models folder/),
    });
    expect(existsSync(fixture.successor)).toBe(true);
  });

  it("the curated list holds small instruct models with valid hf: URIs and approximate sizes", async () => {
    const { models: curated } = await t.api.models.curated({});
    expect(curated.length).toBeGreaterThanOrEqual(4);
    for (const m of curated) {
      expect(checkDownloadUri(m.uri)).toBe(m.uri);
      expect(m.uri).toMatch(/^hf:[\w.-]+\/[\w.-]+-GGUF:Q\d/i);
      expect(m.approxSizeBytes).toBeGreaterThan(100e6);
      expect(m.approxSizeBytes).toBeLessThan(3e9);
    }
    expect(curated.map((m) => m.name)).toEqual(expect.arrayContaining(["Qwen2.5 0.5B Instruct", "SmolLM2 360M Instruct", "Llama 3.2 1B Instruct", "Phi-3.5 mini Instruct"]));
  });
});
