// GGUF v3 writer over bytes: metadata of every value type, F32/F16/Q8_0 tensors, alignment.
// Deterministic (same spec -> same bytes) and stream-friendly: `ggufChunks` knows the total size
// up front and yields the file piece by piece, so a 160M-parameter model never sits in one buffer.
// Callers: core/fixtures builders, scripts/fixtures.ts, the app's "create demo model" action.
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_SIZE,
  GGUF_VERSION,
  GGML_MAX_DIMS,
  GGML_MAX_NAME,
  GGML_TYPES,
  GgmlType,
  GgufValueTypeCode,
  alignUp,
  ggmlTensorBytes,
} from "./types.ts";
import type { GgufItemType, GgufValue, WritableGgmlType } from "./types.ts";
import { encodeF16, encodeF32, encodeQ8_0 } from "./encode.ts";

/** One tensor to write. */
export interface GgufTensorSpec {
  /** Tensor name, e.g. "blk.0.attn_q.weight" (under 64 bytes). */
  name: string;
  /** Dimensions in ggml order: ne[0] (columns, fastest-varying) first. */
  dims: readonly number[];
  /** Storage type: F32 (0), F16 (1) or Q8_0 (8, needs dims[0] % 32 == 0). */
  type: WritableGgmlType;
  /** Values in memory order (dims[0] fastest): one array, or a function yielding chunks in order (any sizes). */
  data: Float32Array | (() => Iterable<Float32Array>);
}

/** Everything a GGUF file holds. */
export interface GgufSpec {
  /** Metadata key/value pairs, written in this order; `general.alignment` (u32) sets the alignment (default 32). */
  metadata: ReadonlyArray<readonly [string, GgufValue]>;
  /** Tensors, written in this order, each at the next aligned offset. */
  tensors: readonly GgufTensorSpec[];
}

/** Options for `ggufChunks`. */
export interface GgufChunkOptions {
  /** Approximate bytes of tensor data per yielded chunk. Default 4 MiB. */
  chunkBytes?: number;
}

/** A GGUF file laid out but not yet encoded. */
export interface GgufLayout {
  /** Header bytes (magic, counts, metadata, tensor infos) without the padding after it. */
  header: Uint8Array;
  /** Alignment used for the data section and every tensor. */
  alignment: number;
  /** Absolute file offset of the data section. */
  dataOffset: number;
  /** Per tensor: offset relative to the data section, and encoded byte length. */
  tensors: { offset: number; bytes: number }[];
  /** Exact size of the whole file in bytes. */
  totalSize: number;
}

