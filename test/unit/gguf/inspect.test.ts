// The GGUF inspector (core/gguf/inspect.ts) on the generated fixture models: exact parameter
// and tensor counts from the builders' shapes, file type names, the per-type breakdown, the
// tokenizer and chat template; a 162M-parameter bench model inspected from its header bytes
// alone; hostile headers refused with the validator's error after reading a few bytes.
import { describe, expect, it } from "vitest";
import { FIXTURE_CATALOG } from "../../../core/fixtures/catalog.ts";
import { BENCH_SHAPE, benchIdentity, benchModelSpec, llamaParamCount } from "../../../core/fixtures/bench.ts";
import { HUGE_TENSOR_COUNT, MINI_SHAPE, miniModelSpec } from "../../../core/fixtures/broken.ts";
import { DEMO_SHAPE } from "../../../core/fixtures/demo.ts";
import { SUCCESSOR_SHAPE } from "../../../core/fixtures/successor.ts";
import { BYTE_VOCAB_SIZE, CHATML_TEMPLATE, ENDOFTEXT, IM_END } from "../../../core/fixtures/tokenizer.ts";
import { GgufError } from "../../../core/gguf/header.ts";
import { bitsPerWeight, fileTypeName, inspectGguf, type GgufInspection } from "../../../core/gguf/inspect.ts";
import { GgmlType } from "../../../core/gguf/types.ts";
import { layoutGguf, writeGguf } from "../../../core/gguf/writer.ts";

