// GGUF v3 vocabulary shared by the writer (writer.ts) and the header validator (header.ts):
// metadata value types, ggml tensor types with their block geometry, and the value shapes.
// Callers: core/fixtures, engine adapter checks, the GGUF inspector, tests.

/** The 4 magic bytes every GGUF file starts with ("GGUF"). */
export const GGUF_MAGIC = new Uint8Array([0x47, 0x47, 0x55, 0x46]);
/** The version the writer emits; the validator also accepts version 2 (same layout). */
export const GGUF_VERSION = 3;
/** Alignment of the data section and of each tensor when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** llama.cpp's GGML_MAX_DIMS: a tensor has 1..4 dimensions. */
export const GGML_MAX_DIMS = 4;
/** llama.cpp's GGML_MAX_NAME: tensor names must be shorter than this many bytes. */
export const GGML_MAX_NAME = 64;

/** Metadata value type codes as stored in the file (gguf_type). */
export const GgufValueTypeCode = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

/** A metadata value type name. */
export type GgufValueType = keyof typeof GgufValueTypeCode;
/** Types that may appear as array items (llama.cpp rejects nested arrays). */
export type GgufItemType = Exclude<GgufValueType, "array">;
/** Number-valued types (64-bit integers use bigint instead). */
export type GgufNumberType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64";
/** 64-bit integer types, carried as bigint so no precision is lost. */
export type GgufBigIntType = "u64" | "i64";

/** Byte size of each fixed-size value type (strings and arrays are variable). */
export const GGUF_VALUE_SIZE: Record<Exclude<GgufItemType, "string">, number> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  bool: 1,
  u64: 8,
  i64: 8,
  f64: 8,
};

/** Type name for a value type code, or undefined for an unknown code. */
export function ggufValueTypeName(code: number): GgufValueType | undefined {
  for (const [name, c] of Object.entries(GgufValueTypeCode)) if (c === code) return name as GgufValueType;
  return undefined;
}

/** One metadata value with its type (arrays carry their item type). */
export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: GgufNumberType; value: number[] }
  | { type: "array"; itemType: GgufBigIntType; value: bigint[] }
  | { type: "array"; itemType: "bool"; value: boolean[] }
  | { type: "array"; itemType: "string"; value: string[] };

/** Constructors for typed metadata values, so specs read like `["llama.block_count", gv.u32(1)]`. */
export const gv = {
  u8: (value: number): GgufValue => ({ type: "u8", value }),
  i8: (value: number): GgufValue => ({ type: "i8", value }),
  u16: (value: number): GgufValue => ({ type: "u16", value }),
  i16: (value: number): GgufValue => ({ type: "i16", value }),
  u32: (value: number): GgufValue => ({ type: "u32", value }),
  i32: (value: number): GgufValue => ({ type: "i32", value }),
  f32: (value: number): GgufValue => ({ type: "f32", value }),
  f64: (value: number): GgufValue => ({ type: "f64", value }),
  u64: (value: bigint | number): GgufValue => ({ type: "u64", value: BigInt(value) }),
  i64: (value: bigint | number): GgufValue => ({ type: "i64", value: BigInt(value) }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  str: (value: string): GgufValue => ({ type: "string", value }),
  arr: {
    num: (itemType: GgufNumberType, value: number[]): GgufValue => ({ type: "array", itemType, value }),
    big: (itemType: GgufBigIntType, value: bigint[]): GgufValue => ({ type: "array", itemType, value }),
    bool: (value: boolean[]): GgufValue => ({ type: "array", itemType: "bool", value }),
    str: (value: string[]): GgufValue => ({ type: "array", itemType: "string", value }),
  },
};

/** ggml tensor type codes (ggml_type) that llama.cpp v0.4.0 knows, with block geometry. */
export const GGML_TYPES: Record<number, { name: string; blockSize: number; typeSize: number }> = {
  0: { name: "F32", blockSize: 1, typeSize: 4 },
  1: { name: "F16", blockSize: 1, typeSize: 2 },
  2: { name: "Q4_0", blockSize: 32, typeSize: 18 },
  3: { name: "Q4_1", blockSize: 32, typeSize: 20 },
  6: { name: "Q5_0", blockSize: 32, typeSize: 22 },
  7: { name: "Q5_1", blockSize: 32, typeSize: 24 },
  8: { name: "Q8_0", blockSize: 32, typeSize: 34 },
  9: { name: "Q8_1", blockSize: 32, typeSize: 36 },
  10: { name: "Q2_K", blockSize: 256, typeSize: 84 },
  11: { name: "Q3_K", blockSize: 256, typeSize: 110 },
  12: { name: "Q4_K", blockSize: 256, typeSize: 144 },
  13: { name: "Q5_K", blockSize: 256, typeSize: 176 },
  14: { name: "Q6_K", blockSize: 256, typeSize: 210 },
  15: { name: "Q8_K", blockSize: 256, typeSize: 292 },
  16: { name: "IQ2_XXS", blockSize: 256, typeSize: 66 },
  17: { name: "IQ2_XS", blockSize: 256, typeSize: 74 },
  18: { name: "IQ3_XXS", blockSize: 256, typeSize: 98 },
  19: { name: "IQ1_S", blockSize: 256, typeSize: 50 },
  20: { name: "IQ4_NL", blockSize: 32, typeSize: 18 },
  21: { name: "IQ3_S", blockSize: 256, typeSize: 110 },
  22: { name: "IQ2_S", blockSize: 256, typeSize: 82 },
  23: { name: "IQ4_XS", blockSize: 256, typeSize: 136 },
  24: { name: "I8", blockSize: 1, typeSize: 1 },
  25: { name: "I16", blockSize: 1, typeSize: 2 },
  26: { name: "I32", blockSize: 1, typeSize: 4 },
  27: { name: "I64", blockSize: 1, typeSize: 8 },
  28: { name: "F64", blockSize: 1, typeSize: 8 },
  29: { name: "IQ1_M", blockSize: 256, typeSize: 56 },
  30: { name: "BF16", blockSize: 1, typeSize: 2 },
  34: { name: "TQ1_0", blockSize: 256, typeSize: 54 },
  35: { name: "TQ2_0", blockSize: 256, typeSize: 66 },
  39: { name: "MXFP4", blockSize: 32, typeSize: 17 },
  40: { name: "NVFP4", blockSize: 64, typeSize: 36 },
  41: { name: "Q1_0", blockSize: 128, typeSize: 18 },
  42: { name: "Q2_0", blockSize: 64, typeSize: 18 },
};

/** The tensor types the writer can encode from float data. */
export const GgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const;
/** A tensor type the writer encodes. */
export type WritableGgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Bytes taken by a tensor of `type` with dims `dims` (ne order: columns first). */
export function ggmlTensorBytes(type: number, dims: readonly number[]): number {
  const t = GGML_TYPES[type];
  if (!t) throw new Error(`unknown ggml tensor type ${type}`);
  const n0 = dims[0] ?? 1;
  let rows = 1;
  for (let i = 1; i < dims.length; i++) rows *= dims[i]!;
  return (n0 / t.blockSize) * t.typeSize * rows;
}

/** Rounds `n` up to a multiple of `alignment`. */
export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