/** Growable little-endian byte builder for the header. */
class ByteBuilder {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private static readonly encoder = new TextEncoder();

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.length++, v);
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  string(s: string): void {
    const b = ByteBuilder.encoder.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  item(type: GgufItemType, v: number | bigint | boolean | string): void {
    if (type === "string") return this.string(v as string);
    const size = GGUF_VALUE_SIZE[type];
    this.ensure(size);
    const o = this.length;
    const dv = this.view;
    switch (type) {
      case "u8":
        dv.setUint8(o, checkInt(v as number, 0, 0xff, type));
        break;
      case "i8":
        dv.setInt8(o, checkInt(v as number, -0x80, 0x7f, type));
        break;
      case "u16":
        dv.setUint16(o, checkInt(v as number, 0, 0xffff, type), true);
        break;
      case "i16":
        dv.setInt16(o, checkInt(v as number, -0x8000, 0x7fff, type), true);
        break;
      case "u32":
        dv.setUint32(o, checkInt(v as number, 0, 0xffffffff, type), true);
        break;
      case "i32":
        dv.setInt32(o, checkInt(v as number, -0x80000000, 0x7fffffff, type), true);
        break;
      case "f32":
        dv.setFloat32(o, v as number, true);
        break;
      case "f64":
        dv.setFloat64(o, v as number, true);
        break;
      case "bool":
        dv.setUint8(o, v ? 1 : 0);
        break;
      case "u64":
        dv.setBigUint64(o, BigInt.asUintN(64, v as bigint), true);
        break;
      case "i64":
        dv.setBigInt64(o, BigInt.asIntN(64, v as bigint), true);
        break;
    }
    this.length += size;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkInt(v: number, min: number, max: number, type: string): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`value ${v} does not fit GGUF type ${type}`);
  return v;
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Lays out `spec`: encodes the header and computes every offset and the total size. Throws on an invalid spec. */
export function layoutGguf(spec: GgufSpec): GgufLayout {
  const keys = new Set<string>();
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const b = new ByteBuilder();
  b.bytes(GGUF_MAGIC);
  b.u32(GGUF_VERSION);
  b.u64(spec.tensors.length);
  b.u64(spec.metadata.length);
  for (const [key, value] of spec.metadata) {
    if (keys.has(key)) throw new Error(`duplicate metadata key "${key}"`);
    keys.add(key);
    if (key === "general.alignment") {
      if (value.type !== "u32" || value.value <= 0 || (value.value & (value.value - 1)) !== 0) {
        throw new Error("general.alignment must be a u32 power of two");
      }
      alignment = value.value;
    }
    b.string(key);
    b.u32(GgufValueTypeCode[value.type]);
    if (value.type === "array") {
      b.u32(GgufValueTypeCode[value.itemType]);
      b.u64(value.value.length);
      for (const item of value.value) b.item(value.itemType, item);
    } else {
      b.item(value.type, value.value);
    }
  }
  const names = new Set<string>();
  const tensors: GgufLayout["tensors"] = [];
  let offset = 0;
  for (const t of spec.tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor name "${t.name}"`);
    names.add(t.name);
    if (new TextEncoder().encode(t.name).length >= GGML_MAX_NAME)
      throw new Error(`tensor name "${t.name}" is too long`);
    if (t.dims.length < 1 || t.dims.length > GGML_MAX_DIMS)
      throw new Error(`tensor "${t.name}" needs 1..4 dims`);
    if (t.dims.some((d) => !Number.isInteger(d) || d < 0))
      throw new Error(`tensor "${t.name}" has an invalid dim`);
    const info = GGML_TYPES[t.type]!;
    if (t.dims[0]! % info.blockSize !== 0) {
      throw new Error(`tensor "${t.name}": ${info.name} needs dims[0] to be a multiple of ${info.blockSize}`);
    }
    if (t.data instanceof Float32Array && t.data.length !== elementCount(t.dims)) {
      throw new Error(`tensor "${t.name}": ${t.data.length} values for ${elementCount(t.dims)} elements`);
    }
    b.string(t.name);
    b.u32(t.dims.length);
    for (const d of t.dims) b.u64(d);
    b.u32(t.type);
    b.u64(offset);
    const bytes = ggmlTensorBytes(t.type, t.dims);
    tensors.push({ offset, bytes });
    offset += alignUp(bytes, alignment);
  }
  const header = b.result();
  const dataOffset = alignUp(header.length, alignment);
  return { header, alignment, dataOffset, tensors, totalSize: dataOffset + offset };
}

function encodeInto(type: WritableGgmlType, src: Float32Array): Uint8Array {
  const out = new Uint8Array(ggmlTensorBytes(type, [src.length]));
  if (type === GgmlType.F32) encodeF32(src, out, 0);
  else if (type === GgmlType.F16) encodeF16(src, out, 0);
  else encodeQ8_0(src, out, 0);
  return out;
}

/** Yields one tensor's encoded bytes in pieces of about `chunkElems` values (a multiple of 32). */
function* tensorChunks(t: GgufTensorSpec, chunkElems: number): Generator<Uint8Array> {
  const total = elementCount(t.dims);
  if (t.data instanceof Float32Array) {
    for (let i = 0; i < total; i += chunkElems)
      yield encodeInto(t.type, t.data.subarray(i, Math.min(total, i + chunkElems)));
    return;
  }
  // Arbitrary-size input chunks are regrouped so Q8_0 blocks never straddle two encodes.
  const pending = new Float32Array(Math.min(chunkElems, Math.max(total, 1)));
  let filled = 0;
  let seen = 0;
  for (const piece of t.data()) {
    seen += piece.length;
    if (seen > total) throw new Error(`tensor "${t.name}": data has more than ${total} values`);
    let p = 0;
    while (p < piece.length) {
      const n = Math.min(pending.length - filled, piece.length - p);
      pending.set(piece.subarray(p, p + n), filled);
      filled += n;
      p += n;
      if (filled === pending.length) {
        yield encodeInto(t.type, pending);
        filled = 0;
      }
    }
  }
  if (seen !== total) throw new Error(`tensor "${t.name}": data has ${seen} values, dims need ${total}`);
  if (filled > 0) yield encodeInto(t.type, pending.subarray(0, filled));
}

/** The file as a total size plus a generator of its bytes in order (call `chunks()` once per write). */
export function ggufChunks(
  spec: GgufSpec,
  options: GgufChunkOptions = {},
): { totalSize: number; layout: GgufLayout; chunks: () => Generator<Uint8Array> } {
  const layout = layoutGguf(spec);
  const chunkElems = Math.max(32, Math.floor((options.chunkBytes ?? 4 * 1024 * 1024) / 4 / 32) * 32);
  function* chunks(): Generator<Uint8Array> {
    yield layout.header;
    let pos = layout.header.length;
    const pad = (to: number): Uint8Array | undefined => {
      const n = to - pos;
      pos = to;
      return n > 0 ? new Uint8Array(n) : undefined;
    };
    const head = pad(layout.dataOffset);
    if (head) yield head;
    for (let i = 0; i < spec.tensors.length; i++) {
      const t = spec.tensors[i]!;
      const { offset, bytes } = layout.tensors[i]!;
      let written = 0;
      for (const c of tensorChunks(t, chunkElems)) {
        written += c.length;
        yield c;
      }
      if (written !== bytes) throw new Error(`tensor "${t.name}": wrote ${written} bytes, expected ${bytes}`);
      pos = layout.dataOffset + offset + bytes;
      const tail = pad(layout.dataOffset + alignUp(offset + bytes, layout.alignment));
      if (tail) yield tail;
    }
  }
  return { totalSize: layout.totalSize, layout, chunks };
}

/** The whole file in one buffer: for small files (fixtures, tests). */
export function writeGguf(spec: GgufSpec): Uint8Array {
  const { totalSize, chunks } = ggufChunks(spec);
  const out = new Uint8Array(totalSize);
  let pos = 0;
  for (const c of chunks()) {
    out.set(c, pos);
    pos += c.length;
  }
  if (pos !== totalSize) throw new Error(`GGUF writer produced ${pos} bytes, planned ${totalSize}`);
  return out;
}