/** A fixture's bytes, built in memory from the catalog (the same bytes the files hold). */
function fixtureBytes(file: string): Uint8Array {
  const entry = FIXTURE_CATALOG.find((e) => e.file === file);
  if (!entry) throw new Error(`no fixture ${file}`);
  const src = entry.build();
  const out = new Uint8Array(src.totalSize);
  let at = 0;
  for (const chunk of src.chunks()) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Inspects `bytes` (which may be only the file's first bytes) as a file of `fileSize`, counting what is read. */
async function inspectCounting(bytes: Uint8Array, fileSize = bytes.length): Promise<{ report?: GgufInspection; error?: GgufError; read: number; end: number }> {
  let read = 0;
  let end = 0;
  try {
    const report = await inspectGguf((offset, length) => {
      const out = bytes.subarray(offset, offset + length);
      read += out.length;
      end = Math.max(end, offset + out.length);
      return out;
    }, fileSize);
    return { report, read, end };
  } catch (e) {
    if (!(e instanceof GgufError)) throw e;
    return { error: e, read, end };
  }
}

function patchU64(bytes: Uint8Array, offset: number, value: bigint): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setBigUint64(offset, value, true);
  return out;
}

/** Offset just after the first occurrence of `text`. */
function after(bytes: Uint8Array, text: string): number {
  const needle = new TextEncoder().encode(text);
  outer: for (let i = 0; i <= bytes.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i + needle.length;
  }
  throw new Error(`"${text}" not found`);
}

describe("inspector on the fixture models", () => {
  it("reports the successor model exactly: 473,920 parameters in 12 tensors, Q8_0, ChatML", async () => {
    const bytes = fixtureBytes("successor.gguf");
    const { report: r } = await inspectCounting(bytes);
    if (!r) throw new Error("no report");
    // 2 x (320 x 259) embedding/output + 3 norms of 320 + q,o (320 x 320) + k,v,gate,up,down (320 x 64).
    expect(r.parameters).toBe(2 * 320 * 259 + 3 * 320 + 2 * 320 * 320 + 5 * 320 * 64);
    expect(r.parameters).toBe(473_920);
    expect(r.parameters).toBe(llamaParamCount(SUCCESSOR_SHAPE));
    expect(r.tensorCount).toBe(3 + 9 * SUCCESSOR_SHAPE.nLayer);
    expect(r.tensors).toHaveLength(12);
    expect(r).toMatchObject({
      version: 3,
      kind: "model",
      architecture: "llama",
      name: "Lathe successor (next byte = byte + 1)",
      fileType: 7,
      quantization: "Q8_0",
      contextLength: 4096,
      embeddingLength: 320,
      layers: 1,
      heads: 5,
      headsKv: 1,
      feedForwardLength: 64,
      chatTemplate: CHATML_TEMPLATE,
      fileSize: bytes.length,
      problems: [],
    });
    // F32: embedding + 3 norms; F16: output.weight; Q8_0: the 7 block matrices (34 bytes per 32 weights).
    expect(r.types).toEqual([
      { type: "F32", tensors: 4, elements: 320 * 259 + 3 * 320, bytes: 4 * (320 * 259 + 3 * 320) },
      { type: "Q8_0", tensors: 7, elements: 2 * 320 * 320 + 5 * 320 * 64, bytes: ((2 * 320 * 320 + 5 * 320 * 64) / 32) * 34 },
      { type: "F16", tensors: 1, elements: 320 * 259, bytes: 2 * 320 * 259 },
    ]);
    expect(r.dominantType).toBe("F32");
    expect(r.tensorBytes).toBe(r.types.reduce((n, t) => n + t.bytes, 0));
    expect(r.tokenizer).toEqual({
      model: "gpt2",
      pre: "qwen2",
      vocabSize: BYTE_VOCAB_SIZE,
      merges: 0,
      addBos: false,
      special: { bos: ENDOFTEXT, eos: IM_END, eot: null, pad: ENDOFTEXT, unk: null, sep: null },
      specialTexts: { [ENDOFTEXT]: "<|endoftext|>", [IM_END]: "<|im_end|>" },
    });
  });

  it("lists the tensor table in file order with shapes, types, bytes and absolute offsets", async () => {
    const bytes = fixtureBytes("successor.gguf");
    const { report: r } = await inspectCounting(bytes);
    if (!r) throw new Error("no report");
    expect(r.tensors.map((t) => t.name).slice(0, 4)).toEqual(["token_embd.weight", "output_norm.weight", "output.weight", "blk.0.attn_norm.weight"]);
    const q = r.tensors.find((t) => t.name === "blk.0.attn_q.weight")!;
    expect(q).toMatchObject({ type: "Q8_0", shape: [320, 320], elements: 102_400, bytes: 108_800 });
    const k = r.tensors.find((t) => t.name === "blk.0.attn_k.weight")!;
    expect(k.shape).toEqual([320, 64]);
    // Offsets are absolute, start after the header and increase with 32-byte alignment.
    expect(r.tensors[0]!.offset).toBe(r.headerBytes);
    for (let i = 1; i < r.tensors.length; i++) {
      expect(r.tensors[i]!.offset % 32).toBe(0);
      expect(r.tensors[i]!.offset).toBeGreaterThanOrEqual(r.tensors[i - 1]!.offset + r.tensors[i - 1]!.bytes);
    }
    const last = r.tensors.at(-1)!;
    expect(last.offset + last.bytes).toBe(bytes.length);
  });

  it("reports the demo model: 637,760 parameters, F16, 5 KV heads", async () => {
    const { report: r } = await inspectCounting(fixtureBytes("demo.gguf"));
    if (!r) throw new Error("no report");
    // 2 x (320 x 259) + 3 x 320 + q,k,v,o (320 x 320) + gate,up,down (320 x 64).
    expect(r.parameters).toBe(2 * 320 * 259 + 3 * 320 + 4 * 320 * 320 + 3 * 320 * 64);
    expect(r.parameters).toBe(llamaParamCount(DEMO_SHAPE));
    expect(r).toMatchObject({ tensorCount: 12, fileType: 1, quantization: "F16", headsKv: 5, chatTemplate: CHATML_TEMPLATE });
    expect(r.types.map((t) => [t.type, t.tensors])).toEqual([
      ["F16", 7],
      ["F32", 5],
    ]);
  });

  it("reports an adapter as kind adapter with its LoRA tensors", async () => {
    const { report: r } = await inspectCounting(fixtureBytes("successor-plus2.gguf"));
    if (!r) throw new Error("no report");
    expect(r).toMatchObject({ kind: "adapter", architecture: "llama", tensorCount: 2, chatTemplate: null, fileType: null, quantization: "F32", problems: [] });
    expect(r.tensors.map((t) => [t.name, t.shape])).toEqual([
      ["output.weight.lora_a", [320, 259]],
      ["output.weight.lora_b", [259, 259]],
    ]);
    expect(r.metadata.find((m) => m.key === "adapter.type")).toEqual({ key: "adapter.type", type: "string", value: "lora" });
  });

  it("names what llama.cpp would choke on without failing the inspection", async () => {
    const { report: r } = await inspectCounting(fixtureBytes("broken/zero-blocks.gguf"));
    expect(r?.layers).toBe(0);
    expect(r?.problems.join("\n")).toMatch(/block_count is 0/);
  });

  it("summarises long metadata arrays instead of copying them", async () => {
    const { report: r } = await inspectCounting(fixtureBytes("successor.gguf"));
    const tokens = r?.metadata.find((m) => m.key === "tokenizer.ggml.tokens");
    expect(tokens?.type).toBe("array of string");
    expect(tokens?.value).toMatch(/… \(259 items\)\]$/);
    expect(tokens!.value.length).toBeLessThan(220);
  });

  it("inspects the 162M-parameter bench model from its header bytes alone", async () => {
    const spec = benchModelSpec(GgmlType.Q8_0);
    const { header } = benchIdentity(spec);
    const { totalSize } = layoutGguf(spec);
    // The reader holds the header only: any read of tensor data would come back empty and fail.
    const { report: r, end } = await inspectCounting(header, totalSize);
    if (!r) throw new Error("no report");
    expect(end).toBeLessThanOrEqual(header.length);
    expect(header.length).toBeLessThan(totalSize / 100);
    expect(r.fileSize).toBe(totalSize);
    expect(r.parameters).toBe(llamaParamCount(BENCH_SHAPE));
    expect(r.tensorCount).toBe(3 + 9 * BENCH_SHAPE.nLayer);
    expect(r).toMatchObject({ quantization: "Q8_0", dominantType: "Q8_0", layers: 12, embeddingLength: 768, contextLength: 2048 });
    expect(r.tokenizer.vocabSize).toBe(BENCH_SHAPE.nVocab);
  });
});

