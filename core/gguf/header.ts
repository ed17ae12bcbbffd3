// GGUF header validator and parser: reads only the header, through bounded reads, and checks
// every count, length and offset against the file size before trusting it, so a hostile or
// corrupt file is rejected in milliseconds (node-llama-cpp's own parser spent minutes and GBs on
// a header claiming a million tensors). Callers: engine (before any load), the GGUF inspector,
// fixture tests. Semantic checks on the parsed result live in semantics.ts.
import {
  GGML_MAX_DIMS,
  GGML_MAX_NAME,
  GGML_TYPES,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_VALUE_SIZE,
  alignUp,
  ggufValueTypeName,
} from "./types.ts";
import type { GgufItemType, GgufValue } from "./types.ts";

/** Reads `length` bytes at `offset`; may return fewer at the end of the file. */
export type GgufReadAt = (offset: number, length: number) => Promise<Uint8Array> | Uint8Array;

/** Why a file was rejected. Header codes come from validateGgufHeader, the rest from semantics.ts. */
export type GgufErrorCode =
  | "truncated"
  | "bad-magic"
  | "bad-version"
  | "count-too-large"
  | "string-too-long"
  | "array-too-long"
  | "invalid-string"
  | "duplicate-key"
  | "duplicate-tensor"
  | "unknown-value-type"
  | "nested-array"
  | "bad-alignment"
  | "header-too-large"
  | "bad-dims"
  | "name-too-long"
  | "unknown-tensor-type"
  | "bad-row-size"
  | "bad-offset"
  | "data-past-eof"
  | "missing-key"
  | "wrong-key-type"
  | "not-a-model"
  | "not-an-adapter"
  | "zero-blocks"
  | "duplicate-token"
  | "missing-tensor"
  | "wrong-shape"
  | "wrong-architecture"
  | "bad-hparams";

/** A GGUF file that must not be handed to llama.cpp; `message` names the fault. */
export class GgufError extends Error {
  override readonly name = "GgufError";
  constructor(
    /** Machine-readable reason. */
    readonly code: GgufErrorCode,
    message: string,
    /** File offset where the fault was found, when it has one. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** One tensor as described by the header. */
export interface GgufTensorInfo {
  /** Tensor name. */
  name: string;
  /** Dims in ggml order (ne[0], columns, first). */
  dims: number[];
  /** ggml type code. */
  type: number;
  /** ggml type name, e.g. "F16". */
  typeName: string;
  /** Offset relative to the data section. */
  offset: number;
  /** Absolute file offset of the data. */
  fileOffset: number;
  /** Encoded size in bytes. */
  bytes: number;
}

/** The parsed, validated header. */
export interface GgufHeader {
  /** GGUF version (2 or 3). */
  version: number;
  /** Metadata in file order. */
  metadata: Map<string, GgufValue>;
  /** Tensor infos in file order. */
  tensors: GgufTensorInfo[];
  /** general.alignment or 32. */
  alignment: number;
  /** Bytes of header (before the padding to the data section). */
  headerSize: number;
  /** Absolute offset of the data section. */
  dataOffset: number;
  /** File size the header was checked against. */
  fileSize: number;
}

/** Options for `validateGgufHeader`. */
export interface ValidateGgufOptions {
  /** Largest header accepted, in bytes. Default 256 MiB. */
  maxHeaderBytes?: number;
  /** First read size; later reads double up to 1 MiB. Default 4096. */
  initialReadBytes?: number;
}

/** Smallest possible encodings, used to reject counts before reading what they count. */
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8; // name length, n_dims, one dim, type, offset
const MIN_KV_BYTES = 8 + 4 + 1; // key length, value type, smallest value
const MIN_ITEM_BYTES = (t: GgufItemType): number => (t === "string" ? 8 : GGUF_VALUE_SIZE[t]);

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Sequential reader over `readAt` that never reads past the file and reads in growing chunks. */
class Cursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  private bufStart = 0;
  private nextRead: number;

  constructor(
    private readonly readAt: GgufReadAt,
    readonly fileSize: number,
    private readonly maxHeader: number,
    initialRead: number,
  ) {
    this.nextRead = initialRead;
  }

  get remaining(): number {
    return this.fileSize - this.pos;
  }

  /** Makes bytes [pos, pos + n) available; `what` names the field for the error message. */
  async need(n: number, what: string): Promise<void> {
    const end = this.pos + n;
    if (end <= this.bufStart + this.buf.length) return;
    if (end > this.fileSize) {
      throw new GgufError(
        "truncated",
        `${what} at offset ${this.pos} needs ${n} bytes, but the file ends at ${this.fileSize} (truncated header)`,
        this.pos,
      );
    }
    if (end > this.maxHeader) {
      throw new GgufError(
        "header-too-large",
        `${what} at offset ${this.pos} goes past the ${this.maxHeader}-byte header limit`,
        this.pos,
      );
    }
    const want = Math.min(this.fileSize - this.pos, Math.max(n, this.nextRead));
    this.nextRead = Math.min(this.nextRead * 2, 1 << 20);
    const got = await this.readAt(this.pos, want);
    if (got.length < n) {
      throw new GgufError(
        "truncated",
        `${what} at offset ${this.pos}: read returned ${got.length} of ${n} bytes (file shorter than its size?)`,
        this.pos,
      );
    }
    // Keep unread bytes of the old window that precede pos? Not needed: reads are strictly sequential.
    this.buf = got;
    this.view = new DataView(got.buffer, got.byteOffset, got.byteLength);
    this.bufStart = this.pos;
  }

  private at(): number {
    return this.pos - this.bufStart;
  }
  /** Whether bytes [pos, pos + n) are already buffered. */
  has(n: number): boolean {
    return this.pos + n <= this.bufStart + this.buf.length;
  }
  /** The u64 at pos without consuming it (must be buffered). */
  peekU64(): bigint {
    return this.view.getBigUint64(this.at(), true);
  }
  u8(): number {
    const v = this.view.getUint8(this.at());
    this.pos += 1;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.at(), true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.at(), true);
    this.pos += 8;
    return v;
  }
  item(t: Exclude<GgufItemType, "string">): number | bigint | boolean {
    const o = this.at();
    const dv = this.view;
    this.pos += GGUF_VALUE_SIZE[t];
    switch (t) {
      case "u8":
        return dv.getUint8(o);
      case "i8":
        return dv.getInt8(o);
      case "u16":
        return dv.getUint16(o, true);
      case "i16":
        return dv.getInt16(o, true);
      case "u32":
        return dv.getUint32(o, true);
      case "i32":
        return dv.getInt32(o, true);
      case "f32":
        return dv.getFloat32(o, true);
      case "f64":
        return dv.getFloat64(o, true);
      case "bool":
        return dv.getUint8(o) !== 0;
      case "u64":
        return dv.getBigUint64(o, true);
      case "i64":
        return dv.getBigInt64(o, true);
    }
  }
  bytes(n: number): Uint8Array {
    const o = this.at();
    this.pos += n;
    return this.buf.subarray(o, o + n);
  }
}

