// GGUF header validator: every structural fault is rejected with a GgufError whose code and
// message name it, and only header bytes are read (bounded reads, counted here).
import { describe, expect, it } from "vitest";
import { GgmlType, gv } from "../../../core/gguf/types.ts";
import { writeGguf } from "../../../core/gguf/writer.ts";
import type { GgufSpec } from "../../../core/gguf/writer.ts";
import { GgufError, validateGgufHeader } from "../../../core/gguf/header.ts";
import type { GgufErrorCode } from "../../../core/gguf/header.ts";

const enc = new TextEncoder();

function spec(): GgufSpec {
  return {
    metadata: [
      ["general.architecture", gv.str("llama")],
      ["dup.a", gv.u32(1)],
      ["dup.b", gv.u32(2)],
      ["list", gv.arr.num("u32", [1, 2, 3])],
    ],
    tensors: [
      { name: "t.aa", dims: [32, 4], type: GgmlType.F32, data: new Float32Array(128) },
      { name: "t.ab", dims: [64], type: GgmlType.F16, data: new Float32Array(64) },
    ],
  };
}

/** Byte offset just after the first occurrence of `text` in `bytes`. */
function after(bytes: Uint8Array, text: string): number {
  const needle = enc.encode(text);
  outer: for (let i = 0; i <= bytes.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i + needle.length;
  }
  throw new Error(`"${text}" not found`);
}

function patched(fn: (bytes: Uint8Array, view: DataView) => void): Uint8Array {
  const bytes = writeGguf(spec());
  fn(bytes, new DataView(bytes.buffer));
  return bytes;
}

/** Validates with a counting reader; returns the error (or undefined) and the bytes read. */
async function run(bytes: Uint8Array): Promise<{ error?: GgufError; read: number; largest: number }> {
  let read = 0;
  let largest = 0;
  try {
    await validateGgufHeader((offset, length) => {
      const out = bytes.subarray(offset, offset + length);
      read += out.length;
      largest = Math.max(largest, length);
      return out;
    }, bytes.length);
    return { read, largest };
  } catch (e) {
    if (!(e instanceof GgufError)) throw e;
    return { error: e, read, largest };
  }
}

async function expectFault(bytes: Uint8Array, code: GgufErrorCode, message: RegExp): Promise<void> {
  const { error } = await run(bytes);
  expect(error?.code).toBe(code);
  expect(error?.message).toMatch(message);
}