describe("inspector on hostile headers", () => {
  it("refuses a header claiming 1,000,000 tensors after reading a few bytes", async () => {
    const { error, read } = await inspectCounting(fixtureBytes("broken/huge-tensor-count.gguf"));
    expect(error?.code).toBe("count-too-large");
    expect(error?.message).toMatch(new RegExp(`tensor count ${HUGE_TENSOR_COUNT} cannot fit`));
    expect(read).toBeLessThanOrEqual(4096);
  });

  it("refuses a metadata count of 2^50", async () => {
    const { error, read } = await inspectCounting(patchU64(writeGguf(miniModelSpec()), 16, 2n ** 50n));
    expect(error?.code).toBe("count-too-large");
    expect(error?.message).toMatch(/metadata count 1125899906842624 cannot fit/);
    expect(read).toBeLessThanOrEqual(4096);
  });

  it("refuses a token array claiming 2^40 entries", async () => {
    const bytes = writeGguf(miniModelSpec());
    // key "tokenizer.ggml.tokens", then value type (u32), item type (u32), count (u64).
    const count = after(bytes, "tokenizer.ggml.tokens") + 8;
    const { error } = await inspectCounting(patchU64(bytes, count, 2n ** 40n));
    expect(error?.code).toBe("array-too-long");
    expect(error?.message).toMatch(/"tokenizer.ggml.tokens": array of 1099511627776 string items cannot fit/);
  });

  it("refuses a string of 2^40 bytes and a wrong magic", async () => {
    expect((await inspectCounting(fixtureBytes("broken/huge-string.gguf"))).error?.code).toBe("string-too-long");
    expect((await inspectCounting(fixtureBytes("broken/wrong-magic.gguf"))).error?.code).toBe("bad-magic");
  });

  it("refuses a file whose tensor data is cut short", async () => {
    const { error } = await inspectCounting(fixtureBytes("broken/truncated.gguf"));
    expect(error?.code).toBe("data-past-eof");
  });

  it("parses a mini model whose shape the builders know", async () => {
    const { report } = await inspectCounting(writeGguf(miniModelSpec()));
    expect(report?.parameters).toBe(llamaParamCount(MINI_SHAPE));
  });
});

describe("file type names", () => {
  it("maps llama_ftype values, including the guessed bit and unknown values", () => {
    expect(fileTypeName(15)).toBe("Q4_K_M");
    expect(fileTypeName(18)).toBe("Q6_K");
    expect(fileTypeName(32)).toBe("BF16");
    expect(fileTypeName(1024 + 15)).toBe("Q4_K_M (guessed)");
    expect(fileTypeName(999)).toBe("type 999");
    expect(bitsPerWeight("Q4_K")).toBe(4.5);
    expect(bitsPerWeight("Q8_0")).toBe(8.5);
    expect(bitsPerWeight("nope")).toBeNull();
  });
});
