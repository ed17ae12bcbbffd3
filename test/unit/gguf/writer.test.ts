// GGUF writer: every metadata value type round-trips through the header parser, tensors land at
// aligned offsets with the right encoded bytes (F32, F16, Q8_0), streaming equals one-shot output.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GgmlType, gv } from "../../../core/gguf/types.ts";
import type { GgufValue } from "../../../core/gguf/types.ts";
import { ggufChunks, layoutGguf, writeGguf } from "../../../core/gguf/writer.ts";
import type { GgufSpec } from "../../../core/gguf/writer.ts";
import { validateGgufBytes } from "../../../core/gguf/header.ts";
import { decodeQ8_0, f16BitsToF32, f32ToF16Bits } from "../../../core/gguf/encode.ts";

const everyType: [string, GgufValue][] = [
  ["t.u8", gv.u8(255)],
  ["t.i8", gv.i8(-128)],
  ["t.u16", gv.u16(65535)],
  ["t.i16", gv.i16(-32768)],
  ["t.u32", gv.u32(4294967295)],
  ["t.i32", gv.i32(-2147483648)],
  ["t.f32", gv.f32(1.5)],
  ["t.f64", gv.f64(Math.PI)],
  ["t.u64", gv.u64(2n ** 64n - 1n)],
  ["t.i64", gv.i64(-(2n ** 63n))],
  ["t.bool.true", gv.bool(true)],
  ["t.bool.false", gv.bool(false)],
  ["t.string", gv.str("héllo, 世界 😀")],
  ["t.string.empty", gv.str("")],
  ["t.arr.u8", gv.arr.num("u8", [0, 1, 255])],
  ["t.arr.i8", gv.arr.num("i8", [-1, 127])],
  ["t.arr.u16", gv.arr.num("u16", [7, 65535])],
  ["t.arr.i16", gv.arr.num("i16", [-7])],
  ["t.arr.u32", gv.arr.num("u32", [1, 2, 3])],
  ["t.arr.i32", gv.arr.num("i32", [-1, 0, 1])],
  ["t.arr.f32", gv.arr.num("f32", [0.5, -2])],
  ["t.arr.f64", gv.arr.num("f64", [1e300, -1e-300])],
  ["t.arr.u64", gv.arr.big("u64", [0n, 2n ** 63n])],
  ["t.arr.i64", gv.arr.big("i64", [-5n])],
  ["t.arr.bool", gv.arr.bool([true, false, true])],
  ["t.arr.string", gv.arr.str(["a", "", "日本"])],
  ["t.arr.empty", gv.arr.str([])],
];

function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function tensorSpec(alignment = 32): GgufSpec {
  return {
    metadata: [["general.alignment", gv.u32(alignment)], ...everyType],
    tensors: [
      { name: "a.f32", dims: [3], type: GgmlType.F32, data: new Float32Array([1, -2, 3.25]) },
      { name: "b.f16", dims: [2, 2], type: GgmlType.F16, data: new Float32Array([0.5, -1, 65504, 1 / 3]) },
      {
        name: "c.q8",
        dims: [32, 2],
        type: GgmlType.Q8_0,
        data: Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 8),
      },
    ],
  };
}