function fileDesc(size: number): string {
  return `a ${size}-byte file`;
}

function stringTooLong(c: Cursor, what: string, len: bigint, start: number): GgufError {
  return new GgufError(
    "string-too-long",
    `${what}: string length ${len} at offset ${start} cannot fit in the remaining ${c.remaining - 8} bytes of ${fileDesc(c.fileSize)}`,
    start,
  );
}

/** UTF-8 bytes to a string; short ASCII strings (most token texts) skip TextDecoder. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  if (bytes.length <= 64) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) ascii = false;
    // One flat string in one call: no TextDecoder setup, no cons-string chains for the GC.
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return decodeOrUndefined(bytes);
}

function decodeOrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function invalidString(what: string, start: number): GgufError {
  return new GgufError("invalid-string", `${what} at offset ${start} is not valid UTF-8`, start);
}

/** Item `i` of string array `key`, read synchronously when fully buffered, else undefined (nothing consumed). */
function tryArrayString(c: Cursor, key: string, i: number): string | undefined {
  if (!c.has(8)) return undefined;
  const start = c.pos;
  const len = c.peekU64();
  if (len > BigInt(c.remaining - 8)) throw stringTooLong(c, `item ${i} of "${key}"`, len, start);
  const n = Number(len);
  if (!c.has(8 + n)) return undefined;
  c.u64();
  const text = decodeUtf8(c.bytes(n));
  if (text === undefined) throw invalidString(`item ${i} of "${key}"`, start);
  return text;
}

/** Reads a GGUF string: u64 length (checked against the file) then UTF-8 bytes. */
async function readString(c: Cursor, what: string): Promise<string> {
  await c.need(8, `length of ${what}`);
  const start = c.pos;
  const len = c.peekU64();
  if (len > BigInt(c.remaining - 8)) throw stringTooLong(c, what, len, start);
  c.u64();
  const n = Number(len);
  await c.need(n, what);
  const text = decodeUtf8(c.bytes(n));
  if (text === undefined) throw invalidString(what, start);
  return text;
}

