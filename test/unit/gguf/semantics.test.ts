// Semantic checks: each fault that crashes llama.cpp or gets only a generic error from it is
// named before any load; valid fixture models and adapters pass.
import { describe, expect, it } from "vitest";
import { gv } from "../../../core/gguf/types.ts";
import { writeGguf } from "../../../core/gguf/writer.ts";
import type { GgufSpec } from "../../../core/gguf/writer.ts";
import { validateGgufBytes } from "../../../core/gguf/header.ts";
import type { GgufHeader } from "../../../core/gguf/header.ts";
import {
  checkModelSemantics,
  findAdapterMismatches,
  findModelProblems,
} from "../../../core/gguf/semantics.ts";
import {
  successorAltSpec,
  successorModelSpec,
  successorPlus2Spec,
  successorWrongBaseSpec,
} from "../../../core/fixtures/successor.ts";
import { demoLoraSpec, demoModelSpec } from "../../../core/fixtures/demo.ts";
import {
  adapterAsModelSpec,
  duplicateTokensSpec,
  miniModelSpec,
  wrongShapeSpec,
  zeroBlocksSpec,
} from "../../../core/fixtures/broken.ts";

const header = (spec: GgufSpec): Promise<GgufHeader> => validateGgufBytes(writeGguf(spec));
const codes = async (spec: GgufSpec, expect: "model" | "adapter" = "model") =>
  findModelProblems(await header(spec), { expect }).map((e) => `${e.code}: ${e.message}`);

function withMetadata(spec: GgufSpec, key: string, value: ReturnType<typeof gv.u32>): GgufSpec {
  return { ...spec, metadata: spec.metadata.map(([k, v]) => [k, k === key ? value : v] as const) };
}

describe("model semantics", () => {
  it("accepts the fixture models and adapters", async () => {
    for (const spec of [successorModelSpec(), demoModelSpec(), miniModelSpec()])
      expect(await codes(spec)).toEqual([]);
    for (const spec of [successorPlus2Spec(), successorAltSpec(), demoLoraSpec()])
      expect(await codes(spec, "adapter")).toEqual([]);
  });

  it("names duplicate token texts (llama.cpp aborts on them)", async () => {
    expect(await codes(duplicateTokensSpec())).toEqual([
      'duplicate-token: duplicate token text "A" in tokenizer.ggml.tokens (ids 65 and 66); llama.cpp aborts on this',
    ]);
  });

  it("names block_count 0 (llama.cpp aborts on it)", async () => {
    expect(await codes(zeroBlocksSpec())).toEqual([
      "zero-blocks: llama.block_count is 0: a model needs at least one block (llama.cpp aborts on this)",
    ]);
  });

  it("names a tensor of the wrong shape", async () => {
    expect(await codes(wrongShapeSpec())).toEqual([
      'wrong-shape: tensor "blk.0.attn_q.weight" has shape [64, 48], expected [64, 64] from the llama.* hyperparameters',
    ]);
  });

  it("names an adapter given as a model, and a model given as an adapter", async () => {
    expect(await codes(adapterAsModelSpec())).toEqual([
      'not-a-model: general.type is "adapter": this is a LoRA adapter, not a model (apply it to its base model instead)',
    ]);
    expect(await codes(successorModelSpec(), "adapter")).toEqual([
      'not-an-adapter: general.type is "model": this is a full model, not a LoRA adapter',
    ]);
  });

  it("names a missing tensor, a bad rope dimension and a key of the wrong type", async () => {
    const mini = miniModelSpec();
    expect(
      await codes({ ...mini, tensors: mini.tensors.filter((t) => t.name !== "blk.0.ffn_down.weight") }),
    ).toEqual(['missing-tensor: tensor "blk.0.ffn_down.weight" is missing']);
    expect(await codes(withMetadata(mini, "llama.rope.dimension_count", gv.u32(32)))).toEqual([
      "bad-hparams: llama.rope.dimension_count is 32, expected 64 (embedding_length / head_count)",
    ]);
    expect(await codes(withMetadata(mini, "llama.block_count", gv.str("one")))).toEqual([
      "wrong-key-type: llama.block_count should be an integer, got string",
    ]);
  });

  it("checkModelSemantics throws the first problem as a GgufError", async () => {
    const h = await header(zeroBlocksSpec());
    expect(() => checkModelSemantics(h)).toThrow(
      expect.objectContaining({ name: "GgufError", code: "zero-blocks" }),
    );
    expect(() => checkModelSemantics(h, { expect: "adapter" })).toThrow(/full model, not a LoRA adapter/);
  });

  it("matches adapters against their base model as llama.cpp does", async () => {
    const successor = await header(successorModelSpec());
    expect(findAdapterMismatches(await header(successorPlus2Spec()), successor)).toEqual([]);
    expect(
      findAdapterMismatches(await header(successorWrongBaseSpec()), successor).map((e) => e.message),
    ).toEqual([
      'LoRA for "output.weight" is [288 -> 259], the model\'s tensor is [320 -> 259] (built for another base?)',
    ]);
    expect(findAdapterMismatches(await header(successorModelSpec()), successor).map((e) => e.code)).toEqual([
      "not-an-adapter",
    ]);
  });
});