describe("GGUF writer", () => {
  it("round-trips every metadata value type through the header parser", async () => {
    const header = await validateGgufBytes(writeGguf({ metadata: everyType, tensors: [] }));
    expect(header.version).toBe(3);
    expect([...header.metadata.keys()]).toEqual(everyType.map(([k]) => k));
    for (const [key, value] of everyType) {
      const got = header.metadata.get(key)!;
      if (value.type === "f32") expect(got).toEqual({ type: "f32", value: Math.fround(value.value) });
      else if (value.type === "array" && value.itemType === "f32")
        expect(got).toEqual({ ...value, value: value.value.map(Math.fround) });
      else expect(got).toEqual(value);
    }
  });

  it.each([32, 64, 256])(
    "places the data section and every tensor at %i-byte alignment",
    async (alignment) => {
      const bytes = writeGguf(tensorSpec(alignment));
      const header = await validateGgufBytes(bytes);
      expect(header.alignment).toBe(alignment);
      expect(header.dataOffset % alignment).toBe(0);
      expect(header.tensors.map((t) => [t.name, t.typeName, t.dims, t.bytes])).toEqual([
        ["a.f32", "F32", [3], 12],
        ["b.f16", "F16", [2, 2], 8],
        ["c.q8", "Q8_0", [32, 2], 68],
      ]);
      for (const t of header.tensors) expect(t.fileOffset % alignment).toBe(0);
      // Padding bytes are zero.
      expect(bytes.subarray(header.headerSize, header.dataOffset).every((b) => b === 0)).toBe(true);
    },
  );

  it("encodes F32, F16 and Q8_0 data that decodes back to the values", async () => {
    const bytes = writeGguf(tensorSpec());
    const header = await validateGgufBytes(bytes);
    const view = new DataView(bytes.buffer);
    const [a, b, c] = header.tensors;
    expect([0, 1, 2].map((i) => view.getFloat32(a!.fileOffset + 4 * i, true))).toEqual([1, -2, 3.25]);
    const f16 = [0, 1, 2, 3].map((i) => f16BitsToF32(view.getUint16(b!.fileOffset + 2 * i, true)));
    expect(f16.slice(0, 3)).toEqual([0.5, -1, 65504]);
    expect(f16[3]).toBeCloseTo(1 / 3, 3);
    const q = decodeQ8_0(bytes.subarray(c!.fileOffset, c!.fileOffset + c!.bytes), 64);
    const src = tensorSpec().tensors[2]!.data as Float32Array;
    // Q8_0 error is at most half a step of max|x| / 127 per block.
    for (let i = 0; i < 64; i++) expect(Math.abs(q[i]! - src[i]!)).toBeLessThanOrEqual(4 / 127 / 2 + 1e-3);
    expect(q[0]).toBeCloseTo(-4, 2); // block max, up to the F16 rounding of the scale
  });

  it("rounds F16 to nearest even, keeps subnormals, saturates to infinity", () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // ties away from the max finite value -> inf
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even mantissa
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even mantissa (up)
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(f16BitsToF32(f32ToF16Bits(0.1))).toBeCloseTo(0.1, 4);
  });

  it("streams the same bytes in bounded chunks, also from generator data of odd sizes", () => {
    const n = 64 * 1024;
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const arraySpec: GgufSpec = {
      metadata: [],
      tensors: [{ name: "w", dims: [256, n / 256], type: GgmlType.Q8_0, data: values }],
    };
    const genSpec: GgufSpec = {
      metadata: [],
      tensors: [
        {
          name: "w",
          dims: [256, n / 256],
          type: GgmlType.Q8_0,
          data: function* () {
            for (let i = 0; i < n; i += 1000) yield values.subarray(i, Math.min(n, i + 1000));
          },
        },
      ],
    };
    const whole = writeGguf(arraySpec);
    const { totalSize, chunks } = ggufChunks(genSpec, { chunkBytes: 16 * 1024 });
    expect(totalSize).toBe(whole.length);
    const parts = [...chunks()];
    expect(parts.length).toBeGreaterThan(5);
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(16 * 1024);
    const joined = new Uint8Array(totalSize);
    let o = 0;
    for (const p of parts) joined.set(p, (o += p.length) - p.length);
    expect(sha(joined)).toBe(sha(whole));
  });

  it("is deterministic: the same spec gives the same bytes", () => {
    expect(sha(writeGguf(tensorSpec()))).toBe(sha(writeGguf(tensorSpec())));
  });

  it("refuses specs llama.cpp would reject", () => {
    expect(() =>
      layoutGguf({
        metadata: [
          ["k", gv.u8(1)],
          ["k", gv.u8(2)],
        ],
        tensors: [],
      }),
    ).toThrow(/duplicate metadata key "k"/);
    const t = { name: "x", dims: [32], type: GgmlType.F32, data: new Float32Array(32) } as const;
    expect(() => layoutGguf({ metadata: [], tensors: [t, t] })).toThrow(/duplicate tensor name "x"/);
    expect(() =>
      layoutGguf({ metadata: [], tensors: [{ ...t, type: GgmlType.Q8_0, dims: [16, 2] }] }),
    ).toThrow(/multiple of 32/);
    expect(() => layoutGguf({ metadata: [["general.alignment", gv.u32(48)]], tensors: [] })).toThrow(
      /power of two/,
    );
    expect(() => layoutGguf({ metadata: [["k", gv.u8(256)]], tensors: [] })).toThrow(
      /does not fit GGUF type u8/,
    );
    expect(() =>
      writeGguf({ metadata: [], tensors: [{ ...t, data: () => [new Float32Array(31)] }] }),
    ).toThrow(/31 values, dims need 32/);
  });
});