async function readValue(c: Cursor, key: string, typeCode: number, typeOffset: number): Promise<GgufValue> {
  const type = ggufValueTypeName(typeCode);
  if (type === undefined)
    throw new GgufError(
      "unknown-value-type",
      `metadata key "${key}" has unknown value type ${typeCode}`,
      typeOffset,
    );
  if (type === "string") return { type, value: await readString(c, `value of "${key}"`) };
  if (type !== "array") {
    await c.need(GGUF_VALUE_SIZE[type], `value of "${key}"`);
    return { type, value: c.item(type) } as GgufValue;
  }
  await c.need(12, `array header of "${key}"`);
  const itemOffset = c.pos;
  const itemCode = c.u32();
  const itemType = ggufValueTypeName(itemCode);
  if (itemType === undefined) {
    throw new GgufError(
      "unknown-value-type",
      `metadata key "${key}" is an array of unknown value type ${itemCode}`,
      itemOffset,
    );
  }
  if (itemType === "array")
    throw new GgufError(
      "nested-array",
      `metadata key "${key}" is an array of arrays (not supported by llama.cpp)`,
      itemOffset,
    );
  const countOffset = c.pos;
  const count = c.u64();
  if (count * BigInt(MIN_ITEM_BYTES(itemType)) > BigInt(c.remaining)) {
    throw new GgufError(
      "array-too-long",
      `metadata key "${key}": array of ${count} ${itemType} items cannot fit in the remaining ${c.remaining} bytes of ${fileDesc(c.fileSize)}`,
      countOffset,
    );
  }
  const n = Number(count);
  if (itemType === "string") {
    const out: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      // Token lists hold 100k+ strings: decode buffered ones without an await each.
      out[i] = tryArrayString(c, key, i) ?? (await readString(c, `item ${i} of "${key}"`));
    }
    return { type, itemType, value: out };
  }
  const size = GGUF_VALUE_SIZE[itemType];
  await c.need(n * size, `items of "${key}"`);
  const out: (number | bigint | boolean)[] = new Array<number | bigint | boolean>(n);
  for (let i = 0; i < n; i++) out[i] = c.item(itemType);
  return { type, itemType, value: out } as GgufValue;
}

/**
 * Validates and parses the header of a GGUF file of `fileSize` bytes, reading it through
 * `readAt` (header bytes only, in bounded reads). Throws GgufError naming the first fault.
 */