describe("validateGgufHeader", () => {
  it("accepts a valid file and returns metadata and tensor infos", async () => {
    const bytes = writeGguf(spec());
    const h = await validateGgufHeader((o, l) => bytes.subarray(o, o + l), bytes.length);
    expect(h.metadata.get("list")).toEqual({ type: "array", itemType: "u32", value: [1, 2, 3] });
    expect(h.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, offset: t.offset }))).toEqual([
      { name: "t.aa", dims: [32, 4], type: 0, offset: 0 },
      { name: "t.ab", dims: [64], type: 1, offset: 512 },
    ]);
    expect(h.fileSize).toBe(bytes.length);
  });

  it("rejects a wrong magic", async () => {
    await expectFault(
      patched((b) => b.set(enc.encode("GGML"), 0)),
      "bad-magic",
      /wrong magic 47 47 4d 4c \("GGML"\)/,
    );
    await expectFault(new Uint8Array(0), "truncated", /0 bytes: too small/);
  });

  it("rejects versions other than 2 and 3, and spots a big-endian file", async () => {
    await expectFault(
      patched((_, v) => v.setUint32(4, 1, true)),
      "bad-version",
      /unsupported GGUF version 1/,
    );
    await expectFault(
      patched((_, v) => v.setUint32(4, 3, false)),
      "bad-version",
      /big-endian/,
    );
  });

  it("rejects a tensor count that cannot fit in the file, reading only the first bytes", async () => {
    const bytes = patched((_, v) => v.setBigUint64(8, 1_000_000n, true));
    const { error, read } = await run(bytes);
    expect(error?.code).toBe("count-too-large");
    expect(error?.message).toBe(
      `tensor count 1000000 cannot fit in a ${bytes.length}-byte file (each tensor needs at least 32 header bytes)`,
    );
    expect(read).toBeLessThanOrEqual(4096);
  });

  it("rejects a metadata count that cannot fit", async () => {
    await expectFault(
      patched((_, v) => v.setBigUint64(16, 2n ** 62n, true)),
      "count-too-large",
      /metadata count 4611686018427387904 cannot fit/,
    );
  });

  it("rejects a string length past the end of the file", async () => {
    await expectFault(
      patched((_, v) => v.setBigUint64(24, 2n ** 40n, true)),
      "string-too-long",
      /string length 1099511627776 at offset 24 cannot fit/,
    );
  });

  it("rejects an array count past the end of the file", async () => {
    const bytes = patched((b, v) => v.setBigUint64(after(b, "list") + 8, 10n ** 9n, true));
    await expectFault(bytes, "array-too-long", /"list": array of 1000000000 u32 items cannot fit/);
  });

  it("rejects duplicate metadata keys and duplicate tensor names", async () => {
    await expectFault(
      patched((b) => (b[after(b, "dup.b") - 1] = 0x61)),
      "duplicate-key",
      /duplicate metadata key "dup.a"/,
    );
    await expectFault(
      patched((b) => (b[after(b, "t.ab") - 1] = 0x61)),
      "duplicate-tensor",
      /duplicate tensor name "t.aa"/,
    );
  });

  it("rejects a key that is not valid UTF-8", async () => {
    await expectFault(
      patched((b) => (b[after(b, "dup.b") - 1] = 0xff)),
      "invalid-string",
      /metadata key #2 at offset \d+ is not valid UTF-8/,
    );
  });

  it("rejects unknown value types, unknown array item types and nested arrays", async () => {
    await expectFault(
      patched((b, v) => v.setUint32(after(b, "dup.a"), 13, true)),
      "unknown-value-type",
      /"dup.a" has unknown value type 13/,
    );
    await expectFault(
      patched((b, v) => v.setUint32(after(b, "list") + 4, 77, true)),
      "unknown-value-type",
      /"list" is an array of unknown value type 77/,
    );
    await expectFault(
      patched((b, v) => v.setUint32(after(b, "list") + 4, 9, true)),
      "nested-array",
      /"list" is an array of arrays/,
    );
  });

  it("rejects unknown tensor types, bad dims, bad row sizes and misplaced offsets", async () => {
    // After the name: n_dims (u32), dims (u64 each), type (u32), offset (u64).
    await expectFault(
      patched((b, v) => v.setUint32(after(b, "t.ab") + 4 + 8, 99, true)),
      "unknown-tensor-type",
      /"t.ab" has unknown ggml type 99/,
    );
    await expectFault(
      patched((b, v) => v.setUint32(after(b, "t.ab"), 5, true)),
      "bad-dims",
      /"t.ab" has 5 dimensions/,
    );
    await expectFault(
      patched((b, v) => v.setUint32(after(b, "t.ab") + 4 + 8, 12, true)),
      "bad-row-size",
      /"t.ab" \(Q4_K\) has rows of 64 values.*block size 256/,
    );
    await expectFault(
      patched((b, v) => v.setBigUint64(after(b, "t.ab") + 4 + 8 + 4, 64n, true)),
      "bad-offset",
      /"t.ab" has data offset 64, expected 512/,
    );
  });

  it("rejects tensor data that runs past the end of the file", async () => {
    const bytes = writeGguf(spec());
    await expectFault(
      bytes.slice(0, bytes.length - 100),
      "data-past-eof",
      new RegExp(`"t.ab" data ends at byte \\d+, past the end of a ${bytes.length - 100}-byte file`),
    );
    await expectFault(
      patched((b, v) => v.setBigUint64(after(b, "t.aa") + 4, 2n ** 40n, true)),
      "data-past-eof",
      /"t.aa" dims imply more data/,
    );
  });

  it("rejects a header cut short and a non-power-of-two alignment", async () => {
    const bytes = writeGguf(spec());
    await expectFault(bytes.slice(0, after(bytes, "t.aa") + 2), "truncated", /truncated header/);
    const badAlign = writeGguf({ metadata: [["general.alignment", gv.u32(32)]], tensors: [] });
    new DataView(badAlign.buffer).setUint32(after(badAlign, "general.alignment") + 4, 48, true);
    await expectFault(badAlign, "bad-alignment", /general.alignment must be a u32 power of two, got u32 48/);
  });

  it("reads only the header, in bounded reads, even when the data is large", async () => {
    const big = writeGguf({
      metadata: [["general.name", gv.str("big")]],
      tensors: [{ name: "w", dims: [1024, 1024], type: GgmlType.F32, data: new Float32Array(1024 * 1024) }],
    });
    const { error, read, largest } = await run(big);
    expect(error).toBeUndefined();
    expect(big.length).toBeGreaterThan(4_000_000);
    expect(read).toBeLessThanOrEqual(4096);
    expect(largest).toBeLessThanOrEqual(4096);
  });

  it("grows reads geometrically for long headers and never past the header", async () => {
    const tokens = Array.from({ length: 20000 }, (_, i) => `token-${i}`);
    const bytes = writeGguf({
      metadata: [["tokenizer.ggml.tokens", gv.arr.str(tokens)]],
      tensors: [{ name: "w", dims: [32], type: GgmlType.F32, data: new Float32Array(32) }],
    });
    let calls = 0;
    let read = 0;
    const h = await validateGgufHeader((o, l) => {
      calls++;
      read += Math.min(l, bytes.length - o);
      return bytes.subarray(o, o + l);
    }, bytes.length);
    expect((h.metadata.get("tokenizer.ggml.tokens")?.value as string[])[19999]).toBe("token-19999");
    expect(calls).toBeLessThan(12);
    expect(read).toBeLessThanOrEqual(h.headerSize + 1024 * 1024);
  });
});
