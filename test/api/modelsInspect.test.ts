// The inspector's methods of the models domain over a real WebSocket (one Lathe for the file):
// inspect reads a catalog model's header (exact counts, nothing loaded), refuses a stale id
// and a file that went bad after it was added with the validator's reason; memoryFit answers
// with the engine's estimate and refuses bad input at the boundary.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiError } from "../../core/api/index.ts";
import type { ModelRecord } from "../../core/history/types.ts";
import { llamaParamCount } from "../../core/fixtures/bench.ts";
import { SUCCESSOR_SHAPE } from "../../core/fixtures/successor.ts";
import { fixture } from "../helpers/fixtures.ts";
import { startTestLathe, type TestLathe } from "../helpers/lathe.ts";

let t: TestLathe;
let successor: ModelRecord;
let doomed: ModelRecord;

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as ApiError | null;
  if (!err) throw new Error("the call succeeded");
  return err;
}

beforeAll(async () => {
  t = await startTestLathe();
  successor = await t.api.models.add({ path: fixture.successor });
  const copy = join(t.dataDir, "models", "soon-truncated.gguf");
  copyFileSync(fixture.demo, copy);
  doomed = await t.api.models.add({ path: copy });
  // The file is cut short after it joined the catalog.
  writeFileSync(copy, new Uint8Array(100));
});
afterAll(async () => {
  await t?.close();
});

describe("models.inspect", () => {
  it("reports a catalog model from its header without loading it", async () => {
    const r = await t.api.models.inspect({ id: successor.id });
    expect(r.parameters).toBe(llamaParamCount(SUCCESSOR_SHAPE));
    expect(r).toMatchObject({ architecture: "llama", quantization: "Q8_0", tensorCount: 12, layers: 1 });
    expect(r.tensors[0]).toMatchObject({ name: "token_embd.weight", type: "F32", shape: [320, 259] });
    const list = await t.api.models.list({});
    expect(list.models.find((m) => m.id === successor.id)?.loaded).toBeNull();
  });

  it("refuses an unknown id and a file that went bad, naming why", async () => {
    expect((await failure(t.api.models.inspect({ id: "nope" }))).code).toBe("not_found");
    const bad = await failure(t.api.models.inspect({ id: doomed.id }));
    expect(bad.code).toBe("invalid_input");
    expect(bad.message).toMatch(/soon-truncated\.gguf\) is not a readable GGUF file: not a GGUF file: wrong magic/);
  });
});

describe("models.memoryFit", () => {
  it("gives the engine's estimate for a context size", async () => {
    const fit = await t.api.models.memoryFit({ id: successor.id, contextSize: 1024, gpuLayers: "auto" });
    expect(fit).toMatchObject({ contextSize: 1024, sequences: 1, totalLayers: 2, trainContextSize: 4096 });
    expect(["fits", "partly offloaded", "won't fit"]).toContain(fit.verdict);
    expect(fit.ram.needed).toBe(fit.ram.model + fit.ram.context);
  });

  it("refuses a context below 64 tokens and a bad file before llama.cpp sees it", async () => {
    const small = await failure(t.api.models.memoryFit({ id: successor.id, contextSize: 8 }));
    expect(small.code).toBe("invalid_input");
    expect(small.message).toMatch(/contextSize/);
    const bad = await failure(t.api.models.memoryFit({ id: doomed.id }));
    expect(bad.code).toBe("invalid_input");
    expect(bad.message).toMatch(/not a usable model/);
  });
});
