// Float encodings for GGUF tensor data: IEEE half precision (F16) and ggml's Q8_0 blocks.
// Used by the writer (writer.ts) and by tests that decode what was written.
// Q8_0 follows ggml's reference quantizer: d = max|x| / 127 stored as F16, q = round(x / d).

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE 754 half-precision bits of `v`, rounded to nearest, ties to even (as ggml does). */
export function f32ToF16Bits(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: count units of 2^-24.
    const shift = 14 - e;
    if (shift > 24) return sign;
    const m = mant | 0x800000;
    let hm = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && hm & 1)) hm++;
    return sign | hm;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is still correct
  return sign | h;
}

/** The float value of half-precision bits `h`. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Whether typed arrays on this host are little-endian (GGUF is): then bulk copies are safe. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes `src` as little-endian F32 into `out` at byte `offset`. */
export function encodeF32(src: Float32Array, out: Uint8Array, offset: number): void {
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(src.buffer, src.byteOffset, src.length * 4), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, src.length * 4);
  for (let i = 0; i < src.length; i++) view.setFloat32(i * 4, src[i]!, true);
}

/** Writes `src` as little-endian F16 into `out` at byte `offset`. */
export function encodeF16(src: Float32Array, out: Uint8Array, offset: number): void {
  if (HOST_LITTLE_ENDIAN && (out.byteOffset + offset) % 2 === 0) {
    const dst = new Uint16Array(out.buffer, out.byteOffset + offset, src.length);
    for (let i = 0; i < src.length; i++) dst[i] = f32ToF16Bits(src[i]!);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, src.length * 2);
  for (let i = 0; i < src.length; i++) view.setUint16(i * 2, f32ToF16Bits(src[i]!), true);
}

/** Elements per Q8_0 block and bytes per block (F16 scale + 32 int8). */
export const Q8_0_BLOCK = 32;
export const Q8_0_BYTES = 34;

/** Writes `src` (length a multiple of 32) as Q8_0 blocks into `out` at byte `offset`. */
export function encodeQ8_0(src: Float32Array, out: Uint8Array, offset: number): void {
  if (src.length % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 needs a multiple of 32 values, got ${src.length}`);
  const blocks = src.length / Q8_0_BLOCK;
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(src[base + i]!));
    // ggml computes d and 1/d in float32; fround keeps the rounding identical.
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    const o = offset + b * Q8_0_BYTES;
    const dBits = f32ToF16Bits(d);
    out[o] = dBits & 0xff;
    out[o + 1] = dBits >>> 8;
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const x = Math.fround(src[base + i]! * id);
      // roundf: halves away from zero; stored as two's-complement int8.
      const q = x < 0 ? -Math.round(-x) : Math.round(x);
      out[o + 2 + i] = q & 0xff;
    }
  }
}

/** Decodes Q8_0 bytes back to floats (for tests and inspection). */
export function decodeQ8_0(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < count / Q8_0_BLOCK; b++) {
    const d = f16BitsToF32(view.getUint16(b * Q8_0_BYTES, true));
    for (let i = 0; i < Q8_0_BLOCK; i++) out[b * Q8_0_BLOCK + i] = d * view.getInt8(b * Q8_0_BYTES + 2 + i);
  }
  return out;
}