export async function validateGgufHeader(
  readAt: GgufReadAt,
  fileSize: number,
  options: ValidateGgufOptions = {},
): Promise<GgufHeader> {
  const c = new Cursor(
    readAt,
    fileSize,
    options.maxHeaderBytes ?? 256 * 1024 * 1024,
    options.initialReadBytes ?? 4096,
  );
  if (fileSize < 4) throw new GgufError("truncated", `file is ${fileSize} bytes: too small to be GGUF`, 0);
  await c.need(4, "magic");
  const magic = c.bytes(4);
  if (magic[0] !== 0x47 || magic[1] !== 0x47 || magic[2] !== 0x55 || magic[3] !== 0x46) {
    const hex = [...magic].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const text = [...magic].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    throw new GgufError("bad-magic", `not a GGUF file: wrong magic ${hex} ("${text}"), expected "GGUF"`, 0);
  }
  if (fileSize < 24)
    throw new GgufError("truncated", `file is ${fileSize} bytes: too small for a GGUF header (24 bytes)`, 4);
  await c.need(20, "header");
  const version = c.u32();
  if (version !== 2 && version !== 3) {
    const swapped =
      ((version & 0xff) << 24) |
      (((version >>> 8) & 0xff) << 16) |
      (((version >>> 16) & 0xff) << 8) |
      (version >>> 24);
    const hint = swapped === 2 || swapped === 3 ? " (a big-endian file)" : "";
    throw new GgufError(
      "bad-version",
      `unsupported GGUF version ${version}${hint}: only versions 2 and 3 are read`,
      4,
    );
  }
  const tensorCount = c.u64();
  const kvCount = c.u64();
  if (tensorCount * BigInt(MIN_TENSOR_INFO_BYTES) > BigInt(c.remaining)) {
    throw new GgufError(
      "count-too-large",
      `tensor count ${tensorCount} cannot fit in ${fileDesc(fileSize)} (each tensor needs at least ${MIN_TENSOR_INFO_BYTES} header bytes)`,
      8,
    );
  }
  if (kvCount * BigInt(MIN_KV_BYTES) + tensorCount * BigInt(MIN_TENSOR_INFO_BYTES) > BigInt(c.remaining)) {
    throw new GgufError(
      "count-too-large",
      `metadata count ${kvCount} cannot fit in ${fileDesc(fileSize)} (each key/value needs at least ${MIN_KV_BYTES} bytes)`,
      16,
    );
  }
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < Number(kvCount); i++) {
    const keyOffset = c.pos;
    const key = await readString(c, `metadata key #${i}`);
    if (metadata.has(key)) throw new GgufError("duplicate-key", `duplicate metadata key "${key}"`, keyOffset);
    await c.need(4, `value type of "${key}"`);
    const typeOffset = c.pos;
    metadata.set(key, await readValue(c, key, c.u32(), typeOffset));
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = metadata.get("general.alignment");
  if (al !== undefined) {
    if (al.type !== "u32" || al.value === 0 || (al.value & (al.value - 1)) !== 0) {
      throw new GgufError(
        "bad-alignment",
        `general.alignment must be a u32 power of two, got ${al.type} ${String(al.value)}`,
      );
    }
    alignment = al.value;
  }
  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  let expectedOffset = 0;
  for (let i = 0; i < Number(tensorCount); i++) {
    const nameOffset = c.pos;
    const name = await readString(c, `name of tensor #${i}`);
    if (names.has(name))
      throw new GgufError("duplicate-tensor", `duplicate tensor name "${name}"`, nameOffset);
    names.add(name);
    if (new TextEncoder().encode(name).length >= GGML_MAX_NAME) {
      throw new GgufError(
        "name-too-long",
        `tensor name "${name}" is ${name.length} bytes; llama.cpp allows at most ${GGML_MAX_NAME - 1}`,
        nameOffset,
      );
    }
    await c.need(4, `dimension count of tensor "${name}"`);
    const nDims = c.u32();
    if (nDims < 1 || nDims > GGML_MAX_DIMS)
      throw new GgufError(
        "bad-dims",
        `tensor "${name}" has ${nDims} dimensions (must be 1..${GGML_MAX_DIMS})`,
        c.pos - 4,
      );
    await c.need(nDims * 8 + 12, `info of tensor "${name}"`);
    const dims: number[] = [];
    let elements = 1n;
    for (let d = 0; d < nDims; d++) {
      const v = c.u64();
      elements *= v;
      if (elements > BigInt(fileSize) * 8n) {
        throw new GgufError(
          "data-past-eof",
          `tensor "${name}" dims imply more data than ${fileDesc(fileSize)} can hold`,
          c.pos - 8,
        );
      }
      dims.push(Number(v));
    }
    const typeOffset = c.pos;
    const type = c.u32();
    const info = GGML_TYPES[type];
    if (!info)
      throw new GgufError(
        "unknown-tensor-type",
        `tensor "${name}" has unknown ggml type ${type}`,
        typeOffset,
      );
    if (dims[0]! % info.blockSize !== 0) {
      throw new GgufError(
        "bad-row-size",
        `tensor "${name}" (${info.name}) has rows of ${dims[0]} values, not a multiple of the block size ${info.blockSize}`,
        typeOffset,
      );
    }
    const offOffset = c.pos;
    const offset = c.u64();
    if (offset !== BigInt(expectedOffset)) {
      throw new GgufError(
        "bad-offset",
        `tensor "${name}" has data offset ${offset}, expected ${expectedOffset} (tensors must be packed in order at ${alignment}-byte alignment)`,
        offOffset,
      );
    }
    const bytes = Number((elements / BigInt(info.blockSize)) * BigInt(info.typeSize));
    tensors.push({ name, dims, type, typeName: info.name, offset: expectedOffset, fileOffset: 0, bytes });
    expectedOffset = alignUp(expectedOffset + bytes, alignment);
  }
  const headerSize = c.pos;
  const dataOffset = alignUp(headerSize, alignment);
  for (const t of tensors) {
    t.fileOffset = dataOffset + t.offset;
    const end = t.fileOffset + t.bytes;
    if (end > fileSize) {
      throw new GgufError(
        "data-past-eof",
        `tensor "${t.name}" data ends at byte ${end}, past the end of ${fileDesc(fileSize)} (truncated data)`,
        t.fileOffset,
      );
    }
  }
  return { version, metadata, tensors, alignment, headerSize, dataOffset, fileSize };
}

/** `validateGgufHeader` over bytes already in memory. */
export function validateGgufBytes(bytes: Uint8Array, options?: ValidateGgufOptions): Promise<GgufHeader> {
  return validateGgufHeader(
    (offset, length) => bytes.subarray(offset, offset + length),
    bytes.length,
    options,
  );
}
